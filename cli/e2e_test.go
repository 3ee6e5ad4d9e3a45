package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/provenance"
)

// testSigstore is a real in-process Sigstore (Fulcio CA and timestamp authority code) whose
// trusted_root.json and signing_config.json are written to Dir.
type testSigstore struct {
	*localsigstore.Sigstore
	Dir string
}

func startSigstore(t testing.TB) *testSigstore {
	t.Helper()
	s, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting local sigstore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	dir := t.TempDir()
	if err := s.WriteConfig(dir); err != nil {
		t.Fatal(err)
	}
	return &testSigstore{Sigstore: s, Dir: dir}
}

// tokenFile mints a token and writes it to a file.
func (s *testSigstore) tokenFile(t testing.TB, p localsigstore.Preset, opts ...localsigstore.TokenOption) string {
	t.Helper()
	tok, err := s.Token(p, opts...)
	if err != nil {
		t.Fatalf("minting %s token: %v", p, err)
	}
	f := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(f, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// run executes signet in-process in dir with a clean environment.
func run(t testing.TB, dir string, vars map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{
		Getenv: func(k string) string { return vars[k] },
		Stdin:  strings.NewReader(""),
		Stdout: &out, Stderr: &errb, Dir: dir,
	}
	code = Run(context.Background(), args, env)
	return out.String(), errb.String(), code
}

// workspace writes a small dist/ tree and returns its directory.
func workspace(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"dist/app-linux-amd64": "binary-1", "dist/app.tar.gz": "archive", "dist/docs/README": "readme"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// bundleCert returns the leaf certificate of a bundle file.
func bundleCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		MediaType            string `json:"mediaType"`
		VerificationMaterial struct {
			Certificate struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"certificate"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.MediaType != "application/vnd.dev.sigstore.bundle.v0.3+json" {
		t.Errorf("bundle media type %q, want v0.3", bundle.MediaType)
	}
	cert, err := x509.ParseCertificate(bundle.VerificationMaterial.Certificate.RawBytes)
	if err != nil {
		t.Fatalf("bundle certificate: %v", err)
	}
	return cert
}

func readIndex(t *testing.T, dir string) *core.Index {
	t.Helper()
	ix, err := core.ReadIndex(filepath.Join(dir, "attestations", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestAttestVerifyPresets signs with email-, GitHub-, GitLab- and Kubernetes-shaped tokens from a
// real local issuer through real Fulcio and TSA code, then verifies with signet verify.
func TestAttestVerifyPresets(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	gh := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	gl := localsigstore.DefaultClaims(localsigstore.PresetGitLab)
	k8s := localsigstore.DefaultClaims(localsigstore.PresetKubernetes)["kubernetes.io"].(map[string]any)
	tests := []struct {
		preset   localsigstore.Preset
		identity string
		want     *certificate.Extensions // CI extensions Fulcio must have put in the certificate
		env      map[string]string
	}{
		{localsigstore.PresetEmail, localsigstore.DefaultClaims(localsigstore.PresetEmail)["email"].(string), nil, nil},
		{localsigstore.PresetGitHub, "https://github.com/" + gh["job_workflow_ref"].(string), &certificate.Extensions{
			SourceRepositoryURI:    "https://github.com/" + gh["repository"].(string),
			SourceRepositoryDigest: gh["sha"].(string),
			SourceRepositoryRef:    gh["ref"].(string),
			BuildSignerURI:         "https://github.com/" + gh["job_workflow_ref"].(string),
			RunInvocationURI: "https://github.com/" + gh["repository"].(string) + "/actions/runs/" +
				gh["run_id"].(string) + "/attempts/" + gh["run_attempt"].(string),
		}, nil},
		{localsigstore.PresetGitLab, "https://" + gl["ci_config_ref_uri"].(string), &certificate.Extensions{
			SourceRepositoryURI:    "https://gitlab.com/" + gl["project_path"].(string),
			SourceRepositoryDigest: gl["sha"].(string),
			SourceRepositoryRef:    "refs/heads/" + gl["ref"].(string),
			BuildSignerURI:         "https://" + gl["ci_config_ref_uri"].(string),
			RunInvocationURI:       "https://gitlab.com/" + gl["project_path"].(string) + "/-/jobs/" + jsonString(gl["job_id"]),
		}, nil},
		{localsigstore.PresetKubernetes, "https://kubernetes.io/namespaces/" + k8s["namespace"].(string) +
			"/serviceaccounts/" + k8s["serviceaccount"].(map[string]any)["name"].(string), nil, map[string]string{
			"TEKTON_TASKRUN_NAME": "build-1-signet", "TEKTON_TASKRUN_UID": "0f6d3a52-6f8e-4a4e-9a53-3f7c1f1f0c11",
			"TEKTON_TASKRUN_NAMESPACE": k8s["namespace"].(string),
			"SIGNET_TEKTON_GIT_URL":    "https://github.com/signet-ci/signet-demo", "SIGNET_TEKTON_GIT_COMMIT": strings.Repeat("ab", 20),
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.preset), func(t *testing.T) {
			t.Parallel()
			dir := workspace(t)
			tok := ss.tokenFile(t, tt.preset)
			vars := map[string]string{}
			for k, v := range tt.env {
				vars[k] = v
			}
			if tt.env != nil {
				vars["SIGNET_TEKTON_RESULTS_DIR"] = t.TempDir()
			}
			out, errOut, code := run(t, dir, vars, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "dist")
			if code != 0 {
				t.Fatalf("attest exit %d: %s%s", code, out, errOut)
			}
			if strings.Contains(out+errOut, mustRead(t, tok)) {
				t.Fatal("the token was printed")
			}
			ix := readIndex(t, dir)
			if len(ix.Subjects) != 3 || len(ix.Attestations) != 1 {
				t.Fatalf("index has %d subjects, %d attestations; want 3, 1", len(ix.Subjects), len(ix.Attestations))
			}
			if len(ix.Attestations[0].Timestamps) == 0 {
				t.Error("bundle has no RFC 3161 timestamp")
			}
			cert := bundleCert(t, filepath.Join(dir, "attestations", ix.Attestations[0].Bundle))
			sum, err := certificate.SummarizeCertificate(cert)
			if err != nil {
				t.Fatal(err)
			}
			if sum.SubjectAlternativeName != tt.identity {
				t.Errorf("SAN %q, want %q", sum.SubjectAlternativeName, tt.identity)
			}
			if tt.want != nil {
				assertExtensions(t, *tt.want, sum.Extensions)
			}
			assertPredicateMatchesCertificate(t, filepath.Join(dir, "attestations", ix.Attestations[0].Bundle), sum)
			out, errOut, code = run(t, dir, nil, "verify", "--sigstore", ss.Dir, "--index", "attestations/index.json",
				"--certificate-identity", tt.identity, "--certificate-oidc-issuer", ss.Issuer(tt.preset),
				"dist/app-linux-amd64", "dist/app.tar.gz", "dist/docs/README")
			if code != 0 {
				t.Fatalf("verify exit %d: %s%s", code, out, errOut)
			}
		})
	}
}

func assertExtensions(t *testing.T, want, got certificate.Extensions) {
	t.Helper()
	for _, c := range []struct{ name, want, got string }{
		{"source repository URI", want.SourceRepositoryURI, got.SourceRepositoryURI},
		{"source repository digest", want.SourceRepositoryDigest, got.SourceRepositoryDigest},
		{"source repository ref", want.SourceRepositoryRef, got.SourceRepositoryRef},
		{"build signer URI", want.BuildSignerURI, got.BuildSignerURI},
		{"run invocation URI", want.RunInvocationURI, got.RunInvocationURI},
	} {
		if c.got != c.want {
			t.Errorf("certificate %s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

// assertPredicateMatchesCertificate checks the signed provenance names the same source repo,
// commit, ref, builder and invocation as the certificate that signed it.
func assertPredicateMatchesCertificate(t *testing.T, bundlePath string, sum certificate.Summary) {
	t.Helper()
	b, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		DSSE struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	f, err := provenance.ExtractFacts(bundle.DSSE.Payload)
	if err != nil {
		t.Fatal(err)
	}
	e := sum.Extensions
	switch f.Platform {
	case provenance.GitHub, provenance.GitLab:
		for _, c := range []struct{ what, pred, cert string }{
			{"source repository", f.SourceRepo, e.SourceRepositoryURI},
			{"commit", f.Commit, e.SourceRepositoryDigest},
			{"ref", f.Ref, e.SourceRepositoryRef},
			{"builder", f.BuilderID, e.BuildSignerURI},
			{"invocation", f.InvocationID, e.RunInvocationURI},
		} {
			if c.pred != c.cert {
				t.Errorf("predicate %s %q, certificate %q", c.what, c.pred, c.cert)
			}
		}
	case provenance.Tekton:
		if f.BuilderID != sum.SubjectAlternativeName {
			t.Errorf("Tekton builder %q, certificate SAN %q", f.BuilderID, sum.SubjectAlternativeName)
		}
	case provenance.Local:
		if e.SourceRepositoryURI != "" {
			t.Errorf("a local predicate was signed with a CI certificate for %s", e.SourceRepositoryURI)
		}
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

func mustRead(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAttestNegative checks each bad input fails with its own clear message and writes nothing.
func TestAttestNegative(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) []string // returns extra args
		want  string
	}{
		{"expired token", func(t *testing.T, dir string) []string {
			return []string{"--identity-token-file", ss.tokenFile(t, localsigstore.PresetGitHub, localsigstore.WithExpiry(-time.Minute)), "dist"}
		}, "expired"},
		{"wrong audience", func(t *testing.T, dir string) []string {
			return []string{"--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail, localsigstore.WithAudience("not-sigstore")), "dist"}
		}, "audience"},
		{"glob with no match", func(t *testing.T, dir string) []string {
			return []string{"--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail), "dist/*.rpm"}
		}, `"dist/*.rpm" matched no files`},
		{"malformed checksum line", func(t *testing.T, dir string) []string {
			os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte("abc  dist/app.tar.gz\n"), 0o644)
			return []string{"--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail), "--subject-checksums", "SHA256SUMS"}
		}, "SHA256SUMS:1"},
		{"output file already present", func(t *testing.T, dir string) []string {
			os.MkdirAll(filepath.Join(dir, "attestations"), 0o755)
			os.WriteFile(filepath.Join(dir, "attestations", "provenance.sigstore.json"), []byte("keep me"), 0o644)
			return []string{"--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail), "dist"}
		}, "--force"},
		{"no token outside CI", func(t *testing.T, dir string) []string { return []string{"dist"} }, "--sigstore local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := workspace(t)
			args := append([]string{"attest", "--sigstore", ss.Dir}, tt.setup(t, dir)...)
			before := listFiles(t, filepath.Join(dir, "attestations"))
			out, errOut, code := run(t, dir, nil, args...)
			if code == 0 {
				t.Fatalf("attest succeeded:\n%s", out)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q does not say %q", errOut, tt.want)
			}
			if after := listFiles(t, filepath.Join(dir, "attestations")); after != before {
				t.Errorf("output directory changed on failure: before %q after %q", before, after)
			}
		})
	}
}

func listFiles(t *testing.T, dir string) string {
	t.Helper()
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			names = append(names, p+"="+string(b))
		}
		return nil
	})
	return strings.Join(names, ",")
}

// TestVerifyNegative signs once and checks each verification failure has its own message.
func TestVerifyNegative(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	other := startSigstore(t)
	dir := workspace(t)
	tok := ss.tokenFile(t, localsigstore.PresetEmail)
	if out, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "dist"); code != 0 {
		t.Fatalf("attest: %s%s", out, errOut)
	}
	email := localsigstore.DefaultClaims(localsigstore.PresetEmail)["email"].(string)
	modified := filepath.Join(t.TempDir(), "app.tar.gz")
	os.WriteFile(modified, []byte("archive, modified"), 0o644)
	base := func(root string) []string {
		return []string{"verify", "--sigstore", root, "--index", "attestations/index.json"}
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"modified artifact", append(base(ss.Dir), "--certificate-identity", email, "--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetEmail), modified), "app.tar.gz"},
		{"wrong identity", append(base(ss.Dir), "--certificate-identity", "mallory@example.com", "--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetEmail), "dist/app.tar.gz"), "mallory@example.com"},
		{"wrong issuer", append(base(ss.Dir), "--certificate-identity", email, "--certificate-oidc-issuer", "https://accounts.example.com", "dist/app.tar.gz"), "https://accounts.example.com"},
		{"bundle from another trust root", append(base(other.Dir), "--certificate-identity", email, "--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetEmail), "dist/app.tar.gz"), "app.tar.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := run(t, dir, nil, tt.args...)
			if code == 0 {
				t.Fatalf("verify accepted:\n%s", out)
			}
			if !strings.Contains(out+errOut, tt.want) {
				t.Errorf("report %q does not name %q", out+errOut, tt.want)
			}
		})
	}
}

// TestAttestRefusesPredicateContradictingCertificate: a GitLab job on gitlab.example.com whose
// Fulcio certifies gitlab.com URLs would sign provenance contradicting its certificate; attest
// refuses before signing anything, naming both values.
func TestAttestRefusesPredicateContradictingCertificate(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := workspace(t)
	tok := ss.tokenFile(t, localsigstore.PresetGitLab)
	stamped := ss.Requests("tsa")
	out, errOut, code := run(t, dir, map[string]string{"CI_SERVER_URL": "https://gitlab.example.com"},
		"attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "dist")
	if code == 0 {
		t.Fatalf("attest signed a contradicting predicate:\n%s", out)
	}
	project := localsigstore.DefaultClaims(localsigstore.PresetGitLab)["project_path"].(string)
	for _, want := range []string{"https://gitlab.example.com/" + project, "https://gitlab.com/" + project} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error %q does not name %q", errOut, want)
		}
	}
	if n := ss.Requests("tsa") - stamped; n != 0 {
		t.Errorf("%d statement(s) were timestamped despite the contradiction", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "attestations")); err == nil {
		if files := listFiles(t, filepath.Join(dir, "attestations")); files != "" {
			t.Errorf("files written: %s", files)
		}
	}
}

// TestAttestRefusesLocalPlatformWithCIToken: local provenance signed by a CI certificate would
// contradict it; attest says so instead of writing bundles verify would reject.
func TestAttestRefusesLocalPlatformWithCIToken(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := workspace(t)
	_, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--platform", "local",
		"--identity-token-file", ss.tokenFile(t, localsigstore.PresetGitHub), "dist")
	if code == 0 || !strings.Contains(errOut, "use --platform github") {
		t.Fatalf("exit %d, stderr %q: want a refusal naming --platform github", code, errOut)
	}
}

// TestAttestSplitsStatements: above --max-subjects the subjects are split into several
// statements, all signed with one certificate, each subject indexed with its own bundle.
func TestAttestSplitsStatements(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := workspace(t)
	before := ss.Requests("fulcio")
	if o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--max-subjects", "2",
		"--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail), "dist"); c != 0 {
		t.Fatalf("attest exit %d: %s%s", c, o, e)
	}
	if n := ss.Requests("fulcio") - before; n != 1 {
		t.Errorf("%d Fulcio requests for 2 statements, want 1", n)
	}
	ix := readIndex(t, dir)
	got := map[string][]string{}
	for _, s := range ix.Subjects {
		got[s.Name] = s.Bundles
	}
	want := map[string][]string{
		"dist/app-linux-amd64": {"provenance-0001.sigstore.json"},
		"dist/app.tar.gz":      {"provenance-0001.sigstore.json"},
		"dist/docs/README":     {"provenance-0002.sigstore.json"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("index subjects → bundles (-want +got):\n%s", d)
	}
	if o, e, c := run(t, dir, nil, "verify", "--sigstore", ss.Dir, "--index", "attestations/index.json",
		"--certificate-identity", localsigstore.DefaultClaims(localsigstore.PresetEmail)["email"].(string),
		"--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetEmail),
		"dist/app-linux-amd64", "dist/app.tar.gz", "dist/docs/README"); c != 0 {
		t.Fatalf("verify exit %d: %s%s", c, o, e)
	}
}

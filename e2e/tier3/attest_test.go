//go:build tier3

package tier3

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/signet-ci/signet/core"
)

const (
	slsaProvenance  = "https://slsa.dev/provenance/v1"
	bundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
)

// identity is one token shape, the platform whose provenance goes with it (with the variables
// its runner sets that signet reads), and the certificate Fulcio must issue for it.
type identity struct {
	preset, platform string
	env              func(work string) []string
	// want derives the expected SAN and source repository extension from the token's claims.
	want func(c map[string]any) (san, repo string)
}

var identities = []identity{
	{"github", "github", func(w string) []string { return []string{"GITHUB_ACTIONS=true", "GITHUB_WORKSPACE=" + w} }, func(c map[string]any) (string, string) {
		return "https://github.com/" + str(c, "job_workflow_ref"), "https://github.com/" + str(c, "repository")
	}},
	{"gitlab", "gitlab", func(w string) []string { return []string{"GITLAB_CI=true", "CI_PROJECT_DIR=" + w} }, func(c map[string]any) (string, string) {
		return "https://" + str(c, "ci_config_ref_uri"), "https://gitlab.com/" + str(c, "project_path")
	}},
	{"email", "local", noEnv, func(c map[string]any) (string, string) { return str(c, "email"), "" }},
}

func noEnv(string) []string { return nil }

func str(c map[string]any, k string) string { s, _ := c[k].(string); return s }

// TestAttestVerifyCosign signs with the signet binary against upstream Fulcio, TSA and Rekor v1,
// verifies with signet verify and cosign verify-blob-attestation, and checks both reject a
// modified artifact.
func TestAttestVerifyCosign(t *testing.T) {
	t.Parallel()
	s := loadStack(t)
	tr := writeTrust(t.Context(), t, s)
	for _, id := range identities {
		t.Run(id.preset, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			tok, claims := mintToken(ctx, t, s, id.preset)
			iss := str(claims, "iss")
			san, repo := id.want(claims)
			work, names := writeArtifacts(t)
			out := filepath.Join(work, "attestations")

			run(ctx, t, work, id.env(work), s.Signet, "attest", "--sigstore", tr.Dir, "--identity-token-file", tok,
				"--platform", id.platform, "--output-dir", out, "--format", "json", names[0], names[1]).mustSucceed(t, "signet attest")
			prov := checkIndex(ctx, t, tr, out, names, certWant{Issuer: iss, SAN: san, Repo: repo})

			verify := func(identity string, files ...string) result {
				args := append([]string{"verify", "--sigstore", tr.Dir, "--index", filepath.Join(out, core.IndexFile),
					"--certificate-identity", identity, "--certificate-oidc-issuer", iss, "--require-tlog"}, files...)
				return run(ctx, t, work, nil, s.Signet, args...)
			}
			verify(san, names...).mustSucceed(t, "signet verify")
			verify(san+"-other", names...).mustFail(t, "signet verify with another identity", "2 of 2 artifact(s) rejected")
			for _, n := range names {
				cosignVerify(ctx, t, tr, prov, iss, san, filepath.Join(work, n)).mustSucceed(t, "cosign verify-blob-attestation "+n)
			}

			tamper(t, filepath.Join(work, names[0]))
			verify(san, names...).mustFail(t, "signet verify of a modified artifact", "1 of 2 artifact(s) rejected")
			cosignVerify(ctx, t, tr, prov, iss, san, filepath.Join(work, names[0])).mustFail(t, "cosign verify-blob-attestation of a modified artifact",
				"provided artifact digests do not match digests in statement")
		})
	}
}

// TestCosignControl has cosign sign against the same stack with the same trust material and verify
// its own bundle: when it passes and TestAttestVerifyCosign fails, the fault is signet's.
func TestCosignControl(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := loadStack(t)
	tr := writeTrust(ctx, t, s)
	tok, claims := mintToken(ctx, t, s, "github")
	san, repo := identities[0].want(claims)
	work, names := writeArtifacts(t)
	pred := filepath.Join(work, "predicate.json")
	writeFile(t, pred, []byte(`{"buildDefinition":{"buildType":"https://signet.dev/tier3/control","externalParameters":{}},`+
		`"runDetails":{"builder":{"id":"https://signet.dev/tier3"}}}`))
	b := filepath.Join(work, "control.sigstore.json")
	run(ctx, t, work, nil, s.Cosign, "attest-blob", "--yes", "--signing-config", filepath.Join(tr.Dir, signingConfigFile),
		"--trusted-root", filepath.Join(tr.Dir, trustedRootFile), "--identity-token", tok,
		"--type", "slsaprovenance1", "--predicate", pred, "--bundle", b, names[0]).mustSucceed(t, "cosign attest-blob")
	checkBundle(ctx, t, tr, b, certWant{Issuer: str(claims, "iss"), SAN: san, Repo: repo})
	cosignVerify(ctx, t, tr, b, str(claims, "iss"), san, filepath.Join(work, names[0])).mustSucceed(t, "cosign verify-blob-attestation")
}

// mintToken asks the stack's issuer for a token of preset, writes it to a private file and returns
// the file and the token's claims.
func mintToken(ctx context.Context, t testing.TB, s stack, preset string) (string, map[string]any) {
	t.Helper()
	body, err := call(ctx, "signet sigstore serve", "POST", s.OIDC+"/oidc/"+preset+"/token", []byte(`{"audience":"sigstore"}`))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || strings.Count(resp.Value, ".") != 2 {
		t.Fatalf("signet sigstore serve: expected {\"value\":\"<jwt>\"} from the %s issuer (err %v)", preset, err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(resp.Value, ".")[1])
	if err != nil {
		t.Fatalf("%s token payload is not base64url: %v", preset, err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("%s token payload is not JSON: %v", preset, err)
	}
	path := filepath.Join(t.TempDir(), preset+".jwt")
	if err := os.WriteFile(path, []byte(resp.Value), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, claims
}

// writeArtifacts writes two random build outputs under a fresh working directory and returns it
// with their names relative to it.
func writeArtifacts(t testing.TB) (string, []string) {
	t.Helper()
	work := t.TempDir()
	names := []string{"dist/app-linux-amd64", "dist/app-1.0.0.tar.gz"}
	for i, n := range names {
		b := make([]byte, 32<<10+i)
		_, _ = rand.Read(b)
		writeFile(t, filepath.Join(work, n), b)
	}
	return work, names
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tamper flips the first byte of the file at path.
func tamper(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	writeFile(t, path, b)
}

// checkIndex checks the run's index (every subject listed, the log used) and every bundle in it,
// and returns the path of the provenance bundle naming both artifacts.
func checkIndex(ctx context.Context, t testing.TB, tr trust, out string, names []string, want certWant) string {
	t.Helper()
	ix, err := core.ReadIndex(filepath.Join(out, core.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	if !ix.Tlog.Used {
		t.Errorf("index: transparency log not used (%s), expected Rekor v1 entries", ix.Tlog.Reason)
	}
	var gotNames []string
	for _, s := range ix.Subjects {
		gotNames = append(gotNames, s.Name)
	}
	if d := cmp.Diff(names, gotNames, cmpopts.SortSlices(func(a, b string) bool { return a < b })); d != "" {
		t.Errorf("index subjects (-want +got):\n%s", d)
	}
	prov := ""
	for _, a := range ix.Attestations {
		path := filepath.Join(out, a.Bundle)
		checkBundle(ctx, t, tr, path, want)
		if a.PredicateType == slsaProvenance && a.SubjectCount == len(names) {
			prov = path
		}
	}
	if prov == "" {
		t.Fatalf("index lists no %s bundle with %d subjects: %+v", slsaProvenance, len(names), ix.Attestations)
	}
	return prov
}

// certWant is what the signing certificate must say.
type certWant struct {
	Issuer, SAN, Repo string
}

// checkBundle checks a bundle is v0.3 with one Rekor v1 entry that the log really holds, an RFC 3161
// timestamp, and a certificate naming the expected identity.
func checkBundle(ctx context.Context, t testing.TB, tr trust, path string, want certWant) {
	t.Helper()
	b, err := bundle.LoadJSONFromPath(path)
	if err != nil {
		t.Fatalf("sigstore-go cannot load bundle %s: %v", path, err)
	}
	if mt := b.GetMediaType(); mt != bundleMediaType {
		t.Errorf("%s: mediaType %q, expected %q", path, mt, bundleMediaType)
	}
	if ts, err := b.Timestamps(); err != nil || len(ts) == 0 {
		t.Errorf("%s: %d RFC 3161 timestamps (err %v), expected at least 1", path, len(ts), err)
	}
	checkTlog(ctx, t, tr, path, b)
	vc, err := b.VerificationContent()
	if err != nil || vc.Certificate() == nil {
		t.Fatalf("%s: no signing certificate (err %v)", path, err)
	}
	sum, err := certificate.SummarizeCertificate(vc.Certificate())
	if err != nil {
		t.Fatalf("%s: reading the certificate's extensions: %v", path, err)
	}
	got := certWant{Issuer: sum.Issuer, SAN: sum.SubjectAlternativeName, Repo: sum.SourceRepositoryURI}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s: certificate (-want +got):\n%s", path, d)
	}
}

// checkTlog checks the bundle's single entry is a Rekor v1 entry with promise and proof from the
// stack's log, and that the log serves the same body at that index.
func checkTlog(ctx context.Context, t testing.TB, tr trust, path string, b *bundle.Bundle) {
	t.Helper()
	entries, err := b.TlogEntries()
	if err != nil || len(entries) != 1 {
		t.Fatalf("%s: %d transparency log entries (err %v), expected 1", path, len(entries), err)
	}
	e := entries[0]
	if e.IsRekorV2() || !e.HasInclusionPromise() || !e.HasInclusionProof() {
		t.Errorf("%s: entry v2=%v promise=%v proof=%v, expected a Rekor v1 entry with SET and inclusion proof",
			path, e.IsRekorV2(), e.HasInclusionPromise(), e.HasInclusionProof())
	}
	if e.LogKeyID() != string(tr.RekorID) {
		t.Errorf("%s: entry log ID %x, expected the stack's Rekor %x", path, e.LogKeyID(), tr.RekorID)
	}
	url := fmt.Sprintf("%s/api/v1/log/entries?logIndex=%d", tr.Services.Rekor, e.LogIndex())
	raw, err := call(ctx, "rekor", "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var byUUID map[string]struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(raw, &byUUID); err != nil || len(byUUID) != 1 {
		t.Fatalf("rekor GET %s: expected one entry keyed by UUID (err %v)", url, err)
	}
	for _, le := range byUUID {
		if le.Body != e.Body() {
			t.Errorf("%s: entry body differs from what rekor serves at index %d", path, e.LogIndex())
		}
	}
}

// cosignVerify runs cosign verify-blob-attestation offline against the stack's trusted root,
// requiring a signed timestamp and the transparency log entry (no SCT: the stack has no CT log).
func cosignVerify(ctx context.Context, t testing.TB, tr trust, bundlePath, iss, san, artifact string) result {
	t.Helper()
	r := run(ctx, t, filepath.Dir(artifact), nil, tr.Services.Cosign, "verify-blob-attestation",
		"--bundle", bundlePath, "--trusted-root", filepath.Join(tr.Dir, trustedRootFile),
		"--certificate-oidc-issuer", iss, "--certificate-identity-regexp", "^"+regexp.QuoteMeta(san)+"$",
		"--insecure-ignore-sct", "--use-signed-timestamps", "--type", slsaProvenance, artifact)
	if r.Err == nil && !strings.Contains(r.Stderr+r.Stdout, "Verified OK") {
		r.Err = fmt.Errorf("cosign exited 0 without printing %q", "Verified OK")
	}
	return r
}

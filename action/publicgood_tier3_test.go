//go:build tier3

package action_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/cli"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/shellwords"
)

// tier3Stack names the services scripts/tier3.sh started that the public-good tests use: the
// Fulcio whose file CA names "sigstore.dev" and whose certificates carry an SCT from the CT log,
// the CT log's public key, the TSA, Rekor v1 and the OIDC issuer (signet sigstore serve).
type tier3Stack struct {
	OIDC, Fulcio, CTLog, CTLogKey, TSA, Rekor string
}

// loadTier3Stack reads SIGNET_TIER3_*; it fails (never skips) when one is missing.
func loadTier3Stack(t *testing.T) tier3Stack {
	t.Helper()
	var s tier3Stack
	var missing []string
	for name, dst := range map[string]*string{
		"SIGNET_TIER3_OIDC_URL": &s.OIDC, "SIGNET_TIER3_FULCIO_CT_URL": &s.Fulcio, "SIGNET_TIER3_CTLOG_URL": &s.CTLog,
		"SIGNET_TIER3_CTLOG_PUBKEY": &s.CTLogKey, "SIGNET_TIER3_TSA_URL": &s.TSA, "SIGNET_TIER3_REKOR_URL": &s.Rekor,
	} {
		if *dst = strings.TrimRight(os.Getenv(name), "/"); *dst == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Fatalf("tier-3 tests need %s: run scripts/tier3.sh, which starts the services and sets them", strings.Join(missing, ", "))
	}
	return s
}

// fetch GETs or POSTs url and returns the body of a 2xx answer, bounded.
func fetch(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: HTTP %d: %.300s", method, url, resp.StatusCode, out)
	}
	return out, nil
}

// publicGoodTrust writes trusted_root.json (Fulcio's file CA, the CT log, the TSA, Rekor v1) and
// signing_config.json (Fulcio, the GitHub issuer, Rekor v1, the TSA) into a fresh directory, and
// a second root without the CT log. The first root stands in for public-good's TUF root that gh
// fetches: same organisation, an SCT-issuing CT log and a transparency log.
func publicGoodTrust(t *testing.T, s tier3Stack) (dir, noCTRoot string) {
	t.Helper()
	ctx := t.Context()
	body, err := fetch(ctx, "GET", s.Fulcio+"/api/v2/trustBundle", nil)
	if err != nil {
		t.Fatal(err)
	}
	var tb struct {
		Chains []struct {
			Certificates []string `json:"certificates"`
		} `json:"chains"`
	}
	if err := json.Unmarshal(body, &tb); err != nil || len(tb.Chains) != 1 {
		t.Fatalf("fulcio trust bundle: %v, %d chains", err, len(tb.Chains))
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(strings.Join(tb.Chains[0].Certificates, "\n")))
	if err != nil || len(certs) == 0 {
		t.Fatalf("fulcio trust bundle: %v", err)
	}
	caRoot := certs[len(certs)-1]
	if org := caRoot.Subject.Organization; len(org) != 1 || org[0] != ghPublicGoodOrg {
		t.Fatalf("the CT-logging Fulcio's CA names organisation %q, not public-good's %q", org, ghPublicGoodOrg)
	}
	ca := &root.FulcioCertificateAuthority{Root: caRoot, Intermediates: certs[:len(certs)-1], ValidityPeriodStart: caRoot.NotBefore, URI: s.Fulcio}

	body, err = fetch(ctx, "GET", s.TSA+"/api/v1/timestamp/certchain", nil)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := cryptoutils.UnmarshalCertificatesFromPEM(body)
	if err != nil || len(chain) < 2 {
		t.Fatalf("TSA chain: %v (%d certificates)", err, len(chain))
	}
	tsa := &root.SigstoreTimestampingAuthority{Leaf: chain[0], Intermediates: chain[1 : len(chain)-1], Root: chain[len(chain)-1],
		ValidityPeriodStart: chain[len(chain)-1].NotBefore, URI: s.TSA}

	logOf := func(base string, pemKey []byte) *root.TransparencyLog {
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemKey)
		if err != nil {
			t.Fatalf("%s: public key: %v", base, err)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		id := sha256.Sum256(der)
		return &root.TransparencyLog{BaseURL: base, ID: id[:], HashFunc: crypto.SHA256, PublicKey: pub, SignatureHashFunc: crypto.SHA256,
			ValidityPeriodStart: time.Now().Add(-time.Hour).Truncate(time.Second)}
	}
	body, err = fetch(ctx, "GET", s.Rekor+"/api/v1/log/publicKey", nil)
	if err != nil {
		t.Fatal(err)
	}
	rekor := logOf(s.Rekor, body)
	ctKey, err := os.ReadFile(s.CTLogKey)
	if err != nil {
		t.Fatal(err)
	}
	ct := logOf(s.CTLog, ctKey)

	dir = t.TempDir()
	write := func(name string, v json.Marshaler) string {
		b, err := v.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tlogs := map[string]*root.TransparencyLog{fmt.Sprintf("%x", rekor.ID): rekor}
	full, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{ca},
		map[string]*root.TransparencyLog{fmt.Sprintf("%x", ct.ID): ct}, []root.TimestampingAuthority{tsa}, tlogs)
	if err != nil {
		t.Fatal(err)
	}
	write("trusted_root.json", full)
	partial, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{ca}, nil, []root.TimestampingAuthority{tsa}, tlogs)
	if err != nil {
		t.Fatal(err)
	}
	noCTRoot = filepath.Join(t.TempDir(), "no-ct-log.json")
	if b, err := partial.MarshalJSON(); err != nil || os.WriteFile(noCTRoot, b, 0o644) != nil {
		t.Fatalf("writing the root without the CT log: %v", err)
	}
	svc := func(url string) root.Service {
		return root.Service{URL: url, MajorAPIVersion: 1, ValidityPeriodStart: time.Now().Add(-time.Minute).Truncate(time.Second), Operator: "signet-tier3"}
	}
	pickAny := root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY}
	sc, err := root.NewSigningConfig(root.SigningConfigMediaType02, []root.Service{svc(s.Fulcio)}, []root.Service{svc(s.OIDC + "/oidc/github")},
		[]root.Service{svc(s.Rekor)}, pickAny, []root.Service{svc(s.TSA + "/api/v1/timestamp")}, pickAny)
	if err != nil {
		t.Fatal(err)
	}
	write("signing_config.json", sc)
	return dir, noCTRoot
}

// publicGoodRun is one signet attest run of a GitHub repository of the given visibility on the
// CT-logging stack, published as a run on the public-good instance.
type publicGoodRun struct {
	ws, summary string
	out         ci.Outcome
	repo        string
}

func runOnPublicGood(t *testing.T, s tier3Stack, trustDir, visibility string, extra ...string) publicGoodRun {
	t.Helper()
	ctx := t.Context()
	req, _ := json.Marshal(map[string]any{"audience": "sigstore", "claims": map[string]any{"repository_visibility": visibility}})
	body, err := fetch(ctx, "POST", s.OIDC+"/oidc/github/token", req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.Value == "" {
		t.Fatalf("token answer: %v", err)
	}
	parts := strings.Split(tok.Value, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	ws := newWorkspace(t)
	writeFiles(t, ws, map[string]string{"dist/app.tar.gz": "archive " + visibility})
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte(tok.Value), 0o600); err != nil {
		t.Fatal(err)
	}
	c := func(k string) string { return fmt.Sprint(claims[k]) }
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws, "HOME": filepath.Join(t.TempDir(), "home"),
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": c("repository"), "GITHUB_REPOSITORY_ID": c("repository_id"),
		"GITHUB_REPOSITORY_OWNER": c("repository_owner"), "GITHUB_REPOSITORY_OWNER_ID": c("repository_owner_id"),
		"GITHUB_SHA": c("sha"), "GITHUB_REF": c("ref"), "GITHUB_EVENT_NAME": c("event_name"), "GITHUB_RUN_ID": c("run_id"),
		"GITHUB_RUN_ATTEMPT": c("run_attempt"), "GITHUB_WORKFLOW_REF": c("workflow_ref"),
	}
	args := append([]string{"attest", "--sigstore", trustDir, "--identity-token-file", tokFile, "--platform", "github",
		"--output-dir", "attestations"}, extra...)
	var stdout, stderr bytes.Buffer
	if code := cli.Run(ctx, append(args, "dist/app.tar.gz"), cli.Env{Getenv: envOf(env), Stdout: &stdout, Stderr: &stderr, Dir: ws}); code != 0 {
		t.Fatalf("signet %s exited %d:\n%s\n%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	ix, err := core.ReadIndex(filepath.Join(ws, "attestations", core.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	out := ci.Outcome{Index: ix, Dir: ws, OutputDir: filepath.Join(ws, "attestations"), Sigstore: "public", Visibility: visibility}
	env["GITHUB_STEP_SUMMARY"] = filepath.Join(t.TempDir(), "summary")
	env["GITHUB_OUTPUT"] = filepath.Join(t.TempDir(), "output")
	env["INPUT_GITHUB-TOKEN"] = ""
	if err := action.New(envOf(env), &bytes.Buffer{}).Publish(ctx, out); err != nil {
		t.Fatal(err)
	}
	return publicGoodRun{ws: ws, summary: readFile(t, env["GITHUB_STEP_SUMMARY"]), out: out, repo: c("repository")}
}

// oidSCTList is the X.509 extension of embedded signed certificate timestamps (RFC 6962).
var oidSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

// bundleShape reports whether the bundle's certificate embeds an SCT and how many log entries
// it carries.
func bundleShape(t *testing.T, path string) (sct bool, entries int, org string) {
	t.Helper()
	b, err := bundle.LoadJSONFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := b.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	leaf := vc.Certificate()
	for _, e := range leaf.Extensions {
		sct = sct || e.Id.Equal(oidSCTList)
	}
	tl, err := b.TlogEntries()
	if err != nil {
		t.Fatal(err)
	}
	return sct, len(tl), strings.Join(leaf.Issuer.Organization, ",")
}

// TestTier3PublicGoodGhCommand: a public repository's run on a Sigstore shaped like public-good
// (upstream Fulcio with a file CA of organisation "sigstore.dev", its certificates carrying an
// SCT from upstream ct_server; Rekor v1; the TSA) prints a gh attestation verify command with no
// custom trusted root, which passes gh's public-good branch (SCT, log entry and observer
// timestamp required) given that stack's root in place of public-good's TUF root. The same
// command fails without the CT log in the root, for a bundle stripped of its log entry, and for
// another repository. A private repository's run without private-repo-tlog makes a bundle with
// an SCT and no log entry: gh's public-good branch refuses it, and its summary prints no gh
// command; with private-repo-tlog the run is logged and its printed command passes.
func TestTier3PublicGoodGhCommand(t *testing.T) {
	s := loadTier3Stack(t)
	trustDir, noCTRoot := publicGoodTrust(t, s)
	publicGood := filepath.Join(trustDir, "trusted_root.json")

	t.Run("public", func(t *testing.T) {
		run := runOnPublicGood(t, s, trustDir, "public")
		if !run.out.Index.Tlog.Used {
			t.Fatalf("a public repository's run was not logged: %+v", run.out.Index.Tlog)
		}
		var gh []string
		for _, c := range summaryCommands(t, run.summary) {
			if c[0] == "gh" {
				gh = c
			}
		}
		if gh == nil {
			t.Fatalf("no gh command in the summary of a public run:\n%s", run.summary)
		}
		if slices.Contains(gh, "--custom-trusted-root") {
			t.Errorf("%q: gh knows public-good's root; no custom root is needed", gh)
		}
		bundlePath := gh[slices.Index(gh, "--bundle")+1]
		sct, entries, org := bundleShape(t, filepath.Join(run.ws, bundlePath))
		if !sct || entries != 1 || org != ghPublicGoodOrg {
			t.Fatalf("the bundle is not public-good's shape: SCT %v, %d log entries, issuer organisation %q", sct, entries, org)
		}
		if err := ghVerifyWith(run.ws, gh, ghTrust{PublicGood: publicGood}); err != nil {
			t.Fatalf("%q, as the summary prints it, fails gh v2.83.0's public-good verifier: %v", gh, err)
		}
		if err := ghVerifyWith(run.ws, gh, ghTrust{PublicGood: noCTRoot}); err == nil {
			t.Error("gh's public-good verifier accepted the SCT of a CT log its root does not list")
		} else {
			t.Logf("without the CT log in the root: %v", err)
		}
		other := slices.Clone(gh)
		other[slices.Index(other, "--repo")+1] = "signet-ci/other"
		if err := ghVerifyWith(run.ws, other, ghTrust{PublicGood: publicGood}); err == nil {
			t.Error("gh's public-good verifier accepted another repository")
		}
		// The same bundle without its log entry.
		raw, err := os.ReadFile(filepath.Join(run.ws, bundlePath))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc["verificationMaterial"].(map[string]any), "tlogEntries")
		stripped, _ := json.Marshal(doc)
		if err := os.WriteFile(filepath.Join(run.ws, "unlogged.json"), stripped, 0o644); err != nil {
			t.Fatal(err)
		}
		unlogged := slices.Clone(gh)
		unlogged[slices.Index(unlogged, "--bundle")+1] = "unlogged.json"
		if err := ghVerifyWith(run.ws, unlogged, ghTrust{PublicGood: publicGood}); err == nil || !strings.Contains(err.Error(), "verifying with issuer") {
			t.Errorf("gh's public-good verifier accepted a bundle without a log entry: %v", err)
		} else {
			t.Logf("the bundle stripped of its log entry: %v", err)
		}
	})

	t.Run("private without private-repo-tlog", func(t *testing.T) {
		run := runOnPublicGood(t, s, trustDir, "private")
		if run.out.Index.Tlog.Used {
			t.Fatalf("a private repository's run was logged without --private-repo-tlog: %+v", run.out.Index.Tlog)
		}
		for _, c := range summaryCommands(t, run.summary) {
			if c[0] == "gh" {
				t.Errorf("the summary prints %q for a bundle gh cannot verify", c)
			}
		}
		file, bundlePath, ok := run.out.Example()
		if !ok {
			t.Fatal("no example artifact")
		}
		sct, entries, org := bundleShape(t, filepath.Join(run.ws, bundlePath))
		if !sct || entries != 0 || org != ghPublicGoodOrg {
			t.Fatalf("want an SCT, no log entry and organisation %q: SCT %v, %d entries, %q", ghPublicGoodOrg, sct, entries, org)
		}
		words, err := shellwords.Split(run.out.GhCommand(file, bundlePath, run.repo).Lines(" "))
		if err != nil {
			t.Fatal(err)
		}
		if err := ghVerifyWith(run.ws, words, ghTrust{PublicGood: publicGood}); err == nil || !strings.Contains(err.Error(), "verifying with issuer") {
			t.Errorf("gh's public-good verifier accepted a bundle with no log entry: %v", err)
		} else {
			t.Logf("a private run without private-repo-tlog, %q: %v", words, err)
		}
	})

	t.Run("private with private-repo-tlog", func(t *testing.T) {
		run := runOnPublicGood(t, s, trustDir, "private", "--private-repo-tlog")
		if !run.out.Index.Tlog.Used {
			t.Fatalf("--private-repo-tlog did not log the run: %+v", run.out.Index.Tlog)
		}
		var gh []string
		for _, c := range summaryCommands(t, run.summary) {
			if c[0] == "gh" {
				gh = c
			}
		}
		if gh == nil {
			t.Fatalf("no gh command for a logged run:\n%s", run.summary)
		}
		if err := ghVerifyWith(run.ws, gh, ghTrust{PublicGood: publicGood}); err != nil {
			t.Errorf("%q fails gh's public-good verifier: %v", gh, err)
		}
	})
}

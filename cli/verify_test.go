package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// TestVerifyReadmeFlow is the README's two commands: attest with the local Sigstore, then
// verify with no identity flags (the local Sigstore's own issuers are the default policy).
func TestVerifyReadmeFlow(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	vars := map[string]string{"XDG_STATE_HOME": t.TempDir(), "HOME": t.TempDir()}
	if out, errOut, code := run(t, dir, vars, "attest", "--sigstore", "local", "./dist"); code != 0 {
		t.Fatalf("attest exit %d: %s%s", code, out, errOut)
	}
	args := []string{"verify", "--sigstore", "local", "--index", "attestations/index.json",
		"dist/app-linux-amd64", "dist/app.tar.gz", "dist/docs/README"}
	out, errOut, code := run(t, dir, vars, args...)
	if code != 0 {
		t.Fatalf("verify exit %d: %s%s", code, out, errOut)
	}
	if strings.Count(out, "PASS ") != 3 || !strings.Contains(out, "verified: all 3 artifact(s) passed") {
		t.Errorf("text report:\n%s", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "dist", "app.tar.gz"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, dir, vars, append(args, "--format", "json")...)
	var rep verify.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json report: %v\n%s", err, out)
	}
	if code != 1 || rep.Verified || rep.Summary.Failed != 1 || rep.Artifacts[1].Failure == nil || rep.Artifacts[1].Failure.Check != verify.CheckSubject {
		t.Errorf("tampered artifact: exit %d, report %+v", code, rep.Summary)
	}
}

// TestVerifyFailsClosed refuses to verify without an identity policy anywhere but --sigstore
// local, naming the flags to use.
func TestVerifyFailsClosed(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := workspace(t)
	tok := ss.tokenFile(t, localsigstore.PresetGitHub)
	if out, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "dist"); code != 0 {
		t.Fatalf("attest exit %d: %s%s", code, out, errOut)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no identity policy", nil, 2, "--github OWNER/REPO"},
		{"issuer without a signer", []string{"--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetGitHub)}, 2, "pins no identity the certificate binds: add --certificate-identity"},
		{"shorthand keeps the real issuer", []string{"--github", "signet-ci/signet-demo"}, 1,
			`issuer: expected "https://token.actions.githubusercontent.com"`},
		{"shorthand with the local issuer", []string{"--github", "signet-ci/signet-demo", "--certificate-oidc-issuer",
			ss.Issuer(localsigstore.PresetGitHub), "--source-ref", "main", "--format", "markdown"}, 0, "| ✅ pass |"},
		{"trusted root file", []string{"--trusted-root", filepath.Join(ss.Dir, "trusted_root.json"), "--github", "signet-ci/signet-demo",
			"--certificate-oidc-issuer-regexp", verify.LocalIssuerRegexp, "--signer-workflow", ".github/workflows/release.yml"}, 0, "PASS dist/app.tar.gz"},
		{"bad format", []string{"--format", "html"}, 1, `unknown report format "html"`},
		{"both sources", []string{"--bundle", "attestations", "--github", "a/b"}, 2, "give --index or --bundle, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"verify", "--index", "attestations/index.json", "dist/app.tar.gz"}, tt.args...)
			if !contains(tt.args, "--trusted-root") {
				args = append(args, "--sigstore", ss.Dir)
			}
			out, errOut, code := run(t, dir, nil, args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestVerifyVSAAndInspect writes a keyless VSA with the local Sigstore and inspects the index.
func TestVerifyVSAAndInspect(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	vars := map[string]string{"XDG_STATE_HOME": t.TempDir(), "HOME": t.TempDir()}
	if out, errOut, code := run(t, dir, vars, "attest", "--sigstore", "local", "dist"); code != 0 {
		t.Fatalf("attest exit %d: %s%s", code, out, errOut)
	}
	out, errOut, code := run(t, dir, vars, "verify", "--sigstore", "local", "--bundle", "attestations",
		"--vsa-output", "vsa.sigstore.json", "dist/app.tar.gz")
	if code != 0 {
		t.Fatalf("verify exit %d: %s%s", code, out, errOut)
	}
	out, errOut, code = run(t, dir, vars, "inspect", "vsa.sigstore.json")
	if code != 0 || !strings.Contains(out, verify.VSAPredicateType) || !strings.Contains(out, "dist/app.tar.gz sha256:") {
		t.Errorf("inspect VSA exit %d:\n%s%s", code, out, errOut)
	}
	out, errOut, code = run(t, dir, vars, "inspect", "attestations/index.json")
	if code != 0 || !strings.Contains(out, "signer     signet@example.com") || strings.Count(out, "bundle ") != 1 {
		t.Errorf("inspect index exit %d:\n%s%s", code, out, errOut)
	}
}

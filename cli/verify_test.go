package cli

import (
	"encoding/json"
	"os"
	"os/exec"
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
		{"bad format", []string{"--format", "pdf"}, 1, `unknown report format "pdf"`},
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

// TestVerifyPolicyRefusals refuses unsound policies before any bundle or index is read, naming
// the flags to change, and accepts a policy file completed by flags.
func TestVerifyPolicyRefusals(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := workspace(t)
	tok := ss.tokenFile(t, localsigstore.PresetGitHub)
	if out, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "dist"); code != 0 {
		t.Fatalf("attest exit %d: %s%s", code, out, errOut)
	}
	k := ec2(t)
	_, pub := writeKeyPair(t, k, &k.PublicKey)
	write := func(name, body string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gh := ss.Issuer(localsigstore.PresetGitHub)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"public key with identity flags", []string{"--public-key", pub, "--github", "signet-ci/signet-demo", "--source-ref", "refs/tags/v*"}, 2,
			"--public-key pins the signer to a key, which carries no identity: --source-ref, --github cannot be checked against a key-signed bundle"},
		{"public key with an issuer", []string{"--public-key", pub, "--certificate-oidc-issuer", gh}, 2, "--certificate-oidc-issuer cannot be checked"},
		{"public key with a policy file identity", []string{"--public-key", pub, "--policy", write("p.yaml", "identity:\n  github: o/r\n")}, 2,
			"--github (identity.github in --policy) cannot be checked"},
		{"workflow path without a repository", []string{"--certificate-oidc-issuer", gh, "--signer-workflow", ".github/workflows/release.yml"}, 2,
			`--signer-workflow ".github/workflows/release.yml" is a path inside a repository, and the policy names no repository exactly: add --github OWNER/REPO`},
		{"issuer regexp that pins nothing", []string{"--certificate-oidc-issuer-regexp", ".*", "--source-repository", "https://github.com/signet-ci/signet-demo"}, 2,
			`--certificate-oidc-issuer-regexp ".*" is not anchored`},
		{"short ref glob", []string{"--github", "signet-ci/signet-demo", "--source-ref", "v*"}, 2,
			`--source-ref "v*" is a short name with a pattern, which is ambiguous: write refs/heads/v* for branches or refs/tags/v* for tags`},
		{"unanchored identity regexp", []string{"--certificate-oidc-issuer", gh, "--certificate-identity-regexp", "github.com/signet-ci/signet-demo/"}, 2,
			"--certificate-identity-regexp \"github.com/signet-ci/signet-demo/\" is not anchored"},
		{"a ref is no identity", []string{"--certificate-oidc-issuer", gh, "--source-ref", "main"}, 2,
			"pins no identity the certificate binds: add --certificate-identity or --certificate-identity-regexp"},
		{"no issuer", []string{"--source-repository", "https://github.com/signet-ci/signet-demo"}, 2,
			"pins no OIDC issuer: add --certificate-oidc-issuer (exact)"},
		{"policy file case variant", []string{"--policy", write("p.yaml", "identity:\n  github: signet-ci/signet-demo\n  gitHub: signet-ci/signet-demo-evil\n")}, 2,
			`line 3: unknown key "identity.gitHub" (keys are case-sensitive: did you mean "github"?)`},
		{"policy file completed by flags", []string{"--policy", write("p.yaml", "identity:\n  signerWorkflow: .github/workflows/release.yml\n  sourceRef: main\n"),
			"--github", "signet-ci/signet-demo", "--certificate-oidc-issuer", gh, "--index", "attestations/index.json"}, 0, "PASS dist/app.tar.gz"},
		{"policy file field named by flag and key", []string{"--policy", write("p.yaml", "identity:\n  signerWorkflow: .github/workflows/release.yml\n"),
			"--certificate-oidc-issuer", gh}, 2, `--signer-workflow (identity.signerWorkflow in --policy) ".github/workflows/release.yml" is a path inside a repository`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"verify", "--sigstore", ss.Dir, "dist/app.tar.gz"}, tt.args...)
			if !contains(tt.args, "--index") {
				args = append(args, "--index", "no-such-index.json") // a refusal comes before any bundle is read
			}
			out, errOut, code := run(t, dir, nil, args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
			if tt.code == 2 && strings.Contains(out+errOut, "no-such-index") {
				t.Errorf("the index was opened before the policy was refused:\n%s%s", out, errOut)
			}
		})
	}
}

// TestVerifySelfDeclaredSource is the forged source: an email signer attests in a git
// work tree whose origin is the demo repository, so its provenance claims that source. A
// policy asking for the repository must fail on the certificate, whatever the predicate says.
func TestVerifySelfDeclaredSource(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := workspace(t)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"remote", "add", "origin", "https://github.com/signet-ci/signet-demo"},
		{"-c", "user.name=m", "-c", "user.email=m@example.com", "commit", "-q", "--allow-empty", "-m", "x"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	tok := ss.tokenFile(t, localsigstore.PresetEmail)
	if out, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "dist"); code != 0 {
		t.Fatalf("attest exit %d: %s%s", code, out, errOut)
	}
	base := []string{"verify", "--sigstore", ss.Dir, "--index", "attestations/index.json", "dist/app.tar.gz", "--format", "json"}
	out, errOut, code := run(t, dir, nil, append(base, "--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetEmail),
		"--certificate-identity", "signet@example.com")...)
	var rep verify.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Artifacts[0].Provenance == nil ||
		rep.Artifacts[0].Provenance.SourceRepo != "https://github.com/signet-ci/signet-demo" {
		t.Fatalf("the email signer's own bundle: exit %d, provenance %+v: %s%s", code, rep.Artifacts, out, errOut)
	}
	for name, args := range map[string][]string{
		"issuer regexp and source repository": {"--certificate-oidc-issuer-regexp", verify.LocalIssuerRegexp,
			"--source-repository", "https://github.com/signet-ci/signet-demo"},
		"email and source ref": {"--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetEmail), "--certificate-identity", "signet@example.com",
			"--source-ref", "main"},
	} {
		out, errOut, code := run(t, dir, nil, append(base, args...)...)
		if err := json.Unmarshal([]byte(out), &rep); code != 1 || err != nil || rep.Verified || rep.Artifacts[0].Failure == nil ||
			!strings.Contains(rep.Artifacts[0].Failure.Reason, "an email certificate binds only the issuer and the email address") {
			t.Errorf("%s: exit %d, want 1 with the certificate binding no source: %s%s", name, code, out, errOut)
		}
	}
}

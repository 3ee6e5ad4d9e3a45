package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/ghapi/ghapitest"
	"github.com/signet-ci/signet/localsigstore"
)

const storeToken = "ghp_cliTokenNeverPrinted0123456789abcdef"

// TestStoreRoundTrip signs with a GitHub-shaped token, uploads with --upload github to an
// emulated attestation store, and verifies from the store with --github and --owner, exactly as
// offline bundles: a modified file, another repository's signature planted in the store, and
// another repository's store are all rejected.
func TestStoreRoundTrip(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	claims := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	repo := claims["repository"].(string)
	owner, _, _ := strings.Cut(repo, "/")
	srv := ghapitest.New(storeToken, repo, owner+"/other")
	defer srv.Close()
	vars := map[string]string{"GITHUB_REPOSITORY": repo, "GH_TOKEN": storeToken, "GITHUB_API_URL": srv.URL}

	dir := workspace(t)
	out, errOut, code := run(t, dir, vars, "attest", "--sigstore", ss.Dir, "--identity-token-file", ss.tokenFile(t, localsigstore.PresetGitHub),
		"--upload", "github", "dist")
	if code != 0 {
		t.Fatalf("attest --upload github: exit %d\n%s%s", code, out, errOut)
	}
	ix := readIndex(t, dir)
	if len(srv.Stored()) != len(ix.Attestations) {
		t.Fatalf("%d bundles stored for %d in the index", len(srv.Stored()), len(ix.Attestations))
	}
	for _, a := range ix.Attestations {
		if a.Store == nil || a.Store.Name != "github" || !strings.HasPrefix(a.Store.URL, "https://github.com/"+repo+"/attestations/") {
			t.Errorf("index: %s store record %+v", a.Bundle, a.Store)
		}
	}
	if !strings.Contains(out, "stored in github's attestation store: https://github.com/"+repo+"/attestations/1") {
		t.Errorf("the report does not say where the bundle was stored:\n%s", out)
	}
	// The offline bundles are gone from the verifier's view: only the store is read.
	if err := os.RemoveAll(filepath.Join(dir, "attestations")); err != nil {
		t.Fatal(err)
	}
	issuer := ss.Issuer(localsigstore.PresetGitHub)
	verifyStore := func(extra ...string) (string, int) {
		args := append([]string{"verify", "--sigstore", ss.Dir, "--certificate-oidc-issuer", issuer}, extra...)
		out, errOut, code := run(t, dir, vars, args...)
		if strings.Contains(out+errOut, storeToken) {
			t.Errorf("%q printed the token", args)
		}
		return out + errOut, code
	}
	for _, scope := range [][]string{{"--github", repo}, {"--owner", owner}} {
		if got, code := verifyStore(append(scope, "dist/app.tar.gz", "dist/app-linux-amd64")...); code != 0 {
			t.Errorf("verify %v from the store: exit %d\n%s", scope, code, got)
		} else if !strings.Contains(got, "attestation store of") {
			t.Errorf("verify %v: the report does not name the store's bundle:\n%s", scope, got)
		}
	}
	// A modified file has no attestation in the store.
	if err := os.WriteFile(filepath.Join(dir, "dist/app.tar.gz"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, code := verifyStore("--github", repo, "dist/app.tar.gz"); code != 1 {
		t.Errorf("a modified file: exit %d, want 1\n%s", code, got)
	}
	// Another repository of the owner signs the tampered file and its bundle is planted in
	// this repository's store: the identity policy refuses it.
	evil := t.TempDir()
	if err := os.MkdirAll(filepath.Join(evil, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(evil, "dist/app.tar.gz"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := owner + "/other"
	tok := ss.tokenFile(t, localsigstore.PresetGitHub, localsigstore.WithClaims(map[string]any{
		"repository": other, "job_workflow_ref": other + "/.github/workflows/release.yml@refs/heads/main",
		"workflow_ref": other + "/.github/workflows/release.yml@refs/heads/main"}))
	if out, errOut, code := run(t, evil, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "dist"); code != 0 {
		t.Fatalf("attest as %s: exit %d\n%s%s", other, code, out, errOut)
	}
	planted, err := os.ReadFile(filepath.Join(evil, "attestations", readIndex(t, evil).Attestations[0].Bundle))
	if err != nil {
		t.Fatal(err)
	}
	srv.Put(repo, planted)
	if got, code := verifyStore("--github", repo, "dist/app.tar.gz"); code != 1 {
		t.Errorf("another repository's bundle in the store: exit %d, want 1\n%s", code, got)
	}
	// --owner reads every repository of the owner, but the policy pins the owner only: the
	// other repository's signature passes unless --github or --source-repository pins it.
	srv.Put(other, planted)
	if got, code := verifyStore("--owner", owner, "--source-repository", "https://github.com/"+repo, "dist/app.tar.gz"); code != 1 {
		t.Errorf("--owner with --source-repository of %s accepted %s's bundle: exit %d\n%s", repo, other, code, got)
	}
	if got, code := verifyStore("--github", other, "dist/app.tar.gz"); code != 0 {
		t.Errorf("%s's own bundle from its store: exit %d\n%s", other, code, got)
	}
}

// TestStoreRefusals: flags that cannot work fail before anything is fetched, naming the flag or
// variable, and never show the token.
func TestStoreRefusals(t *testing.T) {
	t.Parallel()
	srv := ghapitest.New(storeToken, "o/r")
	defer srv.Close()
	ss := startSigstore(t)
	dir := workspace(t)
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
		code int
	}{
		{name: "no token", args: []string{"verify", "--github", "o/r", "dist/app.tar.gz"}, want: "set GH_TOKEN or GITHUB_TOKEN", code: 2},
		{name: "wrong token", vars: map[string]string{"GH_TOKEN": "ghp_wrong"}, args: []string{"verify", "--sigstore", ss.Dir, "--github", "o/r", "dist/app.tar.gz"}, want: "401", code: 1},
		{name: "both scopes", vars: map[string]string{"GH_TOKEN": storeToken}, args: []string{"verify", "--github", "o/r", "--owner", "o", "x"}, want: "not both", code: 2},
		{name: "owner with an index", vars: map[string]string{"GH_TOKEN": storeToken}, args: []string{"verify", "--owner", "o", "--index", "i.json", "x"}, want: "--owner fetches bundles", code: 2},
		{name: "hostile owner", vars: map[string]string{"GH_TOKEN": storeToken}, args: []string{"verify", "--owner", "../repos/o", "x"}, want: "--owner", code: 2},
		{name: "upload elsewhere", args: []string{"attest", "--upload", "gitlab", "dist"}, want: "--upload \"gitlab\": expected github", code: 2},
		{name: "upload without a repository", vars: map[string]string{"GH_TOKEN": storeToken}, args: []string{"attest", "--upload", "github", "dist"}, want: "GITHUB_REPOSITORY", code: 1},
		{name: "upload without a token", vars: map[string]string{"GITHUB_REPOSITORY": "o/r"}, args: []string{"attest", "--upload", "github", "dist"}, want: "--upload github: set GH_TOKEN", code: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { // not parallel: the count of requests below follows them
			vars := map[string]string{"GITHUB_API_URL": srv.URL}
			for k, v := range tt.vars {
				vars[k] = v
			}
			out, errOut, code := run(t, dir, vars, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d, want %d saying %q:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
			if strings.Contains(out+errOut, storeToken) {
				t.Error("the token is printed")
			}
		})
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests reached the API; only the wrong token's should", n)
	}
}

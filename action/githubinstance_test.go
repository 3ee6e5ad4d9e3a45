package action_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/cli"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
)

// TestGitHubInstanceSummaryCommands: a run on GitHub's Sigstore instance (here a local Sigstore
// whose Fulcio CA is GitHub's organisation, "GitHub, Inc.", the name gh tells instances apart
// by) prints a gh attestation verify command with no custom trusted root (gh ships GitHub's
// TUF root), which passes the gh emulation given GitHub's trusted root, and fails for a
// modified file and another repository; signet's commands name --sigstore github.
func TestGitHubInstanceSummaryCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ss, err := localsigstore.Start(ctx, localsigstore.WithStateDir(t.TempDir()), localsigstore.WithCAOrganization("GitHub, Inc."))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	ep := newTokenEndpoint(t, ss)
	_, meta := readActionYAML(t)
	claims := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	st := newStep(t, ss, ep, meta, claims, map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore"})
	var stdout, stderr bytes.Buffer
	if code := cli.Run(ctx, []string{"attest"}, cli.Env{Getenv: envOf(st.env), Stdout: &stdout, Stderr: &stderr, Dir: st.ws}); code != 0 {
		t.Fatalf("attest exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	ix, err := core.ReadIndex(filepath.Join(st.ws, "attestations", core.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	// Publish the run as one on GitHub's instance: the summary is what such a run prints.
	env := maps(st.env)
	env["GITHUB_STEP_SUMMARY"] = filepath.Join(t.TempDir(), "summary")
	env["GITHUB_OUTPUT"] = filepath.Join(t.TempDir(), "output")
	env["INPUT_GITHUB-TOKEN"] = ""
	out := ci.Outcome{Index: ix, Dir: st.ws, OutputDir: filepath.Join(st.ws, "attestations"), Sigstore: "github"}
	if err := action.New(envOf(env), &bytes.Buffer{}).Publish(ctx, out); err != nil {
		t.Fatal(err)
	}
	summary := readFile(t, env["GITHUB_STEP_SUMMARY"])
	githubRoot := filepath.Join(st.ws, "sigstore", "trusted_root.json") // what gh fetches from GitHub's TUF repository
	var gh []string
	for _, c := range summaryCommands(t, summary) {
		switch c[0] {
		case "gh":
			gh = c
		case "signet":
			if !slices.Contains(c, "github") || !slices.Contains(c, "--sigstore") {
				t.Errorf("%q does not name --sigstore github", c)
			}
		}
	}
	if gh == nil {
		t.Fatalf("no gh command in the summary:\n%s", summary)
	}
	if slices.Contains(gh, "--custom-trusted-root") {
		t.Errorf("%q: gh ships GitHub's root; no custom root is needed", gh)
	}
	if err := ghVerifyWith(st.ws, gh, ghTrust{GitHub: githubRoot}); err != nil {
		t.Errorf("%q, as the summary prints it, fails as gh v2.83.0: %v", gh, err)
	}
	other := slices.Clone(gh)
	other[slices.Index(other, "--repo")+1] = "signet-ci/other"
	if err := ghVerifyWith(st.ws, other, ghTrust{GitHub: githubRoot}); err == nil {
		t.Error("the gh emulation accepted another repository")
	}
	if err := os.WriteFile(filepath.Join(st.ws, "dist/app.tar.gz"), []byte("modified"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ghVerifyWith(st.ws, gh, ghTrust{GitHub: githubRoot}); err == nil || !strings.Contains(err.Error(), "verifying") {
		t.Errorf("the gh emulation accepted a modified file: %v", err)
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

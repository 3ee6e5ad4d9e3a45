package action_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/cli"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/shellwords"
	"github.com/signet-ci/signet/localsigstore"
)

// TestPublicGoodUnloggedHasNoGhCommand: a bundle whose certificate names public-good's
// organisation ("sigstore.dev") but that has no transparency log entry — what a public-good run
// of a private repository without private-repo-tlog makes — fails gh's public-good verifier
// (which requires an SCT, a log entry and an observer timestamp), so the summary of such a run
// prints no gh command and says why, while a logged public-good run and the other instances keep
// theirs. The local Sigstore here has no CT log and no Rekor, so its bundles lack both; the
// tier-3 test TestTier3PublicGoodGhCommand shows the same refusal for a bundle that has an SCT.
func TestPublicGoodUnloggedHasNoGhCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ss, err := localsigstore.Start(ctx, localsigstore.WithStateDir(t.TempDir()), localsigstore.WithCAOrganization("sigstore.dev"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	ep := newTokenEndpoint(t, ss)
	_, meta := readActionYAML(t)
	st := newStep(t, ss, ep, meta, localsigstore.DefaultClaims(localsigstore.PresetGitHub),
		map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore"})
	var stdout, stderr bytes.Buffer
	if code := cli.Run(ctx, []string{"attest"}, cli.Env{Getenv: envOf(st.env), Stdout: &stdout, Stderr: &stderr, Dir: st.ws}); code != 0 {
		t.Fatalf("attest exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	ix, err := core.ReadIndex(filepath.Join(st.ws, "attestations", core.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	if ix.Tlog.Used {
		t.Fatalf("the local Sigstore has no log, yet the index says the run was logged: %+v", ix.Tlog)
	}
	out := ci.Outcome{Index: ix, Dir: st.ws, OutputDir: filepath.Join(st.ws, "attestations"), Sigstore: "public", Visibility: "private"}

	// The command signet printed before: gh's public-good verifier refuses the bundle.
	file, bundle, ok := out.Example()
	if !ok {
		t.Fatal("no example artifact")
	}
	words, err := shellwords.Split(out.GhCommand(file, bundle, st.env["GITHUB_REPOSITORY"]).Lines(" "))
	if err != nil {
		t.Fatal(err)
	}
	publicGood := filepath.Join(st.ws, "sigstore", "trusted_root.json") // stands in for public-good's TUF root
	if err := ghVerifyWith(st.ws, words, ghTrust{PublicGood: publicGood}); err == nil || !strings.Contains(err.Error(), `verifying with issuer`) {
		t.Fatalf("gh's public-good verifier accepted a bundle with no SCT and no log entry: %v", err)
	}
	// The organisation alone picks the verifier: without public-good's root gh has none to use.
	if err := ghVerifyWith(st.ws, words, ghTrust{GitHub: publicGood}); err == nil || !strings.Contains(err.Error(), "sigstore.dev") {
		t.Errorf("a sigstore.dev certificate was checked with GitHub's root: %v", err)
	}

	env := maps(st.env)
	env["GITHUB_STEP_SUMMARY"] = filepath.Join(t.TempDir(), "summary")
	env["GITHUB_OUTPUT"] = filepath.Join(t.TempDir(), "output")
	env["INPUT_GITHUB-TOKEN"] = ""
	if err := action.New(envOf(env), &bytes.Buffer{}).Publish(ctx, out); err != nil {
		t.Fatal(err)
	}
	summary := readFile(t, env["GITHUB_STEP_SUMMARY"])
	var cosign bool
	for _, c := range summaryCommands(t, summary) {
		switch c[0] {
		case "gh":
			t.Errorf("the summary of an unlogged public-good run prints %q, which gh refuses", c)
		case "cosign":
			cosign = true
		}
	}
	if !cosign || !strings.Contains(summary, "requires a transparency log entry for a public-good certificate") {
		t.Errorf("the summary neither keeps cosign's command nor says why gh's is missing:\n%s", summary)
	}

	for _, tc := range []struct {
		sigstore string
		logged   bool
		want     bool
	}{
		{"public", true, true},
		{"public", false, false},
		{"github", false, true},
		{"local", false, true},
		{filepath.Join(st.ws, "sigstore"), false, true},
	} {
		o := out
		ixc := *ix
		ixc.Tlog.Used = tc.logged
		o.Index, o.Sigstore = &ixc, tc.sigstore
		if got := o.GhVerifies(); got != tc.want {
			t.Errorf("GhVerifies on %q, logged %v = %v, want %v", tc.sigstore, tc.logged, got, tc.want)
		}
	}
}

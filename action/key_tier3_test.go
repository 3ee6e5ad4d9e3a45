//go:build tier3

package action_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/localsigstore"
)

// TestTier3KeyedSummaryCosign runs the action with the key input naming a PEM file, then every
// command its summary prints, as printed: signet's with the release build, cosign's with the
// upstream cosign scripts/tier3.sh built (SIGNET_TIER3_COSIGN), which must also refuse a
// modified artifact.
func TestTier3KeyedSummaryCosign(t *testing.T) {
	cosign := os.Getenv("SIGNET_TIER3_COSIGN")
	if cosign == "" {
		t.Fatal("tier-3 tests need SIGNET_TIER3_COSIGN: run scripts/tier3.sh, which builds cosign")
	}
	bin := buildLikeRelease(t)
	ss, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	ep := newTokenEndpoint(t, ss)
	_, meta := readActionYAML(t)
	st := newStep(t, ss, ep, meta, localsigstore.DefaultClaims(localsigstore.PresetGitHub),
		map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore", "key": "keys/release.pem"})
	writeKey(t, filepath.Join(st.ws, "keys", "release.pem"))
	if res := st.run(t, bin, "attest"); res.code != 0 {
		t.Fatalf("attest exited %d:\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	summary := readFile(t, st.env["GITHUB_STEP_SUMMARY"])
	run := func(c []string) (string, error) {
		prog := bin
		if c[0] == "cosign" {
			prog = cosign
		}
		cmd := exec.Command(prog, c[1:]...)
		cmd.Dir, cmd.Env = st.ws, []string{"HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	var cosignCmd []string
	for _, c := range summaryCommands(t, summary) {
		if c[0] == "cosign" {
			cosignCmd = c
		}
		if out, err := run(c); err != nil {
			t.Errorf("%q, as the summary prints it, failed: %v\n%s", c, err, out)
		}
	}
	if cosignCmd == nil || !strings.Contains(strings.Join(cosignCmd, " "), "--key attestations/signing-key.pub") {
		t.Fatalf("the summary offers no cosign --key command:\n%s", summary)
	}
	writeFiles(t, st.ws, map[string]string{"dist/app.tar.gz": "modified"})
	if out, err := run(cosignCmd); err == nil {
		t.Errorf("cosign accepted a modified artifact:\n%s", out)
	}
}

package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
)

// TestAttestSurvivesSIGKILL runs signet attest over 3,000 files as a child process (this test
// binary re-executed as signet) and kills it with SIGKILL at random points across digesting,
// signing and publishing, at least 50 times. After every kill the output directory holds the
// last complete run (its index parses and every bundle it lists is there with the sha256 the
// index records) or, before any run completed, nothing; the next run needs no --force unless a
// complete run is there, and removes and names the staging directories that kills left.
func TestAttestSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	tok := ss.tokenFile(t, localsigstore.PresetGitHub, localsigstore.WithExpiry(30*time.Minute))
	dir := t.TempDir()
	for i := range 3000 {
		p := filepath.Join(dir, "dist", fmt.Sprintf("d%02d", i/100), fmt.Sprintf("f%04d.bin", i))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("artifact %d", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "attestations")
	child := func(force bool) *exec.Cmd {
		args := []string{"attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "--max-subjects", "100", "dist"}
		if force {
			args = append(args, "--force")
		}
		cmd := exec.Command(self, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SIGNET_TEST_CHILD=1", "SIGSTORE_ID_TOKEN=", "GITHUB_ACTIONS=", "GITLAB_CI=", "CI=")
		return cmd
	}

	// One complete run gives the time the kills are spread over.
	start := time.Now()
	if out, err := child(false).CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	full := time.Since(start)
	committed := checkComplete(t, outDir)
	if committed == nil {
		t.Fatal("a complete run left no index")
	}
	// Start over from an empty directory so the first kills also cover "no run yet".
	if err := os.RemoveAll(outDir); err != nil {
		t.Fatal(err)
	}
	committed = nil

	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))
	var kills, staged, completed, recovered int
	attempt := func() {
		t.Helper()
		cmd := child(committed != nil)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		before := stagingNames(t, dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Half of the kills anywhere in a run; half once its staging directory appears (publishing).
		began := time.Now()
		if kills%2 == 0 {
			time.Sleep(time.Duration(r.Int64N(int64(full))))
		} else {
			for !newStaging(t, dir, before) && time.Since(began) < 2*full {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(time.Duration(r.Int64N(int64(5 * time.Millisecond))))
		}
		d := time.Since(began)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if err == nil && d < full {
			full = d // the machine got faster: spread the kills over the shorter run
		}
		if strings.Contains(stderr.String(), "left by an interrupted run") {
			recovered++
		}
		if err == nil {
			completed++
		} else if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
		} else {
			t.Fatalf("run failed without being killed: %v\n%s", err, stderr.String())
		}
		if newStaging(t, dir, before) {
			staged++
		}
		ix := checkComplete(t, outDir)
		switch {
		case ix == nil && committed != nil:
			t.Fatalf("kill %d after %v lost the complete run", kills, d)
		case ix == nil:
			if entries, err := os.ReadDir(outDir); err == nil && len(entries) > 0 {
				t.Fatalf("kill %d after %v left %d entries in the output directory and no index", kills, d, len(entries))
			}
		}
		if ix != nil {
			committed = ix
		}
	}
	// Kills before any run completed: nothing may appear in the output directory.
	for kills < 25 && committed == nil {
		attempt()
	}
	// The next run needs no --force after them, and removes their staging directories.
	if committed == nil {
		cmd := child(false)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("run without --force after %d kills: %v\n%s", kills, err, stderr.String())
		}
		if strings.Contains(stderr.String(), "left by an interrupted run") {
			recovered++
		}
		if committed = checkComplete(t, outDir); committed == nil {
			t.Fatal("the run after the kills left no complete index")
		}
	}
	// Kills of --force runs over a complete run: the old run or the new one, never a mix.
	for kills < 55 {
		attempt()
	}
	cmd := child(true)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run after the kills: %v\n%s", err, stderr.String())
	}
	if checkComplete(t, outDir) == nil {
		t.Fatal("final run left no complete index")
	}
	if n := len(stagingNames(t, dir)); n != 0 {
		t.Errorf("%d staging directories left after a complete run", n)
	}
	t.Logf("full run %v; %d kills (%d left a staging directory), %d runs completed before their kill, %d runs named leftovers they removed",
		full, kills, staged, completed, recovered)
	if staged == 0 || recovered == 0 {
		t.Errorf("no kill landed while staging (%d) or no run removed leftovers (%d): the publish phase was not exercised", staged, recovered)
	}
}

// stagingNames lists the staging directories beside the output directory.
func stagingNames(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		if core.IsStagingName(e.Name()) {
			out[e.Name()] = true
		}
	}
	return out
}

// newStaging reports whether a staging directory not in before is there.
func newStaging(t *testing.T, dir string, before map[string]bool) bool {
	t.Helper()
	for n := range stagingNames(t, dir) {
		if !before[n] {
			return true
		}
	}
	return false
}

// checkComplete returns the index bytes of the run in outDir after checking that it is whole,
// or nil when there is no index. A half-written run fails the test.
func checkComplete(t *testing.T, outDir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(outDir, core.IndexFile))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var ix core.Index
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatalf("index.json does not parse: %v", err)
	}
	if len(ix.Attestations) != 3000/100 || len(ix.Subjects) != 3000 {
		t.Fatalf("index lists %d bundles and %d subjects, want 30 and 3000", len(ix.Attestations), len(ix.Subjects))
	}
	for _, a := range ix.Attestations {
		bundle, err := os.ReadFile(filepath.Join(outDir, a.Bundle))
		if err != nil {
			t.Fatalf("index lists %s: %v", a.Bundle, err)
		}
		sum := sha256.Sum256(bundle)
		if got := hex.EncodeToString(sum[:]); got != a.Digest["sha256"] {
			t.Fatalf("%s has sha256 %s, the index says %s: not this run's bundle", a.Bundle, got, a.Digest["sha256"])
		}
	}
	filepath.WalkDir(outDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Fatalf("stray temporary file %s", p)
		}
		return nil
	})
	return b
}

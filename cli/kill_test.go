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
		args := []string{"attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "--max-subjects", "25", "dist"}
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
	for kills < 55 {
		cmd := child(committed != nil)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Half of the kills anywhere in a run, half in its last third (signing and publishing).
		d := time.Duration(r.Int64N(int64(full) * 11 / 10))
		if kills%2 == 1 {
			d = full*2/3 + time.Duration(r.Int64N(int64(full)/2))
		}
		time.Sleep(d)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if strings.Contains(stderr.String(), "left by an interrupted run") {
			recovered++
		}
		if err == nil {
			completed++
		} else if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
		} else {
			t.Fatalf("run %d failed without being killed: %v\n%s", kills+completed, err, stderr.String())
		}
		if leftovers(t, dir) > 0 {
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
		case committed != nil && !bytes.Equal(ix, committed) && err != nil:
			t.Logf("kill %d after %v landed after the publish: the new run is complete", kills, d)
		}
		if ix != nil {
			committed = ix
		}
	}
	// The next run completes, without --force when nothing was committed, and cleans up.
	cmd := child(committed != nil)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run after the kills: %v\n%s", err, stderr.String())
	}
	if checkComplete(t, outDir) == nil {
		t.Fatal("final run left no complete index")
	}
	if n := leftovers(t, dir); n != 0 {
		t.Errorf("%d staging directories left after a complete run", n)
	}
	t.Logf("full run %v; %d kills (%d left a staging directory), %d runs completed before their kill, %d runs named leftovers they removed",
		full, kills, staged, completed, recovered)
	if staged == 0 || recovered == 0 {
		t.Errorf("no kill landed while staging (%d) or no run removed leftovers (%d): the publish phase was not exercised", staged, recovered)
	}
}

// leftovers counts staging directories beside the output directory.
func leftovers(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if core.IsStagingName(e.Name()) {
			n++
		}
	}
	return n
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
	if len(ix.Attestations) != 3000/25 || len(ix.Subjects) != 3000 {
		t.Fatalf("index lists %d bundles and %d subjects, want 120 and 3000", len(ix.Attestations), len(ix.Subjects))
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

//go:build unix

package verify_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/verify"
)

// specialFiles returns Unix's special files that are not files to read, by name: a device
// that never ends and a FIFO no one writes to.
func specialFiles(t *testing.T) map[string]string {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"/dev/zero": "/dev/zero", "fifo": fifo}
}

// TestIndexBundleFIFO lists a FIFO inside the index's directory as the bundle: each artifact
// fails at once with the bundle named, and the run does not hang.
func TestIndexBundleFIFO(t *testing.T) {
	t.Parallel()
	r := attestFiles(t, 2, core.SHA256)
	fifo := filepath.Join(filepath.Dir(r.index), "fifo.sigstore.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	editIndex(t, r, func(ix *core.Index) {
		ix.Attestations[0].Bundle = "fifo.sigstore.json"
		for i := range ix.Subjects {
			ix.Subjects[i].Bundles = []string{"fifo.sigstore.json"}
		}
	})
	var rep *verify.Report
	_ = fast(t, "verify with a FIFO bundle", func() error {
		rep = verifyRun(t, verify.Sigstore(local(t).verifier), githubDemoPolicy(t), r)
		return nil
	})
	if rep.Verified || rep.Summary.Failed != 2 {
		t.Fatalf("verified %d, failed %d, want 2 failures", rep.Summary.Verified, rep.Summary.Failed)
	}
	for _, f := range failures(rep) {
		if !strings.Contains(f, "not a regular file") || !strings.Contains(f, fifo) {
			t.Errorf("failure %q does not name the FIFO bundle as not a regular file", f)
		}
	}
}

//go:build unix && !nolocalsigstore

package cli

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// fifoTrustedRoots makes ws/fifo-dir/trusted_root.json a FIFO and returns the case of
// TestSigstoreTrustedRootRefuses that points --sigstore at it.
func fifoTrustedRoots(t *testing.T, ws string) []trustedRootRefusal {
	t.Helper()
	if err := os.Mkdir(filepath.Join(ws, "fifo-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(ws, "fifo-dir", "trusted_root.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []trustedRootRefusal{{"a FIFO instead of a file", []string{"--sigstore", "fifo-dir"}, []string{"--sigstore fifo-dir", "not a regular file"}}}
}

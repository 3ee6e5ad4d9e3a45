//go:build unix

package sigstore_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/signet-ci/signet/core/sigstore"
)

// specialTrustFiles returns the cases of TestTrustFileBounded that need Unix's special files:
// a device that never ends, a FIFO no one writes to, and a directory whose trusted root
// (trustedRoot) is fine but whose signing config is a FIFO.
func specialTrustFiles(t *testing.T, trustedRoot []byte) []boundedCase {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fifoConfig := t.TempDir()
	if err := os.WriteFile(filepath.Join(fifoConfig, sigstore.TrustedRootFile), trustedRoot, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(fifoConfig, sigstore.SigningConfigFile), 0o600); err != nil {
		t.Fatal(err)
	}
	return []boundedCase{
		{"/dev/zero", "/dev/zero", "not a regular file", loadRoot},
		{"fifo", fifo, "not a regular file", loadRoot},
		{"signing config FIFO", fifoConfig, "not a regular file", func(p string) error { _, err := sigstore.LoadDir(p); return err }},
	}
}

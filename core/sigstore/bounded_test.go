package sigstore_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ci/signet/core/sigstore"
)

// TestTrustFileBounded points --trusted-root and --sigstore DIR at files that are not trust
// material to read: each fails at once with ErrTrust, naming the file and why.
func TestTrustFileBounded(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.json")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, sigstore.MaxTrustFileSize+1); err != nil {
		t.Fatal(err)
	}
	// A directory whose trusted root is fine but whose signing config is a FIFO.
	fifoConfig := t.TempDir()
	if err := os.WriteFile(filepath.Join(fifoConfig, sigstore.TrustedRootFile), s.TrustedRoot(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(fifoConfig, sigstore.SigningConfigFile), 0o600); err != nil {
		t.Fatal(err)
	}
	limit := fmt.Sprintf("larger than the %d-byte limit", sigstore.MaxTrustFileSize)
	for _, tt := range []struct {
		name, path, want string
		load             func(string) error
	}{
		{"/dev/zero", "/dev/zero", "not a regular file", loadRoot},
		{"fifo", fifo, "not a regular file", loadRoot},
		{"huge", huge, limit, loadRoot},
		{"directory", dir, "not a regular file", loadRoot},
		{"signing config FIFO", fifoConfig, "not a regular file", func(p string) error { _, err := sigstore.LoadDir(p); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan error, 1)
			go func() { done <- tt.load(tt.path) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("loading %s: still reading after 10 s", tt.name)
			}
			if !errors.Is(err, sigstore.ErrTrust) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("loading %s = %v, want %v naming %q and %q", tt.name, err, sigstore.ErrTrust, tt.path, tt.want)
			}
		})
	}
}

func loadRoot(p string) error {
	_, err := sigstore.LoadTrustedRoot(p)
	return err
}

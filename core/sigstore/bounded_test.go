package sigstore_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core/sigstore"
)

// TestTrustFileBounded points --trusted-root and --sigstore DIR at files that are not trust
// material to read: each fails at once with ErrTrust, naming the file and why. On Unix the
// cases include a device and FIFOs (specialTrustFiles).
func TestTrustFileBounded(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.json")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, sigstore.MaxTrustFileSize+1); err != nil {
		t.Fatal(err)
	}
	limit := fmt.Sprintf("larger than the %d-byte limit", sigstore.MaxTrustFileSize)
	cases := append([]boundedCase{
		{"huge", huge, limit, loadRoot},
		{"directory", dir, "not a regular file", loadRoot},
	}, specialTrustFiles(t, s.TrustedRoot())...)
	for _, tt := range cases {
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

// boundedCase is a file that is not trust material to read, and what the error says.
type boundedCase struct {
	name, path, want string
	load             func(string) error
}

func loadRoot(p string) error {
	_, err := sigstore.LoadTrustedRoot(p)
	return err
}

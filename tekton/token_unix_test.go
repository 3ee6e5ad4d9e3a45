//go:build unix

package tekton

import (
	"syscall"
	"testing"

	"github.com/signet-ci/signet/core"
)

// fifoTokenFiles returns the case of TestTokenFile that needs a FIFO: reading it would block.
func fifoTokenFiles() []tokenFileCase {
	return []tokenFileCase{{"a FIFO would block the read", func(t *testing.T, path string) string {
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
		return ""
	}, core.ErrNoToken, []string{"not a regular file"}}}
}

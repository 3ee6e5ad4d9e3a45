//go:build unix

package cli

import (
	"path/filepath"
	"syscall"
	"testing"
)

// fifoRefusals returns the cases of TestAttestRefusals that need a FIFO.
func fifoRefusals() []attestRefusal {
	return []attestRefusal{{"FIFO in a directory", func(t *testing.T, dir string) {
		if err := syscall.Mkfifo(filepath.Join(dir, "dist", "pipe"), 0o644); err != nil {
			t.Fatal(err)
		}
	}, []string{"dist"}, []string{`"dist/pipe": not a regular file (a FIFO)`}, false}}
}

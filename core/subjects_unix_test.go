//go:build unix

package core_test

// The special files of Unix (FIFOs, sockets, devices) are refused as subjects and checksums
// files; Windows has none in its file system, so these tests are Unix's only.

import (
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
)

func TestCollectRefusesSpecialFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		in    core.Inputs
		want  string
	}{
		{"FIFO in a directory", fifo("dist/pipe"), core.Inputs{Paths: []string{"dist"}}, `"dist/pipe": not a regular file (a FIFO)`},
		{"FIFO named directly", fifo("dist/pipe"), core.Inputs{Paths: []string{"dist/pipe"}}, `"dist/pipe": not a regular file (a FIFO)`},
		{"FIFO matched by a glob", fifo("dist/pipe"), core.Inputs{Paths: []string{"dist/p*"}}, "a FIFO"},
		{"symlink to a FIFO", func(t *testing.T, dir string) {
			fifo("dist/pipe")(t, dir)
			symlink(t, "pipe", filepath.Join(dir, "dist", "link"))
		}, core.Inputs{Paths: []string{"dist/link"}}, `"dist/link": not a regular file (a FIFO)`},
		{"socket in a directory", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "dist", "s.sock")
			l, err := net.Listen("unix", p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, core.Inputs{Paths: []string{"dist"}}, "a socket"},
		{"device outside the base named directly", nil, core.Inputs{Paths: []string{"/dev/null"}}, "outside the base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tree(t, map[string]string{"dist/a": "a"})
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			_, err := collectIn(t, dir, tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func fifo(name string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := syscall.Mkfifo(filepath.Join(dir, filepath.FromSlash(name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestChecksumFileFIFO: a FIFO checksums file with no writer is refused at once.
func TestChecksumFileFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo("SUMS")(t, dir)
	done := make(chan error, 1)
	go func() { _, err := core.ReadChecksumFile(filepath.Join(dir, "SUMS")); done <- err }()
	// A FIFO checksums file with no writer: opening it must not wait for one.
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file (a FIFO)") {
			t.Errorf("FIFO checksums file: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO checksums file hangs")
	}
}

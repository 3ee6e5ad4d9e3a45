package verify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/verify"
)

// fast runs f and fails the test if it has not returned within a few seconds: a read of a
// FIFO or a device must fail at once, not wait for a writer or fill memory.
func fast(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still reading after 10 s", what)
		return nil
	}
}

// hostileFiles returns paths that are not files to read: a sparse file one byte over limit, a
// directory and, on Unix, a device that never ends and a FIFO no one writes to (specialFiles).
func hostileFiles(t *testing.T, limit int64) map[string]struct{ path, want string } {
	t.Helper()
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.json")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, limit+1); err != nil {
		t.Fatal(err)
	}
	files := map[string]struct{ path, want string }{
		"huge":      {huge, fmt.Sprintf("larger than the %d-byte limit", limit)},
		"directory": {dir, "not a regular file"},
	}
	for name, path := range specialFiles(t) {
		files[name] = struct{ path, want string }{path, "not a regular file"}
	}
	return files
}

func TestReadIndexBounded(t *testing.T) {
	t.Parallel()
	for name, tt := range hostileFiles(t, verify.MaxIndexSize) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := fast(t, name, func() error { _, err := verify.OpenIndex(tt.path); return err })
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), fmt.Sprintf("index %q", tt.path)) {
				t.Errorf("OpenIndex(%s) = %v, want an error naming the index and %q", name, err, tt.want)
			}
			err = fast(t, name, func() error { _, err := verify.Inspect(tt.path); return err })
			if err == nil || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("Inspect(%s) = %v, want an error naming the file", name, err)
			}
		})
	}
}

func TestReadBundleBounded(t *testing.T) {
	t.Parallel()
	for name, tt := range hostileFiles(t, verify.MaxBundleSize) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := fast(t, name, func() error { _, err := verify.ReadBundleFile(tt.path); return err })
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), fmt.Sprintf("bundle %q", tt.path)) {
				t.Errorf("ReadBundleFile(%s) = %v, want an error naming the bundle and %q", name, err, tt.want)
			}
		})
	}
}

// editIndex rewrites the run's index through edit.
func editIndex(t *testing.T, r *attestedRun, edit func(ix *core.Index)) {
	t.Helper()
	ix, err := verify.ReadIndex(r.index)
	if err != nil {
		t.Fatal(err)
	}
	edit(ix)
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, r.index, b)
}

// TestIndexBundlePathsConfined lists bundles outside the index's directory, in the
// attestations and in a subject's bundles, and requires OpenIndex and Inspect to refuse the
// index, naming it and the entry, before any bundle is opened.
func TestIndexBundlePathsConfined(t *testing.T) {
	t.Parallel()
	outside := attestFiles(t, 2, core.SHA256) // a valid bundle another run wrote
	oix, err := verify.ReadIndex(outside.index)
	if err != nil {
		t.Fatal(err)
	}
	outsideBundle := filepath.Join(filepath.Dir(outside.index), oix.Attestations[0].Bundle)
	if _, err := verify.ReadBundleFile(outsideBundle); err != nil {
		t.Fatalf("the other run's bundle: %v", err)
	}
	link := func(target string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.Symlink(target, filepath.Join(dir, "attestations", "escape.sigstore.json")); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		name, entry string
		setup       func(t *testing.T, dir string)
		want        string
	}{
		{name: "dot-dot to /dev/zero", entry: "../../../../dev/zero"},
		{name: "dot-dot to a sibling", entry: "../dist/d000/f00000.bin"},
		{name: "dot-dot inside then out", entry: "sub/../../index.json"},
		{name: "absolute /dev/zero", entry: "/dev/zero"},
		{name: "absolute bundle", entry: outsideBundle},
		{name: "empty", entry: ""},
		{name: "backslash climb", entry: `..\..\dev\zero`},
		{name: "NUL byte", entry: "provenance.sigstore.json\x00.x"},
		{name: "symlink to /dev/zero", entry: "escape.sigstore.json", setup: link("/dev/zero"), want: "resolves to"},
		{name: "symlink to another run's valid bundle", entry: "escape.sigstore.json", setup: link(outsideBundle), want: "resolves to"},
		{name: "relative symlink climbing out", entry: "escape.sigstore.json", setup: func(t *testing.T, dir string) {
			rel, err := filepath.Rel(filepath.Join(dir, "attestations"), outsideBundle)
			if err != nil || !strings.HasPrefix(rel, "..") {
				t.Fatalf("relative path to the other run: %q, %v", rel, err)
			}
			link(rel)(t, dir)
		}, want: "resolves to"},
		{name: "dangling symlink", entry: "escape.sigstore.json", setup: link("/nonexistent/signet/bundle.json"), want: "does not resolve"},
		{name: "symlinked directory escaping", entry: "linked/" + filepath.Base(outsideBundle), setup: func(t *testing.T, dir string) {
			if err := os.Symlink(filepath.Join(outside.dir, "attestations"), filepath.Join(dir, "attestations", "linked")); err != nil {
				t.Fatal(err)
			}
		}, want: "resolves to"},
	} {
		for _, where := range []string{"attestation", "subject"} {
			t.Run(tt.name+"/"+where, func(t *testing.T) {
				t.Parallel()
				r := attestFiles(t, 2, core.SHA256)
				if tt.setup != nil {
					tt.setup(t, r.dir)
				}
				editIndex(t, r, func(ix *core.Index) {
					if where == "attestation" {
						ix.Attestations[0].Bundle = tt.entry
					} else {
						ix.Subjects[1].Bundles = append(ix.Subjects[1].Bundles, tt.entry)
					}
				})
				want := fmt.Sprintf("index %q: bundle %q: ", r.index, tt.entry)
				_, err := verify.OpenIndex(r.index)
				if !errors.Is(err, verify.ErrIndexPath) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("OpenIndex = %v, want %v naming %q and %q", err, verify.ErrIndexPath, want, tt.want)
				}
				if where == "attestation" {
					if _, err := verify.Inspect(r.index); !errors.Is(err, verify.ErrIndexPath) || !strings.Contains(err.Error(), want) {
						t.Errorf("Inspect = %v, want %v naming %q", err, verify.ErrIndexPath, want)
					}
				}
			})
		}
	}
}

// TestIndexBundlePathsInside keeps what attest writes working: a bundle in a subdirectory, a
// cleanable path and a symbolic link that stays inside the directory all verify.
func TestIndexBundlePathsInside(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		entry func(bundle string) string
		setup func(t *testing.T, attestations, bundle string)
	}{
		{"as written", func(b string) string { return b }, nil},
		{"through a subdirectory and back", func(b string) string { return "sub/../" + b }, func(t *testing.T, dir, _ string) {
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"moved to a subdirectory", func(b string) string { return "nested/" + b }, func(t *testing.T, dir, b string) {
			if err := os.MkdirAll(filepath.Join(dir, "nested"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(dir, b), filepath.Join(dir, "nested", b)); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink inside", func(string) string { return "alias.sigstore.json" }, func(t *testing.T, dir, b string) {
			if err := os.Symlink(b, filepath.Join(dir, "alias.sigstore.json")); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := attestFiles(t, 3, core.SHA256)
			editIndex(t, r, func(ix *core.Index) {
				old := ix.Attestations[0].Bundle
				if tt.setup != nil {
					tt.setup(t, filepath.Dir(r.index), old)
				}
				ix.Attestations[0].Bundle = tt.entry(old)
				for i := range ix.Subjects {
					ix.Subjects[i].Bundles = []string{tt.entry(old)}
				}
			})
			rep := verifyRun(t, verify.Sigstore(local(t).verifier), githubDemoPolicy(t), r)
			if !rep.Verified || rep.Summary.Verified != 3 {
				t.Errorf("verified %d of 3: %v", rep.Summary.Verified, failures(rep))
			}
		})
	}
}

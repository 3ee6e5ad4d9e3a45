package core_test

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/signet-ci/signet/core"
)

func sum256(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func sum512(s string) string { h := sha512.Sum512([]byte(s)); return hex.EncodeToString(h[:]) }

// tree writes files (name → content) under a new temp dir and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type named struct{ Name, SHA256 string }

func names(subjects []core.Subject) []named {
	var out []named
	for _, s := range subjects {
		out = append(out, named{s.Name, s.Digest["sha256"]})
	}
	return out
}

func TestCollect(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"dist/a.tar.gz":       "a",
		"dist/b.zip":          "b",
		"dist/sub/c.tar.gz":   "c",
		"dist/sub/deep/d.txt": "d",
		"other/e.tar.gz":      "e",
	}
	ref := "ghcr.io/org/app@sha256:" + sum256("img")
	tests := []struct {
		name string
		in   core.Inputs
		want []named
	}{
		{"file", core.Inputs{Paths: []string{"dist/b.zip"}}, []named{{"dist/b.zip", sum256("b")}}},
		{"directory is recursive and sorted", core.Inputs{Paths: []string{"dist"}}, []named{
			{"dist/a.tar.gz", sum256("a")}, {"dist/b.zip", sum256("b")},
			{"dist/sub/c.tar.gz", sum256("c")}, {"dist/sub/deep/d.txt", sum256("d")}}},
		{"single-star glob stays in one directory", core.Inputs{Paths: []string{"dist/*.tar.gz"}}, []named{{"dist/a.tar.gz", sum256("a")}}},
		{"double-star glob spans directories", core.Inputs{Paths: []string{"**/*.tar.gz"}}, []named{
			{"dist/a.tar.gz", sum256("a")}, {"dist/sub/c.tar.gz", sum256("c")}, {"other/e.tar.gz", sum256("e")}}},
		{"pattern in the first segment", core.Inputs{Paths: []string{"*/sub/*.tar.gz"}}, []named{{"dist/sub/c.tar.gz", sum256("c")}}},
		{"double star below a pattern", core.Inputs{Paths: []string{"d*/**/*.txt"}}, []named{{"dist/sub/deep/d.txt", sum256("d")}}},
		{"overlapping inputs are deduplicated", core.Inputs{Paths: []string{"dist/b.zip", "dist/*.zip", "./dist/b.zip"}}, []named{{"dist/b.zip", sum256("b")}}},
		{"ref", core.Inputs{Refs: []string{ref}}, []named{{"ghcr.io/org/app", sum256("img")}}},
		{"files then refs", core.Inputs{Paths: []string{"other"}, Refs: []string{ref, ref}}, []named{
			{"other/e.tar.gz", sum256("e")}, {"ghcr.io/org/app", sum256("img")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tree(t, files)
			c, err := core.NewCollector(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Collect(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, names(got)); d != "" {
				t.Errorf("subjects (-want +got):\n%s", d)
			}
		})
	}
}

func TestCollectAbsolutePathGetsRelativeName(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"out/x.bin": "x"})
	c, err := core.NewCollector(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Collect(context.Background(), core.Inputs{Paths: []string{filepath.Join(dir, "out", "x.bin")}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Name != "out/x.bin" {
		t.Errorf("name = %q, want out/x.bin", got[0].Name)
	}
}

func TestCollectSHA512(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"f": "hello"})
	c, err := core.NewCollector(dir, core.WithAlgorithm(core.SHA512))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Collect(context.Background(), core.Inputs{Paths: []string{"f"}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Digest["sha512"] != sum512("hello") {
		t.Errorf("sha512 = %s", got[0].Digest["sha512"])
	}
}

func TestCollectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		in      core.Inputs
		wantErr error
		wantMsg string
	}{
		{"glob without match", nil, core.Inputs{Paths: []string{"dist/*.rpm"}}, core.ErrNoMatch, `"dist/*.rpm"`},
		{"missing file", nil, core.Inputs{Paths: []string{"nope.bin"}}, os.ErrNotExist, `"nope.bin"`},
		{"empty directory", func(t *testing.T, dir string) { mkdir(t, filepath.Join(dir, "empty")) },
			core.Inputs{Paths: []string{"empty"}}, core.ErrEmptyDir, `"empty"`},
		{"symlink leaving base", func(t *testing.T, dir string) {
			target := filepath.Join(t.TempDir(), "secret")
			write(t, target, "s")
			symlink(t, target, filepath.Join(dir, "dist", "link"))
		}, core.Inputs{Paths: []string{"dist"}}, core.ErrOutsideBase, "link"},
		{"path outside base", func(t *testing.T, dir string) { write(t, filepath.Join(filepath.Dir(dir), "x"), "x") },
			core.Inputs{Paths: []string{"../x"}}, core.ErrOutsideBase, "x"},
		{"malformed ref", nil, core.Inputs{Refs: []string{"app@sha256:abc"}}, core.ErrInvalidSubject, "64 hex digits"},
		{"ref without digest", nil, core.Inputs{Refs: []string{"app"}}, core.ErrInvalidSubject, "NAME@sha256:HEX"},
		{"nothing", nil, core.Inputs{}, core.ErrNoSubjects, "give files"},
		{"malformed checksum line", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "SUMS"), sum256("a")+"  a\nnot-a-digest  b\n")
		}, core.Inputs{ChecksumFiles: []string{"SUMS"}}, core.ErrMalformedChecksum, "SUMS:2"},
		{"checksum line without name", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "SUMS"), sum256("a")+"\n")
		}, core.Inputs{ChecksumFiles: []string{"SUMS"}}, core.ErrMalformedChecksum, "SUMS:1"},
		{"checksum of wrong length", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "SUMS"), strings.Repeat("a", 40)+"  a\n")
		}, core.Inputs{ChecksumFiles: []string{"SUMS"}}, core.ErrMalformedChecksum, "expected 64 (sha256) or 128 (sha512)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tree(t, map[string]string{"dist/a": "a"})
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			c, err := core.NewCollector(filepath.Join(dir))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Collect(context.Background(), tt.in)
			if err == nil {
				t.Fatal("Collect succeeded, want error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not name %q", err, tt.wantMsg)
			}
		})
	}
}

func TestChecksumFile(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"SUMS": sum256("a") + "  dist/a.tar.gz\n" +
		strings.ToUpper(sum256("b")) + " *dist/b.zip\r\n\n" + sum512("c") + "  c with space.bin\n"})
	got, err := core.ReadChecksumFile(filepath.Join(dir, "SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	want := []core.Subject{
		{Name: "dist/a.tar.gz", Digest: map[string]string{"sha256": sum256("a")}},
		{Name: "dist/b.zip", Digest: map[string]string{"sha256": sum256("b")}},
		{Name: "c with space.bin", Digest: map[string]string{"sha512": sum512("c")}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	mkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	mkdir(t, filepath.Dir(link))
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestMatchPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"dist/*.tar.gz", "dist/a.tar.gz", true},
		{"dist/*.tar.gz", "dist/sub/a.tar.gz", false},
		{"**/*.tar.gz", "a.tar.gz", true},
		{"**/*.tar.gz", "x/y/a.tar.gz", true},
		{"dist/**", "dist/x/y", true},
		{"dist/**/b", "dist/b", true},
		{"dist/**/b", "dist/b/c", false},
		{"testdata", "testdata", true},
		{"*/testdata", "a/b/testdata", false},
	}
	for _, tt := range tests {
		if got := core.MatchPath(tt.pattern, tt.name); got != tt.want {
			t.Errorf("MatchPath(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

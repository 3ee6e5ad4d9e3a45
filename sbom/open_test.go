//go:build unix

package sbom

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
)

// TestSBOMDescribesTheSignedBytes: the generator catalogs a subject file only through a
// descriptor of a regular file (never a FIFO, which would block) whose content still has
// the subject's digest, so an SBOM never describes other bytes than the ones signed.
func TestSBOMDescribesTheSignedBytes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	signed := pathSubject(t, "app.bin", write("app.bin", "signed bytes"))
	write("app.bin", "other bytes") // replaced after it was digested

	target := write("target", "signed through a link")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	linked := pathSubject(t, "link", link)
	if err := os.Remove(link); err != nil { // the link is swapped to other bytes after the digest
		t.Fatal(err)
	}
	if err := os.Symlink(write("elsewhere", "not the signed bytes"), link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		s    core.Subject
		is   error
		want string
	}{
		{"content changed after digest", signed, ErrSubjectChanged, `the subject sha256:` + signed.Digest[core.SHA256]},
		{"link swapped after digest", linked, ErrSubjectChanged, `the subject sha256:` + linked.Digest[core.SHA256]},
		{"FIFO", core.Subject{Name: "fifo", Path: fifo}, nil, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, err := NewGenerator()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = g.SBOM(ctx, tc.s, FormatSPDX)
			if err == nil {
				t.Fatal("SBOM succeeded; want a refusal")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v: want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `SBOM of "`+tc.s.Name+`"`) {
				t.Errorf("error %q: want it to name the subject and say %q", err, tc.want)
			}
		})
	}
}

// TestSBOMThroughLink: a subject named by a link (the collector accepts links inside its base)
// is cataloged when the bytes behind it are the ones digested.
func TestSBOMThroughLink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "app.bin")
	if err := os.WriteFile(target, []byte("a plain file"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "latest")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	sp, _ := generate(t, pathSubject(t, "latest", link))
	if len(sp.purls) != 0 {
		t.Errorf("a plain file has packages %v", sp.purls)
	}
}

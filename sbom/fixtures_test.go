package sbom

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/signet-ci/signet/core"
)

// fixtureDir holds fixtures shared by the tests of one run (the compiled Go programs).
var fixtureDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "signet-sbom-fixtures-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixtureModule is a tiny module with two commands and known dependencies, all of which
// this repository's own go.mod requires, so the module cache has them and the build works
// offline (GOPROXY=off).
var fixtureModule = map[string]string{
	"go.mod": `module example.com/fixture

go 1.26

require (
	github.com/google/go-cmp v0.7.0
	github.com/spf13/cobra v1.10.2
	golang.org/x/sync v0.25.0
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
)
`,
	"cmd/hello/main.go": `package main

import "github.com/spf13/cobra"

func main() {
	_ = (&cobra.Command{Use: "hello", Run: func(*cobra.Command, []string) { println("hello") }}).Execute()
}
`,
	"cmd/tool/main.go": `package main

import (
	"context"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"
)

func main() {
	g, _ := errgroup.WithContext(context.Background())
	g.Go(func() error { println(cmp.Diff(1, 2)); return nil })
	_ = g.Wait()
}
`,
}

// goFixtures are the compiled commands and the toolchain version that built them.
type goFixtures struct {
	hello, tool string
	goVersion   string // "1.26.8"
}

var buildFixtures = sync.OnceValues(func() (goFixtures, error) {
	src := filepath.Join(fixtureDir, "module")
	for name, body := range fixtureModule {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return goFixtures{}, err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return goFixtures{}, err
		}
	}
	bin := filepath.Join(fixtureDir, "bin")
	base := append(os.Environ(), "GOFLAGS=-mod=mod", "GOSUMDB=off", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Offline first, from the module cache; then once through the configured module proxy,
	// for a machine whose cache lacks one of the fixture's modules.
	var failures []string
	env := base
	for _, proxy := range []string{"GOPROXY=off", ""} {
		env = base
		if proxy != "" {
			env = append(env, proxy)
		}
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-o", bin+"/", "./cmd/...")
		cmd.Dir, cmd.Env = src, env
		out, err := cmd.CombinedOutput()
		if err == nil {
			failures = nil
			break
		}
		failures = append(failures, fmt.Sprintf("%s: %v\n%s", firstNonEmpty(proxy, "GOPROXY as configured"), err, out))
	}
	if failures != nil {
		return goFixtures{}, fmt.Errorf("building the fixture module:\n%s", strings.Join(failures, "\n"))
	}
	ver := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	ver.Env = env
	out, err := ver.Output()
	if err != nil {
		return goFixtures{}, fmt.Errorf("go env GOVERSION: %w", err)
	}
	return goFixtures{hello: filepath.Join(bin, "hello"), tool: filepath.Join(bin, "tool"),
		goVersion: strings.TrimPrefix(strings.TrimSpace(string(out)), "go")}, nil
})

func goBinaries(t testing.TB) goFixtures {
	t.Helper()
	f, err := buildFixtures()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// helloPurls and toolPurls are what the two fixture commands are made of.
func helloPurls(f goFixtures) []string {
	return []string{
		"pkg:golang/example.com/fixture#cmd/hello",
		"pkg:golang/github.com/spf13/cobra@v1.10.2",
		"pkg:golang/github.com/spf13/pflag@v1.0.10",
		"pkg:golang/stdlib@" + f.goVersion,
	}
}

func toolPurls(f goFixtures) []string {
	return []string{
		"pkg:golang/example.com/fixture#cmd/tool",
		"pkg:golang/github.com/google/go-cmp@v0.7.0",
		"pkg:golang/golang.org/x/sync@v0.25.0",
		"pkg:golang/stdlib@" + f.goVersion,
	}
}

// entry is one member of a test archive: a file, a directory, a symlink or a hard link.
type entry struct {
	name string
	body []byte
	link string
	typ  byte // tar type; 0 means a regular file
}

func file(name, body string) entry          { return entry{name: name, body: []byte(body)} }
func fileBytes(name string, b []byte) entry { return entry{name: name, body: b} }

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tarOf writes entries as a tar stream.
func tarOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg,
			ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		switch e.typ {
		case tar.TypeSymlink, tar.TypeLink:
			h.Typeflag, h.Linkname, h.Size = e.typ, e.link, 0
		case tar.TypeDir:
			h.Typeflag, h.Size, h.Mode = tar.TypeDir, 0, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compress compresses b with gzip, zstd or xz ("" leaves it as is).
func compress(t testing.TB, how string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	switch how {
	case "":
		return b
	case "gz":
		w = gzip.NewWriter(&buf)
	case "zst":
		w, err = zstd.NewWriter(&buf)
	case "xz":
		w, err = xz.NewWriter(&buf)
	default:
		t.Fatalf("unknown compression %q", how)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipOf writes entries as a zip (symlinks stored with their target as content).
func zipOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Unix(1700000000, 0).UTC()}
		body := e.body
		switch e.typ {
		case tar.TypeSymlink:
			h.SetMode(os.ModeSymlink | 0o777)
			body = []byte(e.link)
		case tar.TypeDir:
			h.Name = strings.TrimSuffix(h.Name, "/") + "/"
			h.SetMode(os.ModeDir | 0o755)
		default:
			h.SetMode(0o644)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeSubject writes b to dir/name and returns it as a subject with its sha256.
func writeSubject(t testing.TB, dir, name string, b []byte) core.Subject {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return pathSubject(t, name, p)
}

// pathSubject digests the file at p as core does for a subject.
func pathSubject(t testing.TB, name, p string) core.Subject {
	t.Helper()
	subs, err := core.DigestFiles(context.Background(), []core.FileRef{{Name: name, Path: p}}, core.SHA256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return subs[0]
}

// sorted returns a sorted copy of the union of lists, without duplicates.
func sorted(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

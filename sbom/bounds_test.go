package sbom

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// helperEnv selects the fixture file TestHelperProcess catalogs in a child process; the
// subject's name is in helperEnv_NAME, and helperEnv_MODE is "truncate" or "".
const helperEnv = "SIGNET_SBOM_HELPER"

// helperResult is what the child reports on its standard output.
type helperResult struct {
	Limit, Where, Error string
	Bytes               int // size of the larger document written
	// set by the launcher: the generating process's peak RSS (KiB), wall time, and CPU time
	// (user + system), which measures its work whatever else the machine is running
	MaxRSS int64
	Wall   time.Duration
	CPU    time.Duration
}

// TestHelperProcess is not a test: run by TestHostileBounds in a child process (selected
// by SIGNET_SBOM_HELPER), it catalogs one fixture with the default limits, writes both
// formats and reports the outcome as JSON. Without the variable it returns at once.
//
// The child runs under a small launcher child (helperEnv_LAUNCH=1) rather than straight
// under the test: os/exec starts children with vfork, and Linux carries the parent's
// high-water RSS into the child's maxrss at exec, so a child of the test process (which has
// just built the fixtures) would report the test's peak, not its own. The launcher is a
// fresh process of a few MiB; its own RSS is the floor of what it reports.
func TestHelperProcess(t *testing.T) {
	fixture := os.Getenv(helperEnv)
	if fixture == "" {
		return
	}
	if os.Getenv(helperEnv+"_LAUNCH") == "1" {
		launch(t)
		return
	}
	var opts []Option
	if os.Getenv(helperEnv+"_MODE") == "truncate" {
		opts = append(opts, WithTruncation(true))
	}
	g, err := NewGenerator(opts...)
	if err != nil {
		t.Fatal(err)
	}
	s := pathSubject(t, os.Getenv(helperEnv+"_NAME"), fixture)
	var res helperResult
	for _, format := range Formats {
		p, err := g.SBOM(context.Background(), s, format)
		if err != nil {
			res.Error = err.Error()
			var le *LimitError
			if errors.As(err, &le) {
				res.Limit, res.Where = le.Limit, le.Where
			}
			break
		}
		res.Bytes = max(res.Bytes, len(p.JSON))
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		t.Fatal(err)
	}
}

// launch runs the generating child and reports its result with its peak RSS and wall time.
func launch(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"_LAUNCH=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("generating child: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var res helperResult
	line, _, _ := strings.Cut(stdout.String(), "\n")
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		t.Fatalf("generating child's output %q: %v", stdout.String(), err)
	}
	if res.MaxRSS, err = childPeakRSS(cmd.ProcessState); err != nil {
		t.Fatal(err)
	}
	res.Wall = wall
	res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		t.Fatal(err)
	}
}

// hostileFixture is an input built to exhaust memory or time, and what must come of it.
type hostileFixture struct {
	name     string
	file     string
	build    func(testing.TB, string)
	truncate bool
	limit    string // the limit the error names ("" when the run must succeed)
	where    string // the file inside the archive the error names
	maxBytes int    // with success: the largest document allowed
}

// TestHostileBounds runs SBOM generation for each hostile fixture in a child process and
// asserts its peak RSS (getrusage maxrss) stays under 256 MiB and its wall time under 10 s,
// and that the error names the limit and the file inside the archive (or, with truncation
// asked, that the documents stay small).
func TestHostileBounds(t *testing.T) {
	dir := t.TempDir()
	for _, fx := range []hostileFixture{
		{name: "60 MiB package name", file: "name.tar.gz", build: bigNameTarGz(60 << 20),
			limit: LimitManifestBytes, where: "name.tar.gz!/app/node_modules/x/package.json"},
		{name: "3 MiB package name", file: "name3.tar.gz", build: bigNameTarGz(3 << 20),
			limit: LimitFieldBytes, where: "name3.tar.gz!/app/node_modules/x/package.json"},
		{name: "3 MiB package name truncated", file: "name3t.tar.gz", build: bigNameTarGz(3 << 20), truncate: true, maxBytes: 64 << 10},
		{name: "200k-entry lockfile", file: "package-lock.json", build: writeTo(lockfile(200_000)),
			limit: LimitPackages, where: "package-lock.json"},
		{name: "40 MiB lockfile of 4 KiB names", file: "package-lock.json", build: writeTo(longNamesLock(10_000)),
			limit: LimitOutputBytes, where: "package-lock.json"},
		{name: "lockfile entry with 1.2M dependencies", file: "package-lock.json", build: writeTo(fanOutLock(1_200_000)),
			limit: LimitRelations, where: "package-lock.json"},
		{name: "150k dpkg packages", file: "rootfs.tar.gz", build: manyDpkg(150_000),
			limit: LimitPackages, where: "rootfs.tar.gz!/var/lib/dpkg/status"},
		{name: "apk database of 3M packages", file: "alpine.tar.gz", build: streamed("lib/apk/db/installed", 3_000_000, func(i int) string {
			return fmt.Sprintf("P:p%d\nV:1\n\n", i)
		}), limit: LimitPackages, where: "alpine.tar.gz!/lib/apk/db/installed"},
		{name: "dpkg Depends of 8M commas", file: "commas.tar.gz", build: streamed("var/lib/dpkg/status", 1, func(int) string {
			return "Package: p\nVersion: 1\nDepends: " + strings.Repeat(",", 8<<20) + "\n"
		}), maxBytes: 16 << 10},
		{name: "MANIFEST.MF of 1.3M continuation lines", file: "app.tar.gz", build: streamed("app.jar", 1, func(int) string {
			return string(zipOf(t, file("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nImplementation-Version: 1"+strings.Repeat("\n 0", 1_300_000)+"\n")))
		}), limit: LimitFieldBytes, where: "app.tar.gz!/app.jar"},
		{name: "METADATA of 1.3M continuation lines", file: "py.tar.gz", build: streamed("x-1.dist-info/METADATA", 1, func(int) string {
			return "Name: x\nVersion: 1\nSummary: s" + strings.Repeat("\n s", 1_300_000) + "\n\nbody"
		}), limit: LimitTextBytes, where: "py.tar.gz!/x-1.dist-info/METADATA"},
		{name: "zip bomb", file: "bomb.zip", build: zipBomb, limit: LimitExpandedBytes, where: "bomb.zip"},
		{name: "gzip of 256 MiB zeros", file: "zeros.tar.gz", build: gzipBomb, maxBytes: 16 << 10},
		{name: "nested zips", file: "deep.zip", build: writeTo(nestedZips(t, 10)), limit: LimitDepth,
			where: "deep.zip!/level-8.zip!/level-7.zip!/level-6.zip!/level-5.zip!/level-4.zip!/level-3.zip"},
		{name: "100 MiB METADATA body", file: "py.tar.gz", build: hugeMetadata(100 << 20), maxBytes: 16 << 10},
		{name: "100k members", file: "many.tar", build: func(t testing.TB, p string) { manyTar(t, p, 100_000) },
			limit: LimitMembers, where: "many.tar"},
		{name: "lockfile v1 nested 4000 deep", file: "package-lock.json", build: deepLockV1(4000),
			limit: LimitFieldBytes, where: "package-lock.json"},
	} {
		t.Run(fx.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(fx.name, " ", "_")+"-"+fx.file)
			fx.build(t, p)
			info, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			mode := ""
			if fx.truncate {
				mode = "truncate"
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), helperEnv+"="+p, helperEnv+"_NAME="+fx.file, helperEnv+"_MODE="+mode, helperEnv+"_LAUNCH=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("launcher: %v\n%s", err, out)
			}
			var res helperResult
			line, _, _ := strings.Cut(string(out), "\n")
			if err := json.Unmarshal([]byte(line), &res); err != nil {
				t.Fatalf("launcher output %q: %v", out, err)
			}
			rss, wall, cpu := res.MaxRSS, res.Wall, res.CPU
			t.Logf("%d KiB input: %v CPU, %v wall, %d MiB peak RSS; limit %q at %q, %d-byte document; %s",
				info.Size()>>10, cpu.Round(time.Millisecond), wall.Round(time.Millisecond), rss>>10, res.Limit, res.Where, res.Bytes, res.Error)
			if rss >= 256<<10 {
				t.Errorf("peak RSS %d MiB, want under 256 MiB", rss>>10)
			}
			// The bound is on the child's CPU time, so a loaded machine (other test packages,
			// a CI neighbour) does not fail it; the context's minute stops a hang.
			if cpu >= 10*time.Second {
				t.Errorf("took %v of CPU, want under 10 s", cpu)
			}
			switch {
			case fx.limit != "":
				if res.Limit != fx.limit || res.Where != fx.where || !strings.Contains(res.Error, fx.limit) || !strings.Contains(res.Error, fx.where) {
					t.Errorf("error %q (limit %q at %q); want limit %q named at %q", res.Error, res.Limit, res.Where, fx.limit, fx.where)
				}
			case res.Error != "":
				t.Errorf("error %q; want both documents written", res.Error)
			case res.Bytes > fx.maxBytes:
				t.Errorf("a %d-byte document; want at most %d bytes", res.Bytes, fx.maxBytes)
			}
		})
	}
}

// bigNameTarGz writes a tar.gz holding a package.json whose name is n bytes, streamed (the
// 60 MiB name compresses to a few hundred KB).
func bigNameTarGz(n int) func(testing.TB, string) {
	return func(t testing.TB, p string) {
		head, tail := []byte(`{"name":"`), []byte(`","version":"1.0.0"}`)
		streamTarGz(t, p, "app/node_modules/x/package.json", int64(len(head)+n+len(tail)),
			io.MultiReader(bytes.NewReader(head), repeatReader('n', int64(n)), bytes.NewReader(tail)))
	}
}

// hugeMetadata writes a tar.gz holding a METADATA whose description body is n bytes.
func hugeMetadata(n int) func(testing.TB, string) {
	return func(t testing.TB, p string) {
		head := []byte(pyMetadata("x", "1.0", "License-Expression: MIT\n")) // the blank line ends the headers
		streamTarGz(t, p, "site-packages/x-1.0.dist-info/METADATA", int64(len(head)+n),
			io.MultiReader(bytes.NewReader(head), repeatReader('b', int64(n))))
	}
}

// manyDpkg writes a tar.gz whose dpkg status file lists n installed packages.
func manyDpkg(n int) func(testing.TB, string) {
	return func(t testing.TB, p string) {
		var b bytes.Buffer
		for i := range n {
			fmt.Fprintf(&b, "Package: p%d\nStatus: install ok installed\nVersion: 1.%d\nArchitecture: amd64\nDepends: p%d\n\n", i, i, (i+1)%n)
		}
		streamTarGz(t, p, "var/lib/dpkg/status", int64(b.Len()), &b)
	}
}

// longNamesLock is a lockfile of n entries whose names are 4,000 bytes.
func longNamesLock(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"lockfileVersion":3,"packages":{"":{}`)
	pad := strings.Repeat("x", 4000-len("node_modules/")-6)
	for i := range n {
		fmt.Fprintf(&b, `,"node_modules/%s%06d":{"version":"1.0.0"}`, pad, i)
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

// fanOutLock is a lockfile whose one entry declares n dependencies.
func fanOutLock(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1.0.0","dependencies":{"d0":"*"`)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, `,"d%d":"*"`, i)
	}
	b.WriteString(`}}}}`)
	return b.Bytes()
}

// streamed writes a tar.gz holding one file name made of the n parts part(0), part(1) ….
func streamed(name string, n int, part func(int) string) func(testing.TB, string) {
	return func(t testing.TB, p string) {
		var b bytes.Buffer
		for i := range n {
			b.WriteString(part(i))
		}
		streamTarGz(t, p, name, int64(b.Len()), &b)
	}
}

// deepLockV1 writes a lockfile v1 whose dependencies nest depth deep.
func deepLockV1(depth int) func(testing.TB, string) {
	return func(t testing.TB, p string) {
		var b strings.Builder
		b.WriteString(`{"lockfileVersion":1,"dependencies":`)
		for range depth {
			b.WriteString(`{"abcdefgh":{"version":"1.0.0","dependencies":`)
		}
		b.WriteString(`{}`)
		for range depth {
			b.WriteString(`}}`)
		}
		b.WriteString(`}`)
		writeTo([]byte(b.String()))(t, p)
	}
}

func streamTarGz(t testing.TB, p, name string, size int64, body io.Reader) {
	t.Helper()
	f := create(t, p)
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(tw, body); err != nil {
		t.Fatal(err)
	}
	for _, c := range []io.Closer{tw, zw} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

// repeatReader yields n bytes c.
func repeatReader(c byte, n int64) io.Reader {
	return io.LimitReader(byteReader(c), n)
}

type byteReader byte

func (b byteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

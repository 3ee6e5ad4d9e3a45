package sbom

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// zipBomb declares 100 members of 100 MiB of zeros each (10 GiB) in about 10 MB: the
// deflated zeros are compressed once and stored raw under every name.
func zipBomb(t testing.TB, p string) {
	const size = 100 << 20
	var deflated bytes.Buffer
	fw, err := flate.NewWriter(&deflated, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	for range size / len(zeros) {
		fw.Write(zeros)
		crc.Write(zeros)
	}
	fw.Close()
	f := create(t, p)
	defer f.Close()
	zw := zip.NewWriter(f)
	for i := range 100 {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("zeros-%03d.bin", i), Method: zip.Deflate,
			CRC32: crc.Sum32(), CompressedSize64: uint64(deflated.Len()), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(deflated.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// gzipBomb is a tar.gz holding one 256 MiB file of zeros (about 256 KB compressed).
func gzipBomb(t testing.TB, p string) {
	f := create(t, p)
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	const size = 256 << 20
	if err := tw.WriteHeader(&tar.Header{Name: "zeros.bin", Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range size / len(zeros) {
		tw.Write(zeros)
	}
	tw.Close()
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// manyTar is a tar of n empty files, streamed to disk.
func manyTar(t testing.TB, p string, n int) {
	f := create(t, p)
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	defer bw.Flush()
	tw := tar.NewWriter(bw)
	for i := range n {
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("f/%06d", i), Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

// manyZip is a zip of n empty stored files (zip64 end records, since n > 65535).
func manyZip(t testing.TB, p string, n int) {
	f := create(t, p)
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	defer bw.Flush()
	zw := zip.NewWriter(bw)
	for i := range n {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("f/%06d", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// nestedZips wraps a package.json in depth zips, each inside the next.
func nestedZips(t testing.TB, depth int) []byte {
	b := zipOf(t, file("node_modules/x/package.json", `{"name":"x","version":"1.0.0"}`))
	for i := range depth - 1 {
		b = zipOf(t, fileBytes(fmt.Sprintf("level-%d.zip", i), b))
	}
	return b
}

func create(t testing.TB, p string) *os.File {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func writeTo(b []byte) func(testing.TB, string) {
	return func(t testing.TB, p string) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHostileArchives feeds archives built to hurt and asserts each is refused with a clear
// message, within a time limit and a bound on the bytes allocated. It does not call
// t.Parallel, so it runs alone and the allocation counters measure only its own work.
func TestHostileArchives(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		file    string
		build   func(testing.TB, string)
		opts    []Option
		want    error
		message string
	}{
		{"zip bomb", "bomb.zip", zipBomb, nil, ErrLimit, "members declare 10485760000 bytes expanded"},
		{"gzip bomb", "bomb.tar.gz", gzipBomb, []Option{WithMaxExpandedBytes(64 << 20)}, ErrLimit, "expands past 67108864 bytes"},
		{"dot-dot tar", "up.tar.gz", writeTo(compress(t, "gz", tarOf(t, file("ok.txt", "x"), file("a/../../etc/passwd", "root")))),
			nil, ErrUnsafeArchive, `member "a/../../etc/passwd" climbs out of the archive`},
		{"dot-dot zip", "up.zip", writeTo(zipOf(t, file("../evil.sh", "#!/bin/sh"))), nil, ErrUnsafeArchive, `member "../evil.sh" climbs out`},
		{"absolute name", "abs.tar", writeTo(tarOf(t, file("/etc/cron.d/evil", "* * * * * root sh"))), nil, ErrUnsafeArchive, "has an absolute name"},
		{"symlink out", "link.tar", writeTo(tarOf(t, entry{name: "a/b/link", typ: tar.TypeSymlink, link: "../../../etc/shadow"})),
			nil, ErrUnsafeArchive, `link "a/b/link" points to "../../../etc/shadow", outside the archive`},
		{"absolute symlink in zip", "link.zip", writeTo(zipOf(t, entry{name: "bin/sh", typ: tar.TypeSymlink, link: "/bin/busybox"})),
			nil, ErrUnsafeArchive, `points to absolute path "/bin/busybox"`},
		{"hard link out", "hard.tar", writeTo(tarOf(t, entry{name: "x", typ: tar.TypeLink, link: "../../etc/passwd"})), nil, ErrUnsafeArchive, "climbs out"},
		{"100k members tar", "many.tar", func(t testing.TB, p string) { manyTar(t, p, 100_000) }, nil, ErrLimit, "more than 65536 members"},
		{"100k members zip", "many.zip", func(t testing.TB, p string) { manyZip(t, p, 100_000) }, nil, ErrLimit, "declares 100000 members, more than 65536"},
		{"nested zips", "deep.zip", writeTo(nestedZips(t, 10)), nil, ErrLimit, "archives nest more than 6 deep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.file)
			tc.build(t, p)
			s := pathSubject(t, tc.file, p)
			g, err := NewGenerator(tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			_, err = g.SBOM(ctx, s, FormatCycloneDX)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("error %v; want %v naming %q and saying %q", err, tc.want, tc.file, tc.message)
			}
			const maxAlloc, maxTime = 128 << 20, 10 * time.Second
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxAlloc {
				t.Errorf("allocated %d MiB refusing it, want at most %d MiB", alloc>>20, maxAlloc>>20)
			}
			if elapsed > maxTime {
				t.Errorf("took %v to refuse it, want at most %v", elapsed, maxTime)
			}
			t.Logf("refused in %v, %d KiB allocated: %v", elapsed.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>10, err)
		})
	}
}

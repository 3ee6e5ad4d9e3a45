package core_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
)

const (
	benchFiles    = 64
	benchFileSize = 16 << 20
)

// benchTree writes n files of size bytes of non-constant data once per benchmark.
func benchTree(b *testing.B, n, size int) []core.FileRef {
	b.Helper()
	dir := b.TempDir()
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i*7 + i>>11)
	}
	refs := make([]core.FileRef, n)
	for i := range refs {
		buf[0] = byte(i)
		p := filepath.Join(dir, fmt.Sprintf("f%03d", i))
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		refs[i] = core.FileRef{Name: filepath.Base(p), Path: p}
	}
	return refs
}

// BenchmarkDigest measures DigestFiles over 64 × 16 MiB files and, in the same run, one stream
// of crypto/sha256 over the same bytes. It reports "ratio": DigestFiles throughput divided by
// (GOMAXPROCS × single-stream throughput). The goal is ≥ 0.85.
func BenchmarkDigest(b *testing.B) {
	refs := benchTree(b, benchFiles, benchFileSize)
	total := int64(benchFiles * benchFileSize)
	ctx := context.Background()
	single := singleStream(b, refs)
	b.SetBytes(total)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := core.DigestFiles(ctx, refs, core.SHA256, runtime.GOMAXPROCS(0)); err != nil {
			b.Fatal(err)
		}
	}
	parallel := float64(total) * float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(parallel/(float64(runtime.GOMAXPROCS(0))*single), "ratio")
	b.ReportMetric(single/1e6, "single-MB/s")
}

// singleStream returns the bytes per second of one goroutine hashing refs with crypto/sha256,
// reading the files the same way (page cache warm), best of three passes.
func singleStream(b *testing.B, refs []core.FileRef) float64 {
	b.Helper()
	buf := make([]byte, 1<<20)
	best := 0.0
	for range 3 {
		start := time.Now()
		var n int64
		for _, r := range refs {
			f, err := os.Open(r.Path)
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			m, err := io.CopyBuffer(h, f, buf)
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			n += m
		}
		best = max(best, float64(n)/time.Since(start).Seconds())
	}
	return best
}

// BenchmarkDigestPeakRSS digests one 4 GiB (sparse) file in a child process and reports the
// child's peak resident set size. The goal is ≤ 64 MB.
func BenchmarkDigestPeakRSS(b *testing.B) {
	p := filepath.Join(b.TempDir(), "big")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(4 << 30); err != nil {
		b.Fatal(err)
	}
	f.Close()
	var peak int64
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDigestChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SIGNET_DIGEST_CHILD="+p)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		kib, err := peakRSS(cmd.ProcessState)
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, kib)
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
	b.SetBytes(4 << 30)
}

// TestDigestChild is the child process of BenchmarkDigestPeakRSS; it is a no-op otherwise.
func TestDigestChild(t *testing.T) {
	p := os.Getenv("SIGNET_DIGEST_CHILD")
	if p == "" {
		return
	}
	got, err := core.DigestFiles(context.Background(), []core.FileRef{{Name: "big", Path: p}}, core.SHA256, runtime.GOMAXPROCS(0))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New() // the file is 4 GiB of zeros

	buf := make([]byte, 1<<20)
	for range 4 << 10 {
		h.Write(buf)
	}
	if want := fmt.Sprintf("%x", h.Sum(nil)); got[0].Digest["sha256"] != want {
		t.Fatalf("digest %s, want %s", got[0].Digest["sha256"], want)
	}
}

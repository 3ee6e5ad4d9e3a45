package sbom

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkNPMLockfile catalogs package-lock.json files of 10k, 50k and 200k entries (each
// entry depending on two others, the root on every hundredth) and writes both documents
// from the catalog. ns/entry staying flat from 10k to 200k shows the graph is built in
// linear time (it was quadratic: 50k entries took 16.4 s, 200k did not finish in 120 s).
// The document size limit is bypassed here (the encoders are called directly): a 200k-entry
// document is larger than it.
func BenchmarkNPMLockfile(b *testing.B) {
	for _, n := range []int{10_000, 50_000, 200_000} {
		p := filepath.Join(b.TempDir(), "package-lock.json")
		s := writeSubject(b, filepath.Dir(p), "package-lock.json", lockfile(n))
		opts := []Option{WithMaxPackages(2 * n), WithMaxRelationships(8 * n), WithMaxOutputBytes(MaxOutputBytes)}
		b.Run(fmt.Sprintf("entries=%d/catalog", n), func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				g, err := NewGenerator(opts...)
				if err != nil {
					b.Fatal(err)
				}
				inv, err := g.inventory(context.Background(), s)
				if err != nil {
					b.Fatal(err)
				}
				if len(inv.pkgs) != n+2 || len(inv.edges) < 2*n {
					b.Fatalf("%d packages and %d relationships; want %d and at least %d", len(inv.pkgs), len(inv.edges), n+2, 2*n)
				}
			}
			reportPerEntry(b, n, cpu)
		})
		g, err := NewGenerator(opts...)
		if err != nil {
			b.Fatal(err)
		}
		inv, err := g.inventory(context.Background(), s)
		if err != nil {
			b.Fatal(err)
		}
		for _, format := range Formats {
			b.Run(fmt.Sprintf("entries=%d/%s", n, format), func(b *testing.B) {
				cpu := cpuTime()
				for b.Loop() {
					var err error
					if format == FormatSPDX {
						_, err = encodeSPDX(inv, &g.cfg, s)
					} else {
						_, err = encodeCycloneDX(inv, &g.cfg, s)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				reportPerEntry(b, n, cpu)
			})
		}
	}
}

// cpuTime returns a function giving the CPU time (user and system, all threads, garbage
// collection included) this process spent since cpuTime was called. On a shared machine it
// is steadier than wall time, which counts the time other processes ran.
func cpuTime() func() time.Duration {
	start := processCPU()
	return func() time.Duration { return processCPU() - start }
}

// reportPerEntry reports wall and CPU nanoseconds and allocations per lock entry.
func reportPerEntry(b *testing.B, n int, cpu func() time.Duration) {
	per := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/entry")
	b.ReportMetric(float64(cpu().Nanoseconds())/per, "cpu-ns/entry")
	b.ReportAllocs()
}

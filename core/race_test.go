package core_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
)

// TestCollectSymlinkSwapRace swaps files and a directory inside the base with symlinks to a
// secret outside it, as fast as it can, while collecting: no digest of the secret may ever
// come out, whatever the interleaving.
func TestCollectSymlinkSwapRace(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"dist/f": "inside-f", "dist/sub/g": "inside-g", "dist/keep": "k"})
	outside := tree(t, map[string]string{"secret": "SECRET", "g": "SECRET"})
	secret := sum256("SECRET")
	dist := filepath.Join(dir, "dist")
	stop := make(chan struct{})
	var swaps atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			link := filepath.Join(dist, ".l")
			os.Remove(link)
			if i%2 == 0 {
				os.Symlink(filepath.Join(outside, "secret"), link)
				os.Rename(link, filepath.Join(dist, "f"))
				os.Symlink(outside, link)
				os.Rename(filepath.Join(dist, "sub"), filepath.Join(dist, ".subdir"))
				os.Rename(link, filepath.Join(dist, "sub"))
			} else {
				os.WriteFile(link, []byte("inside-f"), 0o644)
				os.Rename(link, filepath.Join(dist, "f"))
				os.Remove(filepath.Join(dist, "sub"))
				os.Rename(filepath.Join(dist, ".subdir"), filepath.Join(dist, "sub"))
			}
			swaps.Add(1)
		}
	}()
	defer func() { close(stop); <-done }()
	c, err := core.NewCollector(dir)
	if err != nil {
		t.Fatal(err)
	}
	inputs := []core.Inputs{{Paths: []string{"dist"}}, {Paths: []string{"dist/f"}}, {Paths: []string{"dist/sub/g"}},
		{Paths: []string{"dist/**"}}, {Paths: []string{"dist/f", "dist/sub"}}}
	// Run for 2 s and until the race was exercised (100 swaps, 20 collections that succeeded):
	// a loaded machine only makes it take longer. The time limit only stops a run in which the
	// swapper or the collector cannot make progress at all.
	var ok, failed int
	start := time.Now()
	exercised := func() bool { return time.Since(start) >= 2*time.Second && swaps.Load() >= 100 && ok >= 20 }
	for i := 0; !exercised() && time.Since(start) < 2*time.Minute; i++ {
		got, err := c.Collect(context.Background(), inputs[i%len(inputs)])
		if err != nil {
			failed++
			continue
		}
		ok++
		for _, s := range got {
			if s.Digest["sha256"] == secret {
				t.Fatalf("collected %s with the digest of %s outside the base (iteration %d)", s.Name, filepath.Join(outside, "secret"), i)
			}
		}
	}
	t.Logf("%d collections succeeded, %d refused, %d swaps", ok, failed, swaps.Load())
	if swaps.Load() < 100 || ok < 20 {
		t.Errorf("in 2 minutes only %d swaps and %d collections happened: the race was not exercised", swaps.Load(), ok)
	}
}

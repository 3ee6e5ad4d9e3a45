package cli

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/registrytest"
	"github.com/signet-ci/signet/localsigstore"
)

// BenchmarkAttestPush100Images attests 100 image subjects in one run against the in-process
// registry (tag schema: no referrers API) and pushes the provenance to each, pushConcurrency at a
// time; it asserts one Fulcio request and 100 pushes per run, and reports the time per image.
func BenchmarkAttestPush100Images(b *testing.B) {
	ss := startSigstore(b)
	reg := registrytest.Start(b)
	args := []string{"attest", "--sigstore", ss.Dir, "--identity-token-file", ss.tokenFile(b, localsigstore.PresetGitHub),
		"--force", "--push-to-registry", "--format", "json"}
	const images = 100
	for i := range images {
		reg.Image(b, fmt.Sprintf("bench/app%03d", i), "v1")
		args = append(args, "--image", fmt.Sprintf("%s/bench/app%03d:v1", reg.Host, i))
	}
	dir := b.TempDir()
	var total time.Duration
	for b.Loop() {
		before := ss.Requests("fulcio")
		start := time.Now()
		_, errOut, code := run(b, dir, nil, args...)
		total += time.Since(start)
		if code != 0 {
			b.Fatalf("attest exit %d: %s", code, errOut)
		}
		if n := ss.Requests("fulcio") - before; n != 1 {
			b.Fatalf("attest made %d Fulcio requests, want exactly 1", n)
		}
		ix, err := core.ReadIndex(filepath.Join(dir, "attestations", core.IndexFile))
		if err != nil {
			b.Fatal(err)
		}
		if n := len(ix.Attestations[0].Pushed); n != images {
			b.Fatalf("%d pushes, want %d", n, images)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N*images)/1000, "ms/image")
}

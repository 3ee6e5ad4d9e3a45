package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/signet-ci/signet/localsigstore"
)

// BenchmarkAttest10kFiles attests 10,000 small files in one run against the in-process Sigstore
// and asserts the run made exactly one Fulcio request, however many statements it signed.
func BenchmarkAttest10kFiles(b *testing.B) {
	ss := startSigstore(b)
	dir := b.TempDir()
	for i := range 10000 {
		p := filepath.Join(dir, "dist", fmt.Sprintf("d%02d", i/100), fmt.Sprintf("f%05d.bin", i))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("artifact %d", i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	tok := ss.tokenFile(b, localsigstore.PresetGitHub)
	for b.Loop() {
		before := ss.Requests("fulcio")
		out, errOut, code := run(b, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok,
			"--force", "--format", "json", "dist")
		if code != 0 {
			b.Fatalf("attest exit %d: %s", code, errOut)
		}
		if n := ss.Requests("fulcio") - before; n != 1 {
			b.Fatalf("attest made %d Fulcio requests, want exactly 1", n)
		}
		_ = out
	}
	b.ReportMetric(float64(ss.Requests("fulcio"))/float64(b.N), "fulcio-req/op")
}

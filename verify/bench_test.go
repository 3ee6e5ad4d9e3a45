package verify_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

const benchBundles = 1000

// benchRelease signs benchBundles single-subject provenance bundles with one certificate, as one
// release run would, and returns the bundle directory and the artifacts.
func benchRelease(b *testing.B) (string, []core.Subject) {
	b.Helper()
	f := local(b)
	ctx := context.Background()
	tok, err := f.ls.Token(localsigstore.PresetGitHub)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := sigstore.NewKeylessSigner(ctx, f.mat, sigstore.StaticToken(tok))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	pred := f.provenance(b, localsigstore.PresetGitHub, tok, dir)
	arts := make([]core.Subject, benchBundles)
	for i := range arts {
		arts[i] = subjectRef(fmt.Sprintf("dist/app-%04d.tar.gz", i), fmt.Sprintf("artifact %d", i))
		sts, err := core.Statements(arts[i:i+1], pred, 1)
		if err != nil {
			b.Fatal(err)
		}
		bun, err := signer.SignStatement(ctx, sts[0])
		if err != nil {
			b.Fatal(err)
		}
		writeFile(b, filepath.Join(dir, fmt.Sprintf("app-%04d.sigstore.json", i)), bun.JSON)
	}
	return dir, arts
}

// BenchmarkVerify1000 verifies 1,000 bundles offline against one trusted root (parsed once),
// finding each by digest in the bundle directory, with the GitHub shorthand policy. It reports
// the time per bundle, with all CPUs and with one worker.
//
//	go test ./verify -run '^$' -bench BenchmarkVerify1000 -benchtime 3x
func BenchmarkVerify1000(b *testing.B) {
	dir, arts := benchRelease(b)
	f := local(b)
	src, err := verify.OpenDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	c, err := verify.Policy{Identity: verify.Identity{Issuer: f.ls.Issuer(localsigstore.PresetGitHub),
		Shorthands: verify.Shorthands{GitHub: demoRepo}, SourceRef: "main"}}.Compile()
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{0, 1} {
		name := "all-cpus"
		var opts []verify.Option
		if workers > 0 {
			name, opts = "one-worker", []verify.Option{verify.WithWorkers(workers)}
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				v, err := verify.New(verify.Sigstore(f.verifier), c, src, opts...)
				if err != nil {
					b.Fatal(err)
				}
				rep, err := v.Verify(context.Background(), arts)
				if err != nil || !rep.Verified {
					b.Fatalf("not verified: %v %v", err, failures(rep))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchBundles)/1e6, "ms/bundle")
		})
	}
}

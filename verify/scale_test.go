package verify_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// attestedRun is one signet attest run over n files: the workspace, the files' names and the
// index written beside the bundles.
type attestedRun struct {
	dir   string
	names []string
	index string
}

// attestFiles writes n small files under dir/dist and attests them in one run through the
// local Sigstore, as signet attest does: GitHub provenance, one certificate, statements of
// core.DefaultMaxSubjects subjects each, an index. alg is the --digest-algorithm.
func attestFiles(tb testing.TB, n int, alg string) *attestedRun {
	tb.Helper()
	f := local(tb)
	ctx := context.Background()
	r := &attestedRun{dir: tb.TempDir()}
	refs := make([]core.FileRef, n)
	for i := range n {
		name := fmt.Sprintf("dist/d%03d/f%05d.bin", i/100, i)
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("artifact %d", i)), 0o644); err != nil {
			tb.Fatal(err)
		}
		refs[i] = core.FileRef{Name: name, Path: p}
		r.names = append(r.names, name)
	}
	subjects, err := core.DigestFiles(ctx, refs, alg, 2)
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := f.ls.Token(localsigstore.PresetGitHub)
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := sigstore.NewKeylessSigner(ctx, f.mat, sigstore.StaticToken(tok))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := core.NewOutput(filepath.Join(r.dir, "attestations"), false)
	if err != nil {
		tb.Fatal(err)
	}
	pred := f.provenance(tb, localsigstore.PresetGitHub, tok, r.dir)
	if _, err := core.Attest(ctx, signer, out, core.Request{Subjects: subjects, Custom: &pred}); err != nil {
		tb.Fatal(err)
	}
	r.index = filepath.Join(r.dir, "attestations", core.IndexFile)
	return r
}

// githubDemoPolicy is the policy the attested runs satisfy: the local GitHub issuer and the
// demo repository.
func githubDemoPolicy(tb testing.TB) *verify.Compiled {
	tb.Helper()
	c, err := verify.Policy{Identity: verify.Identity{Issuer: local(tb).ls.Issuer(localsigstore.PresetGitHub),
		Shorthands: verify.Shorthands{GitHub: demoRepo}}}.Compile()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// verifyRun verifies every file of r through its index, as signet verify --index does.
func verifyRun(tb testing.TB, bv verify.BundleVerifier, c *verify.Compiled, r *attestedRun) *verify.Report {
	tb.Helper()
	ctx := context.Background()
	src, err := verify.OpenIndex(r.index)
	if err != nil {
		tb.Fatal(err)
	}
	arts, err := verify.Artifacts(ctx, r.dir, r.names, nil)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := verify.New(bv, c, src)
	if err != nil {
		tb.Fatal(err)
	}
	rep, err := v.Verify(ctx, arts)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

// countingVerifier counts the bundles the real verifier is asked to verify.
type countingVerifier struct {
	bv    verify.BundleVerifier
	calls atomic.Int64
}

func (c *countingVerifier) VerifyBundle(ctx context.Context, b []byte) (*verify.Verified, error) {
	c.calls.Add(1)
	return c.bv.VerifyBundle(ctx, b)
}

// TestEachBundleVerifiedOnce attests 2,500 files (three statements at the default
// --max-subjects) and requires every file to pass with exactly three bundle verifications.
func TestEachBundleVerifiedOnce(t *testing.T) {
	t.Parallel()
	r := attestFiles(t, 2500, core.SHA256)
	ix, err := verify.ReadIndex(r.index)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Attestations) != 3 {
		t.Fatalf("attest wrote %d bundles, want 3", len(ix.Attestations))
	}
	cv := &countingVerifier{bv: verify.Sigstore(local(t).verifier)}
	rep := verifyRun(t, cv, githubDemoPolicy(t), r)
	if !rep.Verified || rep.Summary.Verified != 2500 {
		t.Fatalf("verified %d of %d: %v", rep.Summary.Verified, rep.Summary.Total, failures(rep)[:min(3, len(failures(rep)))])
	}
	if n := cv.calls.Load(); n != 3 {
		t.Errorf("bundles verified %d times for 3 bundles and 2,500 artifacts, want 3", n)
	}
	// A file changed after signing still fails, named against the digest that was signed.
	writeFile(t, filepath.Join(r.dir, "dist", "d007", "f00777.bin"), []byte("replaced"))
	rep = verifyRun(t, cv, githubDemoPolicy(t), r)
	if rep.Summary.Failed != 1 {
		t.Fatalf("after replacing one file: %d failed, want 1: %v", rep.Summary.Failed, failures(rep))
	}
	if got := failures(rep)[0]; !strings.Contains(got, "modified or replaced after signing") || !strings.Contains(got, "f00777.bin") {
		t.Errorf("replaced file's failure = %q", got)
	}
}

// BenchmarkVerifyIndex verifies every file of one attest run through its index (open the
// index, digest the files, verify), for 1,000, 5,000 and 20,000 files signed into statements
// of the default 1,024 subjects, and reports the time per artifact. Each bundle is verified
// once, so the time per artifact must stay flat as the run grows.
//
//	go test ./verify -run '^$' -bench BenchmarkVerifyIndex -benchtime 3x -count 3
func BenchmarkVerifyIndex(b *testing.B) {
	f := local(b)
	c := githubDemoPolicy(b)
	for _, n := range []int{1000, 5000, 20000} {
		b.Run(fmt.Sprintf("artifacts=%d", n), func(b *testing.B) {
			r := attestFiles(b, n, core.SHA256)
			bv := verify.Sigstore(f.verifier)
			for b.Loop() {
				rep := verifyRun(b, bv, c, r)
				if !rep.Verified || rep.Summary.Verified != n {
					b.Fatalf("verified %d of %d: %v", rep.Summary.Verified, n, failures(rep))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/artifact")
		})
	}
}

// TestVerifierKeepsNothingBetweenRuns reuses one Verifier: a run canceled before it starts
// does not make the next one fail, and a bundle replaced by a tampered copy after a passing
// run is verified again, not accepted from the first run's cache.
func TestVerifierKeepsNothingBetweenRuns(t *testing.T) {
	t.Parallel()
	r := attestFiles(t, 3, core.SHA256)
	src, err := verify.OpenIndex(r.index)
	if err != nil {
		t.Fatal(err)
	}
	arts, err := verify.Artifacts(context.Background(), r.dir, r.names, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(verify.Sigstore(local(t).verifier), githubDemoPolicy(t), src)
	if err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.Verify(canceled, arts); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled run: %v, want context.Canceled", err)
	}
	rep, err := v.Verify(context.Background(), arts)
	if err != nil || !rep.Verified {
		t.Fatalf("run after a canceled one: %v %v", err, failures(rep))
	}
	ix, err := verify.ReadIndex(r.index)
	if err != nil {
		t.Fatal(err)
	}
	editJSON(t, filepath.Join(filepath.Dir(r.index), ix.Attestations[0].Bundle), func(b map[string]any) {
		sig := at(b, "dsseEnvelope", "signatures", 0)
		s := []byte(sig["sig"].(string))
		s[10] ^= 'A' ^ 'B'
		sig["sig"] = string(s)
	})
	rep, err = v.Verify(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verified || rep.Summary.Failed != 3 {
		t.Fatalf("FALSE ACCEPT after the bundle was tampered with: %d verified", rep.Summary.Verified)
	}
}

// TestManyBundleFiles gives every bundle of a three-bundle run as a --bundle file: each
// artifact is verified by the bundle that signs it, with no rejection of the other two
// listed, and an artifact no bundle names is reported against all three.
func TestManyBundleFiles(t *testing.T) {
	t.Parallel()
	r := attestFiles(t, 2100, core.SHA256)
	ix, err := verify.ReadIndex(r.index)
	if err != nil {
		t.Fatal(err)
	}
	var files verify.Files
	for _, a := range ix.Attestations {
		files = append(files, filepath.Join(filepath.Dir(r.index), a.Bundle))
	}
	if len(files) != 3 {
		t.Fatalf("%d bundles, want 3", len(files))
	}
	arts, err := verify.Artifacts(context.Background(), r.dir, r.names, nil)
	if err != nil {
		t.Fatal(err)
	}
	stranger := subjectRef("dist/stranger.bin", "not signed")
	cv := &countingVerifier{bv: verify.Sigstore(local(t).verifier)}
	rep := runVerify(t, cv, githubDemoPolicy(t), files, append(arts, stranger))
	if rep.Summary.Verified != len(arts) || rep.Summary.Failed != 1 {
		t.Fatalf("verified %d, failed %d, want %d and 1", rep.Summary.Verified, rep.Summary.Failed, len(arts))
	}
	for _, a := range rep.Artifacts[:len(arts)] {
		if len(a.Rejected) != 0 {
			t.Fatalf("%s lists %d rejections of bundles that do not name it: %v", a.Name, len(a.Rejected), a.Rejected[0])
		}
	}
	last := rep.Artifacts[len(arts)]
	if last.Verified || len(last.Rejected) != 2 || !strings.Contains(last.Failure.Error(), "is not among the") {
		t.Errorf("stranger: verified %v, failure %v, %d rejections, want it refused by all 3 bundles", last.Verified, last.Failure, len(last.Rejected))
	}
	if n := cv.calls.Load(); n != 3 {
		t.Errorf("%d bundle verifications for 3 bundle files, want 3", n)
	}
}

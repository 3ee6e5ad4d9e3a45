package verify_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

const (
	scaleArtifacts = 10000
	scaleUnsigned  = 100 // artifacts with no bundle: the report lists their failures
	scalePackages  = 2000
)

// scaleRelease signs a release of scaleArtifacts-scaleUnsigned artifacts as signet attest does
// (one certificate, statements split at core.DefaultMaxSubjects subjects) plus an SPDX SBOM of
// scalePackages packages for the first artifact, and returns the verifier over its bundles and
// all scaleArtifacts artifacts.
func scaleRelease(tb testing.TB, n int) (*verify.Verifier, []core.Subject) {
	tb.Helper()
	f := local(tb)
	ctx := context.Background()
	tok, err := f.ls.Token(localsigstore.PresetGitHub)
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := sigstore.NewKeylessSigner(ctx, f.mat, sigstore.StaticToken(tok))
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	arts := make([]core.Subject, n)
	for i := range arts {
		arts[i] = subjectRef(fmt.Sprintf("dist/app-%05d.tar.gz", i), fmt.Sprintf("artifact %d", i))
	}
	signed := arts[:n-n*scaleUnsigned/scaleArtifacts]
	pred := f.provenance(tb, localsigstore.PresetGitHub, tok, dir)
	sts, err := core.Statements(signed, pred, core.DefaultMaxSubjects)
	if err != nil {
		tb.Fatal(err)
	}
	pkgs := make([][4]string, scalePackages)
	lics := []string{"MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "MPL-2.0", "GPL-2.0-only", "NOASSERTION"}
	ecos := []string{"golang", "npm", "pypi", "deb"}
	for i := range pkgs {
		name := fmt.Sprintf("package-%04d", i)
		pkgs[i] = [4]string{name, "1.0.0", lics[i%len(lics)], fmt.Sprintf("pkg:%s/%s@1.0.0", ecos[i%len(ecos)], name)}
	}
	sbom, err := core.Statements(signed[:1], core.Predicate{Type: core.SPDXPredicateType, JSON: spdx(pkgs...)}, 1)
	if err != nil {
		tb.Fatal(err)
	}
	var files verify.Files
	for i, st := range append(sts, sbom...) {
		b, err := signer.SignStatement(ctx, st)
		if err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("bundle-%02d.sigstore.json", i))
		writeFile(tb, p, b.JSON)
		files = append(files, p)
	}
	c, err := htmlGitHubPolicy(f).Compile()
	if err != nil {
		tb.Fatal(err)
	}
	v, err := verify.New(verify.Sigstore(f.verifier), c, files)
	if err != nil {
		tb.Fatal(err)
	}
	return v, arts
}

// BenchmarkHTMLReport writes the HTML report of 1,000 and 10,000 artifacts (1% without a
// bundle, the rest signed in bundles of 1,024 subjects, and an SBOM of 2,000 packages):
// "render" is RenderHTML alone, "verify+render" adds VerifyWithEvidence. It reports the page's
// size, in all and per artifact, so growth is read across the two sizes.
//
//	go test ./verify -run '^$' -bench BenchmarkHTMLReport -benchtime 5x -benchmem
func BenchmarkHTMLReport(b *testing.B) {
	for _, n := range []int{1000, scaleArtifacts} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchHTML(b, n) })
	}
}

func benchHTML(b *testing.B, n int) {
	v, arts := scaleRelease(b, n)
	ctx := context.Background()
	rep, ev, err := v.VerifyWithEvidence(ctx, arts)
	if err != nil {
		b.Fatal(err)
	}
	if rep.Summary.Failed != n*scaleUnsigned/scaleArtifacts || len(ev.SBOMs) != 1 {
		b.Fatalf("%d failed, %d SBOMs", rep.Summary.Failed, len(ev.SBOMs))
	}
	var buf bytes.Buffer
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			buf.Reset()
			if err := verify.RenderHTML(&buf, rep, verify.HTMLOptions{Evidence: ev}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "page-bytes")
		b.ReportMetric(float64(buf.Len())/float64(n), "bytes/artifact")
	})
	b.Run("verify+render", func(b *testing.B) {
		for b.Loop() {
			r, e, err := v.VerifyWithEvidence(ctx, arts)
			if err != nil {
				b.Fatal(err)
			}
			buf.Reset()
			if err := verify.RenderHTML(&buf, r, verify.HTMLOptions{Evidence: e}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "page-bytes")
	})
}

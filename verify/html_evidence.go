package verify

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/signet-ci/signet/core"
)

// Evidence is what the HTML report shows beyond the Report: the validity of each verifying
// bundle's certificate and the SBOM statements verified alongside the provenance. Everything
// in it comes from bundles that verified cryptographically and passed the identity policy.
type Evidence struct {
	// Certificates maps a verifying bundle's file digest (Result.BundleDigest) to the validity
	// of its signing certificate, read from the same bytes that were verified.
	Certificates map[string]CertValidity
	// SBOMs are the SBOM statements whose bundles verified against the identity policy and
	// name at least one of the artifacts.
	SBOMs []*VerifiedSBOM
}

// CertValidity is a certificate's validity window.
type CertValidity struct {
	NotBefore, NotAfter time.Time
}

// VerifiedSBOM is one verified SBOM statement.
type VerifiedSBOM struct {
	Bundle        string
	BundleDigest  string
	PredicateType string
	// Artifacts are the names of the artifacts the statement's verified subjects match.
	Artifacts []string
	Signer    *Signer
	// Statement is the verified in-toto statement JSON.
	Statement []byte
}

// sbomPredicateTypes are the SBOM predicates verified alongside the provenance.
var sbomPredicateTypes = [...]string{core.SPDXPredicateType, core.CycloneDXPredicateType}

// VerifyWithEvidence is Verify, and also keeps the evidence the HTML report shows: the
// certificates' validity and, when the policy asks for provenance, the SBOM statements of the
// same artifacts verified against the same identity policy (the provenance's builder and
// build type requirements do not apply to an SBOM).
func (v *Verifier) VerifyWithEvidence(ctx context.Context, artifacts []core.Subject) (*Report, *Evidence, error) {
	run := &verifyRun{Verifier: v}
	results := make([]*Result, len(artifacts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(v.workers)
	for i, a := range artifacts {
		g.Go(func() error {
			r, err := run.verifyArtifact(gctx, a)
			results[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	ev := &Evidence{Certificates: map[string]CertValidity{}}
	run.files.Range(func(_, c any) bool {
		cf := c.(*cachedFile)
		if cf.info != nil && cf.info.Certificate != nil && cf.vb != nil && cf.policyFail == nil {
			ev.Certificates[cf.digest] = CertValidity{NotBefore: cf.info.Certificate.NotBefore.UTC(), NotAfter: cf.info.Certificate.NotAfter.UTC()}
		}
		return true
	})
	if v.policy.Policy.Provenance.PredicateType == core.ProvenancePredicateType {
		sboms, err := v.verifySBOMs(ctx, artifacts)
		if err != nil {
			return nil, nil, err
		}
		ev.SBOMs = sboms
	}
	return newReport(v.policy.Policy, results), ev, nil
}

// verifySBOMs verifies, for every artifact, the SBOM bundles the source holds for it, and
// returns each verified statement once with the artifacts its verified subjects match.
func (v *Verifier) verifySBOMs(ctx context.Context, artifacts []core.Subject) ([]*VerifiedSBOM, error) {
	var out []*VerifiedSBOM
	for _, pt := range sbomPredicateTypes {
		pol := *v.policy
		pol.Policy.Provenance = Provenance{PredicateType: pt}
		run := &verifyRun{Verifier: &Verifier{bundles: v.bundles, policy: &pol, source: v.source, workers: v.workers}}
		byBundle := map[string]*VerifiedSBOM{}
		for _, a := range artifacts {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			paths, err := v.source.Bundles(ctx, a, pt)
			if err != nil {
				return nil, err
			}
			for _, p := range paths {
				// Only bundles that claim this predicate type and name the artifact are tried
				// (the claim chooses what is tried; the verified statement decides).
				if cf := run.file(p); cf.fail != nil || cf.info.PredicateType != pt || !cf.claims.names(a) {
					continue
				}
				vb, _, fail := run.check(ctx, &a, p)
				if fail != nil {
					continue
				}
				s := byBundle[p]
				if s == nil {
					s = &VerifiedSBOM{Bundle: p, BundleDigest: run.file(p).digest, PredicateType: vb.PredicateType, Statement: vb.Statement}
					if vb.Certificate != nil {
						sg := SignerOf(*vb.Certificate)
						s.Signer = &sg
					}
					byBundle[p] = s
					out = append(out, s)
				}
				s.Artifacts = append(s.Artifacts, a.Name)
			}
		}
	}
	return out, ctx.Err()
}

// MapPaths rewrites the bundle paths the evidence shows, as the CLI shows report paths
// relative to the command's directory.
func (e *Evidence) MapPaths(f func(string) string) {
	if e == nil {
		return
	}
	for _, s := range e.SBOMs {
		s.Bundle = f(s.Bundle)
	}
}

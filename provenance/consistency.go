package provenance

import (
	"errors"
	"fmt"

	"github.com/signet-ci/signet/core"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// ErrInconsistent means a predicate states a fact differently from the signing certificate.
var ErrInconsistent = errors.New("provenance contradicts the signing certificate")

// certFact pairs a fact a predicate states with the certificate extension stating the same.
type certFact struct {
	fact      string
	predicate string
	ext       string
	oid       string
	cert      string
	// ciOnly facts are compared only for GitHub and GitLab predicates, whose builder and
	// invocation are the certificate's; other buildTypes name them differently.
	ciOnly bool
}

func certFacts(f Facts, ext certificate.Extensions) []certFact {
	return []certFact{
		{"source repository", f.SourceRepo, "Source Repository URI", "1.3.6.1.4.1.57264.1.12", ext.SourceRepositoryURI, false},
		{"source commit", f.Commit, "Source Repository Digest", "1.3.6.1.4.1.57264.1.13", ext.SourceRepositoryDigest, false},
		{"source ref", f.Ref, "Source Repository Ref", "1.3.6.1.4.1.57264.1.14", ext.SourceRepositoryRef, false},
		{"source repository id", f.SourceRepoID, "Source Repository Identifier", "1.3.6.1.4.1.57264.1.15", ext.SourceRepositoryIdentifier, true},
		{"source owner id", f.SourceOwnerID, "Source Repository Owner Identifier", "1.3.6.1.4.1.57264.1.17", ext.SourceRepositoryOwnerIdentifier, true},
		{"builder id", f.BuilderID, "Build Signer URI", "1.3.6.1.4.1.57264.1.9", ext.BuildSignerURI, true},
		{"build signer digest", f.BuildSignerDigest, "Build Signer Digest", "1.3.6.1.4.1.57264.1.10", ext.BuildSignerDigest, true},
		{"build config", f.BuildConfigURI, "Build Config URI", "1.3.6.1.4.1.57264.1.18", ext.BuildConfigURI, true},
		{"build config digest", f.BuildConfigDigest, "Build Config Digest", "1.3.6.1.4.1.57264.1.19", ext.BuildConfigDigest, true},
		{"trigger", f.Trigger, "Build Trigger", "1.3.6.1.4.1.57264.1.20", ext.BuildTrigger, true},
		{"invocation id", f.InvocationID, "Run Invocation URI", "1.3.6.1.4.1.57264.1.21", ext.RunInvocationURI, true},
		{"runner environment", f.RunnerEnvironment, "Runner Environment", "1.3.6.1.4.1.57264.1.11", ext.RunnerEnvironment, true},
	}
}

// CheckConsistency verifies that every fact pred states which Fulcio also puts in the
// certificate (source repository, commit, ref, builder = build signer, build config, trigger,
// run invocation, runner environment) equals the extension in ext. For GitHub and GitLab
// predicates the certificate must state each of those facts; for Tekton and local predicates,
// whose certificates carry no CI extensions, only source facts present on both sides are
// compared. Every difference is reported, naming both values.
func CheckConsistency(pred core.Predicate, ext certificate.Extensions) error {
	if pred.Type != core.ProvenancePredicateType {
		return fmt.Errorf("%w: predicate type %q is not %q", ErrNotProvenance, pred.Type, core.ProvenancePredicateType)
	}
	f, err := predicateFacts(pred.JSON)
	if err != nil {
		return err
	}
	ci := f.Platform == GitHub || f.Platform == GitLab
	var errs []error
	for _, c := range certFacts(f, ext) {
		switch {
		case c.predicate == "" || (c.ciOnly && !ci):
		case c.cert == "" && ci:
			errs = append(errs, fmt.Errorf("predicate %s is %q but the certificate has no %s extension (%s)", c.fact, c.predicate, c.ext, c.oid))
		case c.cert != "" && c.cert != c.predicate:
			errs = append(errs, fmt.Errorf("predicate %s is %q but the certificate's %s (%s) is %q", c.fact, c.predicate, c.ext, c.oid, c.cert))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInconsistent, errors.Join(errs...))
	}
	return nil
}

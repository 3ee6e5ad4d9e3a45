package verify

import (
	"context"

	"github.com/signet-ci/signet/core/sigstore"
)

// Sigstore adapts a core/sigstore Verifier (one trusted root, parsed once) to BundleVerifier.
func Sigstore(v *sigstore.Verifier) BundleVerifier { return sigstoreVerifier{v} }

type sigstoreVerifier struct{ v *sigstore.Verifier }

// VerifyBundle implements BundleVerifier: core/sigstore verifies the bundle once, and the
// subjects returned are those of the DSSE payload its signature covers.
func (s sigstoreVerifier) VerifyBundle(ctx context.Context, bundle []byte) (*Verified, error) {
	r, err := s.v.VerifyStatement(ctx, bundle)
	if err != nil {
		return nil, err
	}
	return &Verified{Statement: r.Statement, PredicateType: r.PredicateType, Subjects: r.Subjects,
		Certificate: r.Certificate, Timestamps: r.Timestamps, LogEntries: r.LogEntries}, nil
}

package verify

import (
	"context"

	"github.com/signet-ci/signet/core/sigstore"
)

// anyIdentity lets core/sigstore accept every certificate identity: the policy is applied
// right after, on the verified certificate, by Compiled.matchIdentity, which names the exact
// field that failed.
var anyIdentity = sigstore.IdentityPolicy{IssuerRegexp: "^", SANRegexp: "^"}

// Sigstore adapts a core/sigstore Verifier (one trusted root, parsed once) to BundleVerifier.
func Sigstore(v *sigstore.Verifier) BundleVerifier { return sigstoreVerifier{v} }

type sigstoreVerifier struct{ v *sigstore.Verifier }

// VerifyBundle implements BundleVerifier.
func (s sigstoreVerifier) VerifyBundle(ctx context.Context, bundle []byte, alg, hex string) (*Verified, error) {
	r, err := s.v.Verify(ctx, bundle, alg, hex, anyIdentity)
	if err != nil {
		return nil, err
	}
	return &Verified{Statement: r.Statement, PredicateType: r.PredicateType, Subjects: r.Subjects,
		Certificate: r.Certificate, Timestamps: r.Timestamps, LogEntries: r.LogEntries}, nil
}

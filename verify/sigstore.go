package verify

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
)

// Sigstore adapts a core/sigstore Verifier (one trusted root, parsed once) to BundleVerifier
// and MessageVerifier.
func Sigstore(v *sigstore.Verifier) BundleVerifier { return sigstoreVerifier{v} }

type sigstoreVerifier struct{ v *sigstore.Verifier }

// VerifyBundle implements BundleVerifier: core/sigstore verifies the bundle once, and the
// subjects returned are those of the DSSE payload its signature covers.
func (s sigstoreVerifier) VerifyBundle(ctx context.Context, bundle []byte) (*Verified, error) {
	r, err := s.v.VerifyStatement(ctx, bundle)
	if err != nil {
		return nil, err
	}
	return verified(r), nil
}

// VerifyMessage implements MessageVerifier: sigstore-go checks the signature against the
// artifact's file when it has one (read again here, so the bytes signed are the bytes on
// disk), else against its digests.
func (s sigstoreVerifier) VerifyMessage(ctx context.Context, bundle []byte, a core.Subject) (*Verified, error) {
	var artifact io.Reader
	if a.Path != "" {
		f, err := os.OpenFile(a.Path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return nil, fmt.Errorf("artifact %q: %w", a.Name, err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			return nil, &Failure{Check: CheckInput, Field: "artifact", Reason: fmt.Sprintf("artifact %q is no longer a regular file", a.Name)}
		}
		artifact = ctxReader{ctx, f}
	}
	r, err := s.v.VerifyMessage(ctx, bundle, artifact, a.Digest)
	if err != nil {
		return nil, err
	}
	return verified(r), nil
}

func verified(r *sigstore.Result) *Verified {
	return &Verified{Statement: r.Statement, PredicateType: r.PredicateType, Subjects: r.Subjects,
		MessageDigest: r.MessageDigest, Certificate: r.Certificate, Timestamps: r.Timestamps, LogEntries: r.LogEntries}
}

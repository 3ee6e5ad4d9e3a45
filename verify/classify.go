package verify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
)

// classify turns a cryptographic verification error into a Failure naming the check.
func classify(err error, a core.Subject, info *BundleInfo) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	switch {
	case errors.Is(err, sigstore.ErrDigest):
		return digestFailure(a, info)
	case errors.Is(err, sigstore.ErrBundle):
		return &Failure{Check: CheckBundle, Reason: err.Error()}
	case errors.Is(err, sigstore.ErrTimestamp):
		return &Failure{Check: CheckTimestamp, Reason: err.Error()}
	case errors.Is(err, sigstore.ErrTlog):
		return &Failure{Check: CheckTlog, Reason: err.Error()}
	case errors.Is(err, sigstore.ErrIdentity):
		return &Failure{Check: CheckIdentity, Reason: err.Error()}
	case errors.Is(err, sigstore.ErrSignature):
		return &Failure{Check: CheckSignature, Reason: err.Error()}
	case errors.Is(err, sigstore.ErrCertificate):
		return &Failure{Check: CheckCertificate, Reason: err.Error()}
	case errors.Is(err, sigstore.ErrTrust):
		return &Failure{Check: CheckCertificate, Reason: err.Error()}
	}
	return &Failure{Check: CheckSignature, Reason: err.Error()}
}

// digestFailure explains an artifact digest that the statement does not name: a subject of the
// same name with another digest means the artifact changed after signing.
func digestFailure(a core.Subject, info *BundleInfo) *Failure {
	got := digestString(a)
	if info != nil {
		for _, s := range info.Subjects {
			if sameName(s.Name, a.Name) {
				return mismatch(CheckSubject, "digest of "+a.Name, digestString(s), got,
					"the artifact differs from the one signed: it was modified or replaced after signing")
			}
		}
	}
	n := 0
	if info != nil {
		n = len(info.Subjects)
	}
	return &Failure{Check: CheckSubject, Field: "digest", Found: got,
		Reason: fmt.Sprintf("%s is not among the %d subject(s) the bundle's statement signs", got, n)}
}

// sameName matches an artifact name to a subject name, allowing one to be a path suffix of the
// other (dist/app.tar.gz and /build/out/dist/app.tar.gz).
func sameName(subject, artifact string) bool {
	if subject == "" || artifact == "" {
		return false
	}
	return subject == artifact || strings.HasSuffix(artifact, "/"+subject) || strings.HasSuffix(subject, "/"+artifact)
}

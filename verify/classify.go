package verify

import (
	"errors"
	"strings"

	"github.com/signet-ci/signet/core/sigstore"
)

// classify turns a cryptographic verification error into a Failure naming the check.
func classify(err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	for _, c := range checks {
		if errors.Is(err, c.sentinel) {
			return &Failure{Check: c.check, Reason: withHint(strings.TrimPrefix(err.Error(), c.sentinel.Error()+": "))}
		}
	}
	return &Failure{Check: CheckSignature, Reason: withHint(err.Error())}
}

// hints say in plain words what sigstore-go's low-level messages mean.
var hints = []struct{ says, means string }{
	{"hashed messages don't match", "the signature is not the one the timestamp authority signed: it was altered or replaced"},
	{"No certificate for signer", "the timestamp was signed by an authority that is not in the trusted root"},
	{"certificate signed by unknown authority", "the authority that signed it is not in the trusted root"},
	{"could not verify envelope", "the signed statement or its signature was altered after signing"},
	{"leaf certificate verification failed", "the signing certificate does not chain to a certificate authority in the trusted root"},
	{"integrated time outside certificate validity", "the log recorded the entry outside the signing certificate's validity"},
	{"transparency log signature does not match", "the log entry records another signature: it belongs to another bundle"},
	{"transparency log certificate does not match", "the log entry records another certificate: it belongs to another bundle"},
	{"does not match envelope payload hash", "the log entry records another statement: it belongs to another bundle"},
	{"could not verify message", "the signature does not cover this artifact, or was made with another key"},
}

func withHint(msg string) string {
	for _, h := range hints {
		if strings.Contains(msg, h.says) {
			return msg + " (" + h.means + ")"
		}
	}
	return msg
}

// checks maps core/sigstore's sentinels to the check that failed, most specific first.
var checks = []struct {
	sentinel error
	check    string
}{
	{sigstore.ErrBundle, CheckBundle},
	{sigstore.ErrMessageSignature, CheckBundle},
	{sigstore.ErrDigest, CheckSubject},
	{sigstore.ErrTimestamp, CheckTimestamp},
	{sigstore.ErrTlog, CheckTlog},
	{sigstore.ErrCertificate, CheckCertificate},
	{sigstore.ErrTrust, CheckCertificate},
	{sigstore.ErrIdentity, CheckIdentity},
	{sigstore.ErrSignature, CheckSignature},
}

// sameName matches an artifact name to a subject name, allowing one to be a path suffix of the
// other (dist/app.tar.gz and /build/out/dist/app.tar.gz).
func sameName(subject, artifact string) bool {
	if subject == "" || artifact == "" {
		return false
	}
	return subject == artifact || strings.HasSuffix(artifact, "/"+subject) || strings.HasSuffix(subject, "/"+artifact)
}

package sigstore

import "errors"

// Sentinel errors callers branch on with errors.Is. Signing errors wrap the first four, or
// one of core's token sentinels (core.ErrNoToken, core.ErrTokenMalformed,
// core.ErrTokenAudience, core.ErrTokenExpired) when the identity token is missing or unusable;
// verification errors wrap the rest.
var (
	// ErrFulcio means the certificate authority refused or failed to issue a certificate.
	ErrFulcio = errors.New("fulcio")
	// ErrTimestamp means a timestamp authority failed, or a bundle's signed timestamps do not verify.
	ErrTimestamp = errors.New("timestamp authority")
	// ErrTlog means a transparency log failed, or a bundle's log entries do not verify.
	ErrTlog = errors.New("rekor")
	// ErrUnavailable means a service kept failing (5xx, reset, timeout) until retries ran out.
	ErrUnavailable = errors.New("service unavailable")
	// ErrTrust means trust material (trusted root, signing config, TUF) is missing or invalid.
	ErrTrust = errors.New("trust material")
	// ErrKey means a private or public key is missing, malformed or of an unsupported type.
	ErrKey = errors.New("key")
	// ErrBundle means a bundle is not a well-formed Sigstore bundle (v0.1 to v0.3) with an
	// in-toto DSSE envelope or a message signature.
	ErrBundle = errors.New("bundle")
	// ErrMessageSignature means a message-signature bundle was given where a statement is
	// needed: it signs one artifact's digest, so it is verified per artifact (VerifyMessage).
	ErrMessageSignature = errors.New("message signature")
	// ErrCertificate means the signing certificate does not chain to the trusted root at the signing time.
	ErrCertificate = errors.New("certificate")
	// ErrSignature means the signature or the certificate chain does not verify.
	ErrSignature = errors.New("signature")
	// ErrDigest means the artifact digest is not among the statement's subjects, or is not the
	// digest a message signature covers.
	ErrDigest = errors.New("artifact digest")
	// ErrIdentity means the certificate identity does not match the policy.
	ErrIdentity = errors.New("identity")
)

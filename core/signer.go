package core

import (
	"context"
	"time"
)

// TokenSource supplies an OIDC identity token. Implementations fetch or re-read it at each
// call, so a short-lived or rotated token is fresh when it is used.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Signer signs in-toto statements into Sigstore bundles. One Signer is one signing session:
// every statement it signs uses the same key and the same certificate.
type Signer interface {
	// SignStatement wraps statement (in-toto Statement JSON) in a DSSE envelope, signs it,
	// timestamps and logs it as the signing configuration says, and returns the bundle.
	SignStatement(ctx context.Context, statement []byte) (*Bundle, error)
}

// Bundle is a signed statement: the Sigstore bundle JSON and what it holds about time and logs.
type Bundle struct {
	// JSON is the Sigstore bundle (v0.3) as written to disk.
	JSON []byte
	// LogEntry is the transparency-log entry, or nil when the bundle was not logged.
	LogEntry *LogEntry
	// Timestamps are the RFC 3161 signed times in the bundle.
	Timestamps []time.Time
}

// LogEntry locates a bundle's entry in a transparency log.
type LogEntry struct {
	URL            string    `json:"url,omitempty"`
	Index          int64     `json:"logIndex"`
	ID             string    `json:"logId,omitempty"`
	IntegratedTime time.Time `json:"integratedTime,omitzero"`
}

// Identity describes who a Signer signs as; signers that know it implement Identifier.
type Identity struct {
	// Subject is the certificate's subject alternative name (an email or URI), or the key hint.
	Subject string `json:"subject"`
	// Issuer is the OIDC issuer in the certificate; empty for key-based signing.
	Issuer string `json:"issuer,omitempty"`
}

// Identifier is implemented by signers that can report their identity after signing.
type Identifier interface {
	Identity() Identity
}

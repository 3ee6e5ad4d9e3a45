// Package sigstore is signet's only bridge to sigstore-go: it loads trust material
// (trusted_root.json and signing_config.json), signs in-toto statements keylessly (one
// ephemeral key and one Fulcio certificate per signer) or with a private key into Sigstore
// bundles v0.3, timestamps and logs them as the signing configuration says, and verifies
// bundles offline against a trusted root and an identity policy: any valid bundle v0.1 to
// v0.3, an in-toto DSSE attestation or a message signature (checked against the artifact).
//
// Every network call (Fulcio, timestamp authorities, Rekor v1/v2, TUF) has a per-attempt
// timeout and bounded retries with exponential backoff by signet's one retry rule
// (internal/backoff, which honours a server's Retry-After up to the backoff limit), and its
// errors name the service and its URL. Identity tokens are read and checked by core's one JWT
// reader (core.CheckToken) and refused with core's token sentinels. Errors wrap sentinels (ErrFulcio, ErrTimestamp, ErrTlog, ErrSignature, ...) so
// callers can branch with errors.Is.
package sigstore

// Package localsigstore runs a real Sigstore inside the process, on one loopback HTTP server:
//
//   - Fulcio, from the fulcio module's own pkg/server and pkg/ca (a file-backed CA when a state
//     directory is given, an ephemeral one otherwise), at /api/v2/... (no CT log);
//   - the timestamp authority, from timestamp-authority's own pkg/server, at /api/v1/timestamp;
//   - one OIDC issuer per Preset at /oidc/<preset>, minting tokens whose claims are shaped like
//     the real platform's (GitHub Actions, GitLab CI, Kubernetes service accounts, e-mail).
//
// It backs `signet attest --sigstore local`, `signet sigstore serve` and the end-to-end tests.
// TrustedRoot and SigningConfig describe the instance in Sigstore's own formats.
//
// This is a development and test server. Anyone who can reach it can mint a token for any
// identity (POST /oidc/<preset>/token), and so obtain a certificate for it; it binds to
// loopback by default and must never be exposed or trusted beyond local testing.
package localsigstore

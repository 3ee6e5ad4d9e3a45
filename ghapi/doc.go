// Package ghapi is the part of GitHub's REST API signet uses: the artifact attestation store.
// Upload stores a Sigstore bundle with a repository (POST /repos/{owner}/{repo}/attestations),
// List fetches the bundles stored for a subject digest (GET
// /repos/{owner}/{repo}/attestations/{subject_digest} or /orgs/{org}/attestations/{subject_digest}),
// following the Link header's pages. Every call is retried by internal/backoff's rule (5xx,
// rate limits); 4xx answers are *APIError values that match ErrUnauthorized, ErrForbidden,
// ErrNotFound or ErrInvalid. The token is sent as "Authorization: Bearer" and appears in no
// error. Nothing here reads the environment: callers pass the API URL and token.
package ghapi

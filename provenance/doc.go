// Package provenance builds SLSA v1.0 provenance predicates for the four places signet runs:
// GitHub Actions, GitLab CI, Tekton and a developer's machine.
//
// Every CI fact comes from the pipeline's OIDC token after VerifyToken has checked its
// signature, issuer, audience and expiry: the token is signed, environment variables are not.
// The environment fills only what the token lacks (the server URL), and a variable that
// contradicts a claim is rejected (ErrEnvMismatch). On Tekton the Kubernetes token names only
// the namespace and service account; the TaskRun's identity and git source come from the
// Task's parameters and are recorded as such.
//
// The predicates never contradict the Fulcio certificate the run is signed with:
// ExpectedExtensions computes the extensions Fulcio will embed for a token, and
// CheckConsistency compares them with every fact a predicate states. ExtractFacts reads those
// facts back from a signed statement for verification.
//
// Build types: GitHub predicates use actions/attest's
// https://actions.github.io/buildtypes/workflow/v1 field for field; GitLab, Tekton and local
// builds use signet's own, specified under docs/buildtypes/.
package provenance

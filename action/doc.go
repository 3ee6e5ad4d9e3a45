// Package action is signet's GitHub Actions adapter. It translates the runner's contract into
// what the attest pipeline needs and reports the result the way GitHub shows it:
//
//   - inputs arrive as INPUT_<NAME> variables with hyphens kept (INPUT_SUBJECT-PATH), read through
//     go-githubactions with an injected getenv;
//   - the OIDC identity token is requested from ACTIONS_ID_TOKEN_REQUEST_URL with the audience
//     "sigstore" and the bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN, afresh at every use, and masked;
//   - outputs go to $GITHUB_OUTPUT with a random multi-line delimiter, a Markdown job summary to
//     $GITHUB_STEP_SUMMARY, and failures become ::error annotations that say what to change.
//
// Paths are resolved against GITHUB_WORKSPACE and reported relative to it. The package holds no
// signing, hashing or policy logic: that lives in core and below.
package action

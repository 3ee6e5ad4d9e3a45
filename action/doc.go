// Package action is signet's GitHub Actions adapter. It maps the runner's words onto package
// ci and lays a finished run out the way GitHub shows it:
//
//   - inputs arrive as INPUT_<NAME> variables with hyphens kept (INPUT_SUBJECT-PATH) and are read
//     with ci.Reader in GitHub's syntax (lists split at newlines and commas, YAML booleans);
//   - the OIDC identity token is requested from ACTIONS_ID_TOKEN_REQUEST_URL for core.Audience
//     with the bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN, afresh at every use, retried as
//     internal/backoff does, and masked;
//   - outputs go to $GITHUB_OUTPUT with a random multi-line delimiter, a Markdown job summary to
//     $GITHUB_STEP_SUMMARY, and failures become ::error annotations that say what to change.
//
// Paths are resolved against GITHUB_WORKSPACE and reported relative to it. Every value the
// outputs and the summary show (digests, log decisions, proofs, commands, quoting) comes from
// package ci; the package holds no signing, hashing or policy logic.
package action

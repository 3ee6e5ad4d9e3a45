// Package gitlab is signet's GitLab CI/CD adapter. It translates the contract of signet's
// component (templates/attest.yml) and of any GitLab job into what the attest pipeline needs,
// and reports the run the way GitLab shows it:
//
//   - the component's inputs arrive as job variables (SIGNET_SUBJECT_PATH, SIGNET_SBOM, ...)
//     that the template sets from $[[ inputs.* ]]: they never pass through a shell line;
//   - the identity token is the job's ID token SIGSTORE_ID_TOKEN (id_tokens with aud
//     "sigstore"), which the command reads and checks by its one identity rule; Fail turns
//     its refusals into hints for .gitlab-ci.yml, reading the unverified payload only to
//     explain a missing ci_config_ref_uri, never to trust it;
//   - the inputs are read through ci.Reader in GitLab's syntax, and the reports' values
//     (digests, paths, proofs, the verify command and its quoting) come from package ci;
//   - subjects and the output directory are resolved against CI_PROJECT_DIR;
//   - outputs are a dotenv report (artifacts:reports:dotenv: at most 5 KB, one KEY=VALUE per
//     line, no quoting, no multiline values), an annotations report
//     (artifacts:reports:annotations: external links to bundles and log entries) and a
//     summary in a collapsed section of the job log.
//
// The package holds no signing, hashing or policy logic: that lives in core and below. Nothing
// here reads the process environment: every function takes a getenv.
package gitlab

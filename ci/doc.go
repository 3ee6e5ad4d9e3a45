// Package ci is what signet's CI adapters share, so each adapter only maps its platform's
// words onto it and lays the results out in its platform's form:
//
//   - Plan: a run as a platform's inputs and environment describe it (the subjects, the
//     settings that override the command line's flags, the platform's own identity token);
//   - Reader and InputError: CI inputs parsed once (lists, booleans, numbers, SBOM formats),
//     with each platform's list and boolean syntax declared in one table;
//   - Outcome: a finished run, and the values every platform reports about it (the digest
//     shown, the transparency-log sentence, the proof of each bundle, the provenance bundle,
//     workspace-relative paths, and the signet, gh and cosign commands that verify it, quoted
//     for a POSIX shell).
//
// The contract the adapters implement is defined where it is consumed, in package cli.
package ci

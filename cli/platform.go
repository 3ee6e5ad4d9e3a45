package cli

import (
	"context"

	"github.com/signet-ci/signet/provenance"
)

// platformHook adapts one attest run to the CI platform it runs on. Adapters translate only:
// they may supply the identity token, resolve paths against the workspace, publish outputs in
// the platform's native form, and report a failure the way the platform shows it.
type platformHook interface {
	// Prepare adjusts cfg before the run: token source, base directory, output directory.
	Prepare(ctx context.Context, cfg *attestConfig) error
	// Publish reports a finished run natively (outputs, summaries, results).
	Publish(ctx context.Context, res *attestResult) error
	// Fail reports err natively (an annotation, a log section); the command still exits non-zero.
	Fail(err error)
}

// hookFor returns the adapter for platform, or nil for a local run.
func hookFor(env Env, platform provenance.Platform) platformHook {
	switch platform {
	case provenance.GitHub:
		return newGitHubHook(env)
	case provenance.GitLab:
		return newGitLabHook(env)
	case provenance.Tekton:
		return newTektonHook(env)
	}
	return nil
}

package cli

import (
	"context"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/gitlab"
	"github.com/signet-ci/signet/provenance"
	"github.com/signet-ci/signet/tekton"
)

// adapter is a CI platform as attest uses it. Each platform's package implements it by
// mapping its own words onto package ci; adapters hold no signing, hashing or policy logic.
// The calls come in this order: Plan; then Check once the subjects are digested and before
// anything is signed; then Publish after the run was written, or Fail on any error.
type adapter interface {
	// Plan reads the platform's inputs and environment into a plan. It reports every bad
	// input at once, each named as the platform's user wrote it (*ci.InputError).
	Plan(ctx context.Context) (ci.Plan, error)
	// Check refuses a run whose outcome the platform could not publish (too many results
	// for Tekton's termination message, say), before anything is signed.
	Check(subjects []core.Subject) error
	// Publish reports a finished run in the platform's native form: outputs, summaries,
	// reports, results.
	Publish(ctx context.Context, out ci.Outcome) error
	// Fail reports err natively (annotations, hints in the log); the command still prints
	// err and exits non-zero.
	Fail(err error)
}

// adapterFor returns the adapter of platform, or nil for a local run. A new CI platform is one
// package implementing adapter and one case here.
func adapterFor(env Env, platform provenance.Platform) adapter {
	switch platform {
	case provenance.GitHub:
		return action.New(env.Getenv, env.Stdout)
	case provenance.GitLab:
		return gitlab.New(env.Getenv, env.Stderr) // stdout stays the command's report (--format json)
	case provenance.Tekton:
		return tekton.New(env.Getenv, env.Stderr)
	}
	return nil
}

// apply lays a platform's plan over the command line's configuration. It is the one settings
// merge of every platform: subjects add up; a setting the platform's inputs give wins over the
// flag's value; the workspace is the base directory; the platform's token is one more place
// the identity may come from (see session.identity for the order).
func (c *attestConfig) apply(p ci.Plan) {
	if p.Dir != "" {
		c.Dir = p.Dir
	}
	c.Inputs.Paths = append(c.Inputs.Paths, p.Subjects.Paths...)
	c.Inputs.ChecksumFiles = append(c.Inputs.ChecksumFiles, p.Subjects.ChecksumFiles...)
	c.Inputs.Refs = append(c.Inputs.Refs, p.Subjects.Refs...)
	if p.Subjects.RefsFrom != "" {
		c.Inputs.RefsFrom = p.Subjects.RefsFrom
	}
	s := p.Settings
	if len(s.SBOMFormats) > 0 {
		c.SBOMFormats = s.SBOMFormats
	}
	if s.PredicateType != "" {
		c.PredType, c.PredFile, c.PredJSON = s.PredicateType, s.PredicatePath, s.Predicate
	}
	if s.Sigstore != "" {
		c.Sigstore = s.Sigstore
	}
	if s.OutputDir != "" {
		c.OutputDir = s.OutputDir
	}
	if s.MaxSubjects > 0 {
		c.MaxSubjects = s.MaxSubjects
	}
	c.PrivateTlog = c.PrivateTlog || s.PrivateRepoTlog
	c.PlatformToken, c.PlatformTokenFrom = p.Token, p.TokenFrom
	if c.PlatformTokenFrom == "" {
		c.PlatformTokenFrom = "the platform's identity token"
	}
	c.Tekton = p.TaskRun
	c.Images = append(c.Images, p.Images...)
	c.Registries = append(c.Registries, p.Registries...)
	c.PushToRegistry = c.PushToRegistry || s.PushToRegistry
	if s.ImagePlatforms != "" {
		c.ImagePlatforms = s.ImagePlatforms
	}
	if s.Key != "" {
		c.KeyFile, c.KeyFrom = s.Key, s.KeyFrom
	}
	// The one exception to "the inputs win": a --metrics-file on the command line (extra
	// arguments) is where its user asked for the record; GitLab's job always sets its file.
	if s.MetricsFile != "" && c.Metrics.File == "" {
		c.Metrics.File = s.MetricsFile
	}
}

package cli

import (
	"context"

	"github.com/signet-ci/signet/gitlab"
)

// gitlabHook runs attest as a GitLab job, such as the one of signet's component: the
// component's inputs over the command's flags, the job's ID token, and the dotenv and
// annotations reports with a summary in the job log (see package gitlab).
type gitlabHook struct {
	env Env
	a   *gitlab.Adapter
}

func newGitLabHook(env Env) platformHook {
	// The job log shows both streams; stderr keeps stdout for the report (--format json).
	return &gitlabHook{env: env, a: gitlab.New(env.Getenv, env.Stderr)}
}

// Prepare resolves subjects and outputs against CI_PROJECT_DIR, lays the component's inputs
// over the flags and, unless the command line chose the identity, takes SIGSTORE_ID_TOKEN.
func (h *gitlabHook) Prepare(ctx context.Context, cfg *attestConfig) error {
	plan, err := h.a.Prepare(ctx, gitlab.Request{Inputs: cfg.Inputs, OwnIdentity: ownGitLabIdentity(cfg)})
	if err != nil {
		return err
	}
	if cfg.Dir == "" {
		cfg.Dir = plan.Dir
	}
	cfg.Inputs = plan.Inputs
	applyGitLabInputs(cfg, plan.Settings)
	if plan.Tokens != nil {
		cfg.Tokens = plan.Tokens
	}
	return nil
}

// ownGitLabIdentity reports whether the command line chose the identity: a token, a token
// file, a key, or the embedded Sigstore. SIGSTORE_ID_TOKEN is the job's own token, read here.
func ownGitLabIdentity(cfg *attestConfig) bool {
	return cfg.Tokens != nil || cfg.Token != "" || cfg.TokenFile != "" || cfg.KeyFile != "" || cfg.Sigstore == "local"
}

// applyGitLabInputs lays the inputs that were given over the flags' values.
func applyGitLabInputs(cfg *attestConfig, in gitlab.Inputs) {
	if len(in.SBOMFormats) > 0 {
		cfg.SBOMFormats = in.SBOMFormats
	}
	if in.Sigstore != "" {
		cfg.Sigstore = in.Sigstore
	}
	if in.OutputDir != "" {
		cfg.OutputDir = in.OutputDir
	}
	if in.MaxSubjects > 0 {
		cfg.MaxSubjects = in.MaxSubjects
	}
	cfg.PrivateTlog = cfg.PrivateTlog || in.PrivateRepoTlog
}

// Publish writes the job-log summary and the dotenv and annotations reports.
func (h *gitlabHook) Publish(ctx context.Context, res *attestResult) error {
	return h.a.Publish(ctx, gitlab.Run{Index: res.Index, OutputDir: res.OutputDir})
}

// Fail adds a hint to the job log when the cause is usually in the job's configuration.
func (h *gitlabHook) Fail(err error) { h.a.Fail(err) }

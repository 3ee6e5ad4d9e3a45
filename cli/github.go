package cli

import (
	"context"

	"github.com/signet-ci/signet/action"
)

// githubHook runs attest as a GitHub Actions step: the action's inputs over the command's flags,
// the runner's identity token, outputs and a job summary (see package action).
type githubHook struct {
	env      Env
	adapter  *action.Adapter
	sigstore string
}

func newGitHubHook(env Env) platformHook {
	return &githubHook{env: env, adapter: action.New(env.Getenv, env.Stdout)}
}

// Prepare applies the step's INPUT_* values and, unless another token or a key was given,
// takes the identity token from the runner.
func (h *githubHook) Prepare(_ context.Context, cfg *attestConfig) error {
	req, err := h.adapter.Request()
	if err != nil {
		return err
	}
	applyGitHubRequest(cfg, req)
	if usesRunnerToken(h.env, cfg) {
		ts, err := h.adapter.TokenSource()
		if err != nil {
			return err
		}
		cfg.Tokens = ts
	}
	h.sigstore = cfg.Sigstore
	return nil
}

// applyGitHubRequest lays the action's inputs over cfg; inputs that were not given keep the
// flags' values, so `signet attest` in a run: step behaves as on the command line.
func applyGitHubRequest(cfg *attestConfig, req action.Request) {
	if len(cfg.Inputs.Paths) == 0 && cfg.Dir == "" {
		cfg.Dir = req.Workspace // subjects named by inputs resolve against the workspace
	}
	cfg.Inputs.Paths = append(cfg.Inputs.Paths, req.Subjects.Paths...)
	cfg.Inputs.ChecksumFiles = append(cfg.Inputs.ChecksumFiles, req.Subjects.ChecksumFiles...)
	cfg.Inputs.Refs = append(cfg.Inputs.Refs, req.Subjects.Refs...)
	if len(req.SBOMFormats) > 0 {
		cfg.SBOMFormats = req.SBOMFormats
	}
	if req.PredicateType != "" {
		cfg.PredType, cfg.PredFile = req.PredicateType, req.PredicatePath
	}
	if req.Sigstore != "" {
		cfg.Sigstore = req.Sigstore
	}
	if req.OutputDir != "" {
		cfg.OutputDir = req.OutputDir
	}
	if req.MaxSubjects > 0 {
		cfg.MaxSubjects = req.MaxSubjects
	}
	cfg.PrivateTlog = cfg.PrivateTlog || req.PrivateRepoTlog
}

// usesRunnerToken reports whether no other identity was chosen for this run.
func usesRunnerToken(env Env, cfg *attestConfig) bool {
	return cfg.Tokens == nil && cfg.Token == "" && cfg.TokenFile == "" && cfg.KeyFile == "" &&
		env.Getenv("SIGSTORE_ID_TOKEN") == "" && cfg.Sigstore != "local"
}

// Publish writes the step outputs and the job summary.
func (h *githubHook) Publish(ctx context.Context, res *attestResult) error {
	return h.adapter.Publish(ctx, action.Result{Index: res.Index, OutputDir: res.OutputDir, Sigstore: h.sigstore})
}

// Fail reports err as ::error annotations.
func (h *githubHook) Fail(err error) { h.adapter.Fail(err) }

package cli

import (
	"context"

	"github.com/signet-ci/signet/tekton"
)

// tektonHook runs attest as the step of signet's Tekton Task (see package tekton).
type tektonHook struct {
	env Env
	a   *tekton.Adapter
}

func newTektonHook(env Env) platformHook {
	return &tektonHook{env: env, a: tekton.New(env.Getenv, env.Stderr)}
}

// Prepare resolves subjects against the source workspace, reads the projected token at each
// use (unless another identity was chosen) and passes the TaskRun's identity to the provenance.
func (h *tektonHook) Prepare(ctx context.Context, cfg *attestConfig) error {
	plan, err := h.a.Prepare(ctx, tekton.Request{
		Inputs:      cfg.Inputs,
		TokenFile:   cfg.TokenFile,
		OwnIdentity: ownIdentity(h.env, cfg),
	})
	if err != nil {
		return err
	}
	if plan.Dir != "" {
		cfg.Dir = plan.Dir
	}
	cfg.Inputs = plan.Inputs
	if plan.Tokens != nil {
		cfg.Tokens = plan.Tokens
	}
	cfg.Tekton = plan.TaskRun
	return nil
}

// ownIdentity reports whether the command line chose the identity itself: a token, a key, or
// the embedded Sigstore. --identity-token-file is not one: it only moves the token file.
func ownIdentity(env Env, cfg *attestConfig) bool {
	return cfg.Tokens != nil || cfg.Token != "" || cfg.KeyFile != "" ||
		env.Getenv("SIGSTORE_ID_TOKEN") != "" || cfg.Sigstore == "local"
}

// Publish writes the Task's results within Tekton's termination-message budget.
func (h *tektonHook) Publish(ctx context.Context, res *attestResult) error {
	return h.a.Publish(ctx, tekton.Run{Index: res.Index, OutputDir: res.OutputDir, Subjects: res.Subjects})
}

// Fail prints a hint when the cause is usually in the TaskRun's wiring.
func (h *tektonHook) Fail(err error) { h.a.Fail(err) }

package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/sethvargo/go-githubactions"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/ghapi"
)

// tokenFrom names the runner's token in the command's errors.
const tokenFrom = "the runner's ID token"

// Adapter is signet as a GitHub Action. It maps the step's inputs and the runner's
// environment onto package ci, supplies the runner's identity token, and lays a finished run
// out in GitHub's forms: step outputs, the job summary, ::error annotations.
type Adapter struct {
	gha    *githubactions.Action
	getenv func(string) string
}

// New returns an Adapter over the runner environment getenv that writes workflow commands
// (masks, annotations) to stdout.
func New(getenv func(string) string, stdout io.Writer) *Adapter {
	return &Adapter{
		gha:    githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout)),
		getenv: getenv,
	}
}

// Plan reads the step's inputs into the run's plan: the workspace, the subjects and settings
// the inputs give, with paths resolved against the workspace, and the runner's ID token (whose
// absence is reported only if no other identity is chosen). Every bad input is reported at
// once (errors.Join of *ci.InputError).
func (a *Adapter) Plan(context.Context) (ci.Plan, error) {
	r := inputs(a.getenv)
	ws, wsErr := workspace(a.getenv)
	p := readPlan(r, ws, a.getenv("GITHUB_WORKSPACE"))
	readImages(r, &p, a.getenv)
	for _, c := range p.Registries {
		a.gha.AddMask(c.Password)
	}
	if err := errors.Join(r.Err(), wsErr); err != nil {
		return ci.Plan{}, err
	}
	p.TokenFrom = tokenFrom
	if ts, err := NewTokenSource(a.getenv, WithMask(a.gha.AddMask)); err != nil {
		p.Token = noToken{err}
	} else {
		p.Token = ts
	}
	return p, nil
}

// noToken is the runner's token when the job may not request one: its error says why.
type noToken struct{ err error }

func (n noToken) Token(context.Context) (string, error) { return "", n.err }

// Check accepts every run: the outputs and the summary carry any number of subjects.
func (a *Adapter) Check([]core.Subject) error { return nil }

// Publish writes the step outputs to $GITHUB_OUTPUT and, unless show-summary is false, the job
// summary to $GITHUB_STEP_SUMMARY. Paths are reported relative to the workspace.
func (a *Adapter) Publish(ctx context.Context, out ci.Outcome) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if out.Index == nil {
		return errors.New("publishing the run to GitHub: no index")
	}
	// The run's files are written; the upload records the store's ids in the index, and the
	// outputs and the summary show what was stored even when an upload failed.
	upErr := a.upload(ctx, out)
	if p := a.getenv("GITHUB_OUTPUT"); p != "" {
		outs, err := stepOutputs(out)
		if err != nil {
			return err
		}
		if err := WriteOutputs(p, outs); err != nil {
			return err
		}
	}
	// Plan refused a show-summary that is not a boolean; the default stands for any other caller.
	if p := a.getenv("GITHUB_STEP_SUMMARY"); p != "" && inputs(a.getenv).Bool(InputShowSummary, true) {
		s := summary{Out: out, Run: runFromEnv(a.getenv)}
		if err := appendFile("GITHUB_STEP_SUMMARY", p, s.render(SummaryLimit)); err != nil {
			return errors.Join(upErr, err)
		}
	}
	return upErr
}

// upload stores every bundle of the run in the repository's attestation store, as
// actions/attest does, with the github-token input; an empty github-token skips it.
func (a *Adapter) upload(ctx context.Context, out ci.Outcome) error {
	token := inputs(a.getenv).String(InputGitHubToken)
	if token == "" {
		return nil
	}
	// No ::add-mask:: here: the runner masks the job's token itself, and the command would
	// print the token on stdout for any other runner to read.
	repo, err := ghapi.ParseRepo(a.getenv("GITHUB_REPOSITORY"))
	if err != nil {
		return fmt.Errorf("GITHUB_REPOSITORY %w", err)
	}
	client, err := ghapi.New(a.getenv("GITHUB_API_URL"), token, ghapi.WithUserAgent("signet-action"))
	if err != nil {
		return fmt.Errorf("input %s or GITHUB_API_URL: %w", InputGitHubToken, err)
	}
	store, err := ghapi.NewRepoStore(client, repo, a.getenv("GITHUB_SERVER_URL"))
	if err != nil {
		return fmt.Errorf("GITHUB_SERVER_URL: %w", err)
	}
	if err := ci.UploadAll(ctx, store, out); err != nil {
		return fmt.Errorf("uploading to the attestation store of %s (the bundles and index.json are written in %s): %w",
			repo, out.Rel(out.OutputDir), err)
	}
	return nil
}

// Fail reports err as ::error annotations: one per bad input, each naming the input and pointing
// at the workflow file (or the input's own file) so the run page shows what to change.
func (a *Adapter) Fail(err error) {
	if err == nil {
		return
	}
	for _, e := range leaves(err) {
		props := map[string]string{"title": "signet"}
		if f := runFromEnv(a.getenv).workflowPath(); f != "" {
			props["file"] = f
		}
		msg := e.Error()
		var ie *ci.InputError
		switch {
		case errors.As(e, &ie):
			props["title"] = "signet: input " + ie.Input
			if ie.File != "" {
				props["file"] = ie.File
			}
			if ie.Line > 0 {
				props["line"] = strconv.Itoa(ie.Line)
			}
		case errors.Is(e, ErrNoIDToken):
			props["title"] = "signet: id-token: write permission missing"
		case errors.Is(e, ghapi.ErrForbidden):
			props["title"] = "signet: attestations: write permission missing"
			msg += "; add \"attestations: write\" to the job's permissions (beside \"id-token: write\"), " +
				"or set the github-token input to '' to skip the upload to the attestation store"
		case errors.Is(e, ghapi.ErrUnauthorized):
			props["title"] = "signet: input " + InputGitHubToken
			msg += "; the github-token input must be a token of this repository (default ${{ github.token }})"
		case errors.Is(e, core.ErrTokenMalformed), errors.Is(e, core.ErrTokenAudience), errors.Is(e, core.ErrTokenExpired):
			props["title"] = "signet: identity token refused"
		default:
			if input, hint := inputFor(e); input != "" {
				props["title"] = "signet: input " + input
				msg = fmt.Sprintf("input %s: %s; %s", input, msg, hint)
			}
		}
		a.gha.WithFieldsMap(props).Errorf("%s", msg)
	}
}

// leaves flattens errors.Join trees into the errors to report one by one.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}

// inputFor names the input behind an error the attest pipeline returned, and what to change.
func inputFor(err error) (input, hint string) {
	switch {
	case errors.Is(err, core.ErrNoMatch), errors.Is(err, core.ErrEmptyDir), errors.Is(err, core.ErrOutsideBase):
		return InputSubjectPath, "give paths or globs relative to the workspace that an earlier step wrote"
	case errors.Is(err, core.ErrMalformedChecksum):
		return InputSubjectChecksums, "each line must be \"HEX  NAME\" as sha256sum writes it"
	case errors.Is(err, core.ErrInvalidSubject):
		return InputSubjectDigest, "give subject-name and subject-digest as NAME and sha256:<64 hex digits>"
	case errors.Is(err, core.ErrNoSubjects):
		return InputSubjectPath, "set subject-path, subject-checksums, or subject-name with subject-digest"
	case errors.Is(err, core.ErrExists):
		return InputOutputDir, "choose an output-dir that this workflow has not written to yet"
	}
	return "", ""
}

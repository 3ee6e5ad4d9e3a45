package action

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
)

// Adapter is one run of signet as a GitHub Action: it reads the step's inputs, supplies the
// identity token, and publishes outputs, the job summary and annotations.
type Adapter struct {
	gha         *githubactions.Action
	getenv      func(string) string
	showSummary bool
}

// New returns an Adapter over the runner environment getenv that writes workflow commands
// (masks, annotations) to stdout.
func New(getenv func(string) string, stdout io.Writer) *Adapter {
	return &Adapter{
		gha:         githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout)),
		getenv:      getenv,
		showSummary: true,
	}
}

// Request reads and resolves the step's inputs (see NewRequest) and remembers show-summary.
func (a *Adapter) Request() (Request, error) {
	r, err := NewRequest(a.getenv)
	if err == nil {
		a.showSummary = r.ShowSummary
	}
	return r, err
}

// TokenSource returns the step's identity-token source; its tokens are masked in the log.
// It fails with ErrNoIDToken when the job lacks the id-token: write permission.
func (a *Adapter) TokenSource(opts ...TokenOption) (*TokenSource, error) {
	return NewTokenSource(a.getenv, append([]TokenOption{WithMask(a.gha.AddMask)}, opts...)...)
}

// Plan reads the step's inputs into the run's plan: the workspace, the subjects and settings
// the inputs give, and the runner's ID token (whose absence is reported only if no other
// identity is chosen).
func (a *Adapter) Plan(context.Context) (ci.Plan, error) {
	r, err := a.Request()
	if err != nil {
		return ci.Plan{}, err
	}
	p := ci.Plan{Dir: r.Workspace, Subjects: r.Subjects, TokenFrom: "the runner's ID token",
		Settings: ci.Settings{SBOMFormats: r.SBOMFormats, PredicateType: r.PredicateType, PredicatePath: r.PredicatePath,
			Sigstore: r.Sigstore, OutputDir: r.OutputDir, MaxSubjects: r.MaxSubjects, PrivateRepoTlog: r.PrivateRepoTlog}}
	if ts, err := a.TokenSource(); err != nil {
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

// Result is a finished attest run, as Publish reports it.
type Result struct {
	Index *core.Index
	// OutputDir is the absolute directory holding the bundles and the index.
	OutputDir string
	// Sigstore is the trust configuration used: "public" or a directory.
	Sigstore string
}

// Publish writes the step outputs to $GITHUB_OUTPUT and, unless show-summary is false, the job
// summary to $GITHUB_STEP_SUMMARY. Paths are reported relative to the workspace.
func (a *Adapter) Publish(ctx context.Context, out ci.Outcome) error {
	return a.publish(ctx, Result{Index: out.Index, OutputDir: out.OutputDir, Sigstore: out.Sigstore})
}

func (a *Adapter) publish(ctx context.Context, res Result) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ws, err := Workspace(a.getenv)
	if err != nil {
		return err
	}
	if p := a.getenv("GITHUB_OUTPUT"); p != "" {
		outs, err := outputs(ws, res)
		if err != nil {
			return err
		}
		if err := WriteOutputs(p, outs); err != nil {
			return err
		}
	}
	if p := a.getenv("GITHUB_STEP_SUMMARY"); p != "" && a.showSummary {
		s := summary{Index: res.Index, OutDir: Rel(ws, res.OutputDir), Sigstore: relSigstore(ws, res.Sigstore),
			Run: runFromEnv(a.getenv)}
		s.Files, s.Artifacts = artifacts(ws, res.Index)
		return appendFile("GITHUB_STEP_SUMMARY", p, s.render(SummaryLimit))
	}
	return nil
}

// outputs are the step outputs: the first bundle, the index, the subject count, and one
// attestation ID per bundle (sha256 of the bundle file), one a line.
func outputs(ws string, res Result) ([]Output, error) {
	ix := res.Index
	var first string
	ids := make([]string, 0, len(ix.Attestations))
	for i, at := range ix.Attestations {
		p := filepath.Join(res.OutputDir, filepath.FromSlash(at.Bundle))
		if i == 0 {
			first = Rel(ws, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading bundle %q for the attestation-ids output: %w", p, err)
		}
		sum := sha256.Sum256(b)
		ids = append(ids, "sha256:"+hex.EncodeToString(sum[:]))
	}
	return []Output{
		{OutputBundlePath, first},
		{OutputIndexPath, Rel(ws, filepath.Join(res.OutputDir, core.IndexFile))},
		{OutputSubjectCount, strconv.Itoa(len(ix.Subjects))},
		{OutputAttestationIDs, strings.Join(ids, "\n")},
	}, nil
}

func relSigstore(ws, s string) string {
	if s == "" || s == "public" || s == "local" {
		return s
	}
	return Rel(ws, s)
}

// artifacts lists the subjects for the verify commands: files are the subjects present as files
// in the workspace; all names every subject, as its file or as NAME@ALG:HEX.
func artifacts(ws string, ix *core.Index) (files, all []string) {
	for _, s := range ix.Subjects {
		if fi, err := os.Stat(filepath.Join(ws, filepath.FromSlash(s.Name))); err == nil && fi.Mode().IsRegular() {
			files = append(files, s.Name)
			all = append(all, s.Name)
			continue
		}
		all = append(all, s.Name+"@"+digestString(s.Digest))
	}
	return files, all
}

// Fail reports err as ::error annotations: one per bad input, each naming the input and pointing
// at the workflow file (or the input's own file) so the run page shows what to change.
func (a *Adapter) Fail(err error) {
	if err == nil {
		return
	}
	for _, e := range leaves(err) {
		props := map[string]string{"title": "signet"}
		if f := a.workflowFile(); f != "" {
			props["file"] = f
		}
		msg := e.Error()
		var ie *InputError
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

// workflowFile is the running workflow's file in the repository, from GITHUB_WORKFLOW_REF.
func (a *Adapter) workflowFile() string {
	return runFromEnv(a.getenv).workflowPath()
}

package tekton

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// Adapter runs one attest run as a step of signet's Task. It maps the step's params and
// environment onto package ci and lays the outcome out as Tekton results; it implements the
// command's adapter contract: Plan, then Check, then Publish or Fail.
type Adapter struct {
	getenv func(string) string
	log    io.Writer
	limit  int
	step   Step
	token  *TokenFile // the Task's token, once planned
	// collected is set by Check: the subjects were resolved, so later errors are not theirs.
	collected bool
}

// New returns an Adapter reading the step's environment through getenv and writing notes and
// hints to log.
func New(getenv func(string) string, log io.Writer) *Adapter {
	if log == nil {
		log = io.Discard
	}
	return &Adapter{getenv: getenv, log: log, limit: MaxMessageBytes}
}

// Plan reads the step's environment into the run's plan: the source workspace, the subjects
// the params give, the projected token file and what the TaskRun says about itself. It
// reports every problem at once.
func (a *Adapter) Plan(context.Context) (ci.Plan, error) {
	step, err := ReadStep(a.getenv)
	a.step = step
	if step.MaxResultBytes > 0 {
		a.limit = step.MaxResultBytes
	}
	if err != nil {
		return ci.Plan{}, err
	}
	a.token = NewTokenFile(step.TokenFile)
	p := ci.Plan{
		Dir:       step.Workspace,
		Subjects:  core.Inputs{Paths: step.SubjectPaths, ChecksumFiles: step.ChecksumFiles},
		Token:     a.token,
		TokenFrom: fmt.Sprintf("the projected token file %q", step.TokenFile),
		TaskRun:   step.TaskRun,
		Settings:  ci.Settings{Key: step.Key, KeyFrom: step.KeyFrom},
	}
	p.Settings.MetricsFile = step.MetricsFile
	if err := readImages(a.getenv, &p); err != nil {
		return ci.Plan{}, err
	}
	return p, nil
}

// pathAllowance is what Check sets aside for each of index-path and bundle-path, which are
// known only once the run is written: room for an output-dir of some 90 bytes. Publish checks
// the exact results again.
const pathAllowance = 128

// Check refuses, before anything is signed, a run whose results would overflow the
// termination message: ARTIFACT_OUTPUTS and IMAGES as they will be, the two paths at
// pathAllowance bytes each.
func (a *Adapter) Check(subjects []core.Subject) error {
	a.collected = true
	if len(subjects) == 0 {
		return nil // core refuses a run with no subjects
	}
	prim := primary(subjects)
	room := strings.Repeat("x", pathAllowance)
	results := []Result{artifactOutputsResult(prim), {Name: ResultImages, Value: imagesValue(subjects)},
		{Name: ResultIndexPath, Value: room}, {Name: ResultBundlePath, Value: room}}
	err := checkBudget(results, a.limit)
	if err == nil {
		return nil
	}
	n := 0
	for _, s := range subjects {
		if isImage(s) {
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("the primary artifact's name is %d bytes long: %w; give it a shorter path in the workspace", len(prim.Name), err)
	}
	return fmt.Errorf("%d images: %w (index-path and bundle-path counted at %d bytes each before the run); pass fewer "+
		"images to each signet TaskRun (split them over several signet tasks) so Tekton Chains can read the IMAGES hint", n, err, pathAllowance)
}

// Publish writes the run's results. Outside a Task (no results directory) it only notes that.
func (a *Adapter) Publish(_ context.Context, out ci.Outcome) error {
	if a.step.Results == nil {
		fmt.Fprintf(a.log, "tekton: no results directory (%s is missing and no $(results.*.path) was passed): results not written\n", DefaultResultsDir)
		return nil
	}
	results, err := BuildResults(out)
	if err != nil {
		return err
	}
	n, err := WriteResults(a.step.Results, results, a.limit)
	if err != nil {
		return fmt.Errorf("%w; the bundles and index are in %s", err, out.OutputDir)
	}
	fmt.Fprintf(a.log, "tekton: wrote %d results, a %d-byte termination message of %d allowed\n", len(results), n, a.limit)
	return nil
}

// Fail adds a hint for failures whose cause is usually in how the Task or TaskRun was wired.
func (a *Adapter) Fail(err error) {
	if hint := a.hint(err); hint != "" {
		fmt.Fprintln(a.log, "tekton: hint:", hint)
	}
}

func (a *Adapter) hint(err error) string {
	ws := a.step.Workspace
	if ws == "" {
		ws = "the working directory"
	}
	// A token hint is about the Task's token only when the run's identity came from it, not
	// from --identity-token-file or SIGSTORE_ID_TOKEN.
	taskToken := a.token != nil && a.token.used.Load()
	tok := a.step.TokenFile
	switch {
	case errors.Is(err, core.ErrNoSubjects):
		return "name what to sign: set the subject-path param (files, directories or globs in the source workspace, " +
			"one per line), subject-checksums (a sha256sum file in the workspace), or pass --subject NAME@sha256:HEX in extra-args"
	case !taskToken && core.IsTokenError(err):
		return ""
	case errors.Is(err, core.ErrTokenAudience):
		return fmt.Sprintf("the Task's projected token (%s) gets its audience from the serviceAccountToken source of the "+
			"sigstore-token volume: set audience: %s there (signet's Task does)", tok, core.Audience)
	case errors.Is(err, core.ErrTokenExpired):
		return fmt.Sprintf("the kubelet refreshes the projected token (%s) in place and signet reads it afresh: mount the "+
			"projected volume as a directory, never with subPath (a subPath mount never sees the refresh), and do not copy the token", tok)
	case errors.Is(err, core.ErrTokenMalformed):
		return fmt.Sprintf("%s must point at the projected service-account token itself (%s in signet's Task), not at a "+
			"Secret, a kubeconfig or a copy", EnvTokenFile, DefaultTokenFile)
	case errors.Is(err, core.ErrNoToken):
		return "" // the token file's own message says what to mount where
	case errors.Is(err, provenance.ErrEnvMismatch):
		return "the TaskRun's namespace or service account differs from the token's: run the TaskRun with the " +
			"service account whose projected token the step reads"
	case a.collected:
		return "" // the subjects were found: a missing file below is not one of them
	case errors.Is(err, core.ErrNoMatch), errors.Is(err, core.ErrEmptyDir), errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("subjects are resolved in the source workspace (%s): check the subject-path and "+
			"subject-checksums params against what the build task wrote there, and that the Pipeline binds the same "+
			"workspace to both tasks", ws)
	case errors.Is(err, core.ErrOutsideBase):
		return fmt.Sprintf("give subject-path relative to the source workspace (%s); signet signs nothing outside it", ws)
	}
	return ""
}

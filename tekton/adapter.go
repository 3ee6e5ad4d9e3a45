package tekton

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// Request is what the command line already says about the run; Prepare completes it.
type Request struct {
	// Inputs are the subjects given as arguments and flags (for example in extra-args).
	Inputs core.Inputs
	// TokenFile is --identity-token-file, which replaces the Task's token path when set.
	TokenFile string
	// OwnIdentity is true when the command line supplies the identity itself (a token or a
	// key): the adapter then leaves the identity alone.
	OwnIdentity bool
}

// Plan is how the adapter completes the run.
type Plan struct {
	// Dir is the base directory for subjects and the output directory: the source workspace.
	Dir string
	// Inputs are the request's inputs plus the subject-path and subject-checksums params.
	Inputs core.Inputs
	// Tokens reads the projected token at each use; nil when the request has its own identity.
	Tokens core.TokenSource
	// TaskRun is what the Task passes about its TaskRun, for the provenance.
	TaskRun provenance.TektonParams
}

// Adapter runs one attest run as a step of signet's Task: Prepare, then Publish or Fail.
type Adapter struct {
	getenv func(string) string
	log    io.Writer
	limit  int
	step   Step
	images map[string]bool
}

// New returns an Adapter reading the step's environment through getenv and writing notes and
// hints to log.
func New(getenv func(string) string, log io.Writer) *Adapter {
	if log == nil {
		log = io.Discard
	}
	return &Adapter{getenv: getenv, log: log, limit: MaxMessageBytes}
}

// Prepare reads the step's environment, checks the workspace, the subjects and the token, and
// returns the completed plan. It reports every problem at once.
func (a *Adapter) Prepare(ctx context.Context, req Request) (Plan, error) {
	step, err := ReadStep(a.getenv)
	a.step = step
	in := req.Inputs
	in.Paths = append(in.Paths, step.SubjectPaths...)
	in.ChecksumFiles = append(in.ChecksumFiles, step.ChecksumFiles...)
	errs := []error{err, nothingToSign(in), a.noteImages(in.Refs)}
	plan := Plan{Dir: step.Workspace, Inputs: in, TaskRun: step.TaskRun}
	if !req.OwnIdentity {
		tf := NewTokenFile(orDefault(req.TokenFile, step.TokenFile))
		if _, err := tf.Token(ctx); err != nil {
			errs = append(errs, err)
		}
		plan.Tokens = tf
	}
	return plan, errors.Join(errs...)
}

// Plan reads the step's environment into the run's plan: the source workspace, the subjects
// the params give, the projected token file and what the TaskRun says about itself.
func (a *Adapter) Plan(context.Context) (ci.Plan, error) {
	step, err := ReadStep(a.getenv)
	a.step = step
	if err != nil {
		return ci.Plan{}, err
	}
	return ci.Plan{Dir: step.Workspace, Subjects: core.Inputs{Paths: step.SubjectPaths, ChecksumFiles: step.ChecksumFiles},
		Token: NewTokenFile(step.TokenFile), TokenFrom: fmt.Sprintf("the token file %q", step.TokenFile), TaskRun: step.TaskRun}, nil
}

// Check notes which subjects are container images and refuses, before anything is signed,
// a run whose IMAGES result alone would overflow the termination message.
func (a *Adapter) Check(subjects []core.Subject) error {
	var refs []string
	for _, s := range subjects {
		if s.Path == "" && s.Digest[core.SHA256] != "" {
			refs = append(refs, s.Name+"@sha256:"+s.Digest[core.SHA256])
		}
	}
	return a.noteImages(refs)
}

// nothingToSign fails when no param or argument names a subject.
func nothingToSign(in core.Inputs) error {
	if len(in.Paths)+len(in.ChecksumFiles)+len(in.Refs) > 0 {
		return nil
	}
	return fmt.Errorf("%w: set the subject-path param (files, directories or globs in the source workspace, one per line), "+
		"subject-checksums (a sha256sum file), or pass --subject NAME@sha256:HEX in extra-args", ErrNothingToSign)
}

// noteImages remembers which refs are container images and fails early, before anything is
// signed, when listing them in IMAGES alone would overflow the termination message.
func (a *Adapter) noteImages(refs []string) error {
	a.images = map[string]bool{}
	var subjects []core.Subject
	for _, r := range refs {
		s, err := core.ParseSubjectRef(r)
		if err != nil || !IsImageName(s.Name) {
			continue // core reports malformed refs
		}
		a.images[s.Name] = true
		subjects = append(subjects, s)
	}
	v := imagesValue(subjects, a.images)
	if err := checkBudget([]Result{{Name: ResultImages, Value: v}}, a.limit); err != nil {
		return fmt.Errorf("%d images: %w; pass fewer images to each signet TaskRun (split them over several "+
			"signet tasks) so Tekton Chains can read the IMAGES hint", len(subjects), err)
	}
	return nil
}

// Publish writes the run's results. Outside a Task (no results directory) it only notes that.
func (a *Adapter) Publish(_ context.Context, out ci.Outcome) error {
	run := Run{Index: out.Index, OutputDir: out.OutputDir, Subjects: out.Subjects}
	if a.step.Results == nil {
		fmt.Fprintf(a.log, "tekton: no results directory (%s is missing and no $(results.*.path) was passed): results not written\n", DefaultResultsDir)
		return nil
	}
	results, err := BuildResults(run, a.step.Workspace, a.images)
	if err != nil {
		return err
	}
	n, err := WriteResults(a.step.Results, results, a.limit)
	if err != nil {
		return fmt.Errorf("%w; the bundles and index are in %s", err, run.OutputDir)
	}
	fmt.Fprintf(a.log, "tekton: wrote %d results, a %d-byte termination message of %d allowed\n", len(results), n, a.limit)
	return nil
}

// Fail adds a hint for failures whose cause is usually in how the TaskRun was wired.
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
	switch {
	case errors.Is(err, core.ErrNoMatch), errors.Is(err, core.ErrEmptyDir), errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrNoToken):
		return fmt.Sprintf("subjects are resolved in the source workspace (%s): check the subject-path and "+
			"subject-checksums params against what the build task wrote there, and that the Pipeline binds the same "+
			"workspace to both tasks", ws)
	case errors.Is(err, core.ErrOutsideBase):
		return fmt.Sprintf("give subject-path relative to the source workspace (%s); signet signs nothing outside it", ws)
	case errors.Is(err, provenance.ErrEnvMismatch):
		return "the TaskRun's namespace or service account differs from the token's: run the TaskRun with the " +
			"service account whose projected token the step reads"
	}
	return ""
}

package gitlab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// Request is what the command line already says about the run; Prepare completes it.
type Request struct {
	// Inputs are the subjects given as arguments and flags.
	Inputs core.Inputs
	// OwnIdentity is true when the command line supplies the identity itself (a token, a
	// token file or a key): the adapter then leaves the identity alone.
	OwnIdentity bool
}

// Plan is how the adapter completes the run.
type Plan struct {
	// Dir is the base directory for subjects and the output directory: CI_PROJECT_DIR.
	Dir string
	// Inputs are the request's subjects plus the subject-path and subject-checksums inputs.
	Inputs core.Inputs
	// Settings are the component's other inputs; zero fields were not given.
	Settings Inputs
	// Tokens reads SIGSTORE_ID_TOKEN; nil when the request has its own identity.
	Tokens core.TokenSource
}

// Run is a finished attest run, as Publish reports it.
type Run struct {
	Index *core.Index
	// OutputDir is the absolute directory holding the bundles and the index.
	OutputDir string
}

// Adapter runs one attest run as a GitLab job: Prepare, then Publish or Fail.
type Adapter struct {
	getenv func(string) string
	log    io.Writer
	now    func() time.Time
	job    Job
}

// New returns an Adapter reading the job's environment through getenv and writing the
// summary and hints to log (the job log).
func New(getenv func(string) string, log io.Writer) *Adapter {
	if log == nil {
		log = io.Discard
	}
	return &Adapter{getenv: getenv, log: log, now: time.Now}
}

// Prepare reads the job's variables and the component's inputs, checks that the job's ID
// token can sign, and returns the completed plan. It reports every problem at once.
func (a *Adapter) Prepare(ctx context.Context, req Request) (Plan, error) {
	job, jobErr := ReadJob(a.getenv)
	a.job = job
	settings, inErr := ReadInputs(a.getenv, job.ProjectDir)
	in := req.Inputs
	in.Paths = append(in.Paths, settings.SubjectPaths...)
	in.ChecksumFiles = append(in.ChecksumFiles, settings.ChecksumFiles...)
	errs := []error{jobErr, inErr}
	plan := Plan{Dir: job.ProjectDir, Inputs: in, Settings: settings}
	if !req.OwnIdentity {
		ts := NewTokenSource(a.getenv, job)
		if _, err := ts.Token(ctx); err != nil {
			errs = append([]error{err}, errs...)
		}
		plan.Tokens = ts
	}
	return plan, errors.Join(errs...)
}

// Plan reads the job's variables and the component's inputs into the run's plan: the project
// directory, the subjects and settings the inputs give. The job's ID token is
// SIGSTORE_ID_TOKEN, which the command reads itself.
func (a *Adapter) Plan(ctx context.Context) (ci.Plan, error) {
	p, err := a.Prepare(ctx, Request{OwnIdentity: true})
	if err != nil {
		return ci.Plan{}, err
	}
	s := p.Settings
	return ci.Plan{Dir: p.Dir, Subjects: p.Inputs, Settings: ci.Settings{SBOMFormats: s.SBOMFormats, Sigstore: s.Sigstore,
		OutputDir: s.OutputDir, MaxSubjects: s.MaxSubjects, PrivateRepoTlog: s.PrivateRepoTlog}}, nil
}

// Check accepts every run: the dotenv report names one bundle whatever the subjects.
func (a *Adapter) Check([]core.Subject) error { return nil }

// Publish writes the summary to the job log, then the dotenv report to $SIGNET_DOTENV and the
// annotations report to $SIGNET_ANNOTATIONS when those are set (relative to CI_PROJECT_DIR).
func (a *Adapter) Publish(ctx context.Context, out ci.Outcome) error {
	run := Run{Index: out.Index, OutputDir: out.OutputDir}
	if err := ctx.Err(); err != nil {
		return err
	}
	if run.Index == nil {
		return errors.New("publishing the GitLab reports: the run produced no index")
	}
	s := summary{job: a.job, ix: run.Index, outDir: run.OutputDir}
	if err := Section(a.log, a.now(), SectionName, s.header(), s.body(), false); err != nil {
		return fmt.Errorf("writing the summary to the job log: %w", err)
	}
	var errs []error
	if p := a.getenv(VarDotenv); p != "" {
		b, err := EncodeDotenv(dotenvVariables(a.job, run.Index, run.OutputDir))
		errs = append(errs, a.writeReport(VarDotenv, p, b, err))
	}
	if p := a.getenv(VarAnnotations); p != "" {
		b, err := EncodeAnnotations(buildAnnotations(a.job, run.Index, run.OutputDir))
		errs = append(errs, a.writeReport(VarAnnotations, p, b, err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w; the bundles and the index are in %s", err, a.job.Rel(run.OutputDir))
	}
	return nil
}

// writeReport writes a report file named by variable, or passes on the error encoding it.
func (a *Adapter) writeReport(variable, path string, data []byte, encErr error) error {
	if encErr != nil {
		return fmt.Errorf("%s %q: %w", variable, path, encErr)
	}
	if !filepath.IsAbs(path) && a.job.ProjectDir != "" {
		path = filepath.Join(a.job.ProjectDir, path)
	}
	if err := core.WriteFileAtomic(path, data, 0o644); err != nil {
		return fmt.Errorf("%s: %w", variable, err)
	}
	return nil
}

// Fail adds a hint to the job log for failures whose cause is usually in the job's
// configuration; the error itself is printed by the command.
func (a *Adapter) Fail(err error) {
	if hint := a.hint(err); hint != "" {
		fmt.Fprintln(a.log, "signet: hint:", hint)
	}
}

func (a *Adapter) hint(err error) string {
	dir := a.job.ProjectDir
	if dir == "" {
		dir = "CI_PROJECT_DIR"
	}
	job := a.job.JobName
	if job == "" {
		job = "signet-attest"
	}
	switch {
	case errors.Is(err, core.ErrNoSubjects):
		return "set the component's subject-path input (files, directories or globs relative to the project directory, " +
			"separated by spaces, commas or newlines) or subject-checksums (sha256sum files), or pass paths to signet attest"
	case errors.Is(err, core.ErrNoMatch), errors.Is(err, core.ErrEmptyDir),
		errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrNoIDToken):
		return fmt.Sprintf("subjects are resolved in the project directory (%s), and a job only sees the artifacts of the jobs "+
			"it needs: add the job that builds them to this job's needs (in your .gitlab-ci.yml: `%s: {needs: [build]}`) "+
			"and check subject-path and subject-checksums against what that job keeps in artifacts:paths", dir, job)
	case errors.Is(err, core.ErrOutsideBase):
		return fmt.Sprintf("give subject-path relative to the project directory (%s); signet signs nothing outside it", dir)
	case errors.Is(err, core.ErrExists):
		return "the output directory already holds signet's files, perhaps from the artifacts of another signet job this " +
			"job needs: give each signet job its own output-dir input"
	case errors.Is(err, provenance.ErrEnvMismatch):
		return "a CI_* variable differs from what the ID token says: do not set predefined CI_* variables in variables:"
	}
	return ""
}

package gitlab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
)

// Adapter is the GitLab CI/CD platform of signet attest: Plan reads the job's variables and
// the component's inputs; Publish lays the outcome out as a job-log section, a dotenv report
// and an annotations report; Fail adds GitLab hints to the job log. The identity token is the
// job's SIGSTORE_ID_TOKEN, which the command reads itself.
type Adapter struct {
	getenv func(string) string
	log    io.Writer
	now    func() time.Time
	job    Job
	jobErr error
}

// New returns an Adapter reading the job's environment through getenv and writing the
// summary and hints to log (the job log).
func New(getenv func(string) string, log io.Writer) *Adapter {
	if log == nil {
		log = io.Discard
	}
	job, err := ReadJob(getenv)
	return &Adapter{getenv: getenv, log: log, now: time.Now, job: job, jobErr: err}
}

// Plan reads the job's predefined variables and the component's inputs into the run's plan:
// CI_PROJECT_DIR as the workspace, the subjects and the settings the inputs give. It reports
// every problem at once: bad inputs as *ci.InputError, a missing job as ErrNotInJob.
func (a *Adapter) Plan(ctx context.Context) (ci.Plan, error) {
	if err := ctx.Err(); err != nil {
		return ci.Plan{}, err
	}
	subjects, settings, err := readInputs(a.getenv, a.job.ProjectDir)
	p := ci.Plan{Dir: a.job.ProjectDir, Subjects: subjects, Settings: settings}
	imgErr := readImages(a.getenv, &p)
	if err := errors.Join(a.jobErr, err, imgErr); err != nil {
		return ci.Plan{}, err
	}
	return p, nil
}

// Check accepts every run: the reports name one bundle whatever the subjects.
func (a *Adapter) Check([]core.Subject) error { return nil }

// Publish writes the summary to the job log, then the dotenv report to $SIGNET_DOTENV and the
// annotations report to $SIGNET_ANNOTATIONS when those are set (relative to CI_PROJECT_DIR).
func (a *Adapter) Publish(ctx context.Context, out ci.Outcome) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if out.Index == nil {
		return errors.New("publishing the GitLab reports: the run produced no index")
	}
	if out.Dir == "" {
		out.Dir = a.job.ProjectDir
	}
	if w := out.PublicLogWarning("the component input sigstore: DIR"); w != "" {
		fmt.Fprintf(a.log, "signet: %s\n", w)
	}
	s := summary{job: a.job, out: out}
	if err := Section(a.log, a.now(), SectionName, s.header(), s.body(), false); err != nil {
		return fmt.Errorf("writing the summary to the job log: %w", err)
	}
	var errs []error
	if p := a.getenv(VarDotenv); p != "" {
		b, err := EncodeDotenv(dotenvVariables(out))
		errs = append(errs, writeReport(out.Dir, VarDotenv, p, b, err))
	}
	if p := a.getenv(VarAnnotations); p != "" {
		b, err := EncodeAnnotations(buildAnnotations(a.job, out))
		errs = append(errs, writeReport(out.Dir, VarAnnotations, p, b, err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w; the bundles and the index are in %s", err, out.Rel(out.OutputDir))
	}
	return nil
}

// writeReport writes a report file named by variable (relative to dir), or passes on the
// error encoding it.
func writeReport(dir, variable, path string, data []byte, encErr error) error {
	if encErr != nil {
		return fmt.Errorf("%s %q: %w", variable, path, encErr)
	}
	if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	if err := core.WriteFileAtomic(path, data, 0o644); err != nil {
		return fmt.Errorf("%s: %w", variable, err)
	}
	return nil
}

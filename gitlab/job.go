package gitlab

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// ErrNotInJob means the predefined variables of a GitLab job are missing or unusable.
var ErrNotInJob = errors.New("not in a GitLab CI job")

// DefaultServerURL is the server assumed when CI_SERVER_URL is unset.
const DefaultServerURL = "https://gitlab.com"

// Job is what a GitLab job's predefined variables say about it. The values describe the job
// for humans (log, links); the provenance takes its facts from the verified token instead.
type Job struct {
	// ProjectDir is CI_PROJECT_DIR, the clone the job runs in: subjects and outputs are
	// resolved against it, and artifacts can only come from inside it.
	ProjectDir string
	// ServerURL is CI_SERVER_URL without a trailing slash (DefaultServerURL when unset).
	ServerURL string
	// ProjectPath is CI_PROJECT_PATH, such as group/project.
	ProjectPath string
	// ConfigPath is CI_CONFIG_PATH, the pipeline configuration (default .gitlab-ci.yml).
	ConfigPath string
	// PipelineSource is CI_PIPELINE_SOURCE (push, merge_request_event, parent_pipeline...).
	PipelineSource string
	// PipelineURL is CI_PIPELINE_URL.
	PipelineURL string
	// JobID is CI_JOB_ID.
	JobID string
	// JobName is CI_JOB_NAME.
	JobName string
	// JobURL is CI_JOB_URL; artifact links are built on it.
	JobURL string
	// CommitSHA is CI_COMMIT_SHA.
	CommitSHA string
	// RefName is CI_COMMIT_REF_NAME, the branch or tag.
	RefName string
}

// ReadJob reads the job's predefined variables. CI_PROJECT_DIR must be an absolute path; URLs,
// when set, must be http(s) URLs. Missing optional variables stay empty.
func ReadJob(getenv func(string) string) (Job, error) {
	j := Job{
		ProjectDir:     getenv("CI_PROJECT_DIR"),
		ServerURL:      strings.TrimSuffix(getenv("CI_SERVER_URL"), "/"),
		ProjectPath:    getenv("CI_PROJECT_PATH"),
		ConfigPath:     getenv("CI_CONFIG_PATH"),
		PipelineSource: getenv("CI_PIPELINE_SOURCE"),
		PipelineURL:    getenv("CI_PIPELINE_URL"),
		JobID:          getenv("CI_JOB_ID"),
		JobName:        getenv("CI_JOB_NAME"),
		JobURL:         strings.TrimSuffix(getenv("CI_JOB_URL"), "/"),
		CommitSHA:      getenv("CI_COMMIT_SHA"),
		RefName:        getenv("CI_COMMIT_REF_NAME"),
	}
	if j.ServerURL == "" {
		j.ServerURL = DefaultServerURL
	}
	if j.ConfigPath == "" {
		j.ConfigPath = ".gitlab-ci.yml"
	}
	var errs []error
	switch {
	case j.ProjectDir == "":
		errs = append(errs, fmt.Errorf("%w: CI_PROJECT_DIR is not set: run signet with --platform gitlab inside a GitLab "+
			"job, where the runner sets it to the project's clone", ErrNotInJob))
	case !filepath.IsAbs(j.ProjectDir):
		errs = append(errs, fmt.Errorf("%w: CI_PROJECT_DIR %q: expected an absolute path", ErrNotInJob, j.ProjectDir))
	}
	for _, v := range []struct{ name, value string }{
		{"CI_SERVER_URL", j.ServerURL}, {"CI_PIPELINE_URL", j.PipelineURL}, {"CI_JOB_URL", j.JobURL},
	} {
		if err := checkURL(v.name, v.value); err != nil {
			errs = append(errs, err)
		}
	}
	return j, errors.Join(errs...)
}

// checkURL accepts "" or an absolute http(s) URL without credentials.
func checkURL(name, value string) error {
	if value == "" {
		return nil
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: %s %q: expected an http(s) URL such as %s", ErrNotInJob, name, value, DefaultServerURL)
	}
	return nil
}

// ArtifactURL links a file of the job's artifacts (path relative to the project directory),
// or returns "" when the job URL is unknown.
func (j Job) ArtifactURL(rel string) string {
	if j.JobURL == "" {
		return ""
	}
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return j.JobURL + "/artifacts/file/" + strings.Join(parts, "/")
}

package gitlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// TokenVariable is the job variable GitLab fills with the ID token declared under id_tokens,
// and the one the command reads the identity token from.
const TokenVariable = "SIGSTORE_ID_TOKEN"

// idTokensYAML is the job configuration that makes GitLab issue the token, for hints.
const idTokensYAML = "id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore"

// Fail adds a hint to the job log for failures whose cause is usually in the job's
// configuration, saying what to change in .gitlab-ci.yml; the error itself is printed by the
// command.
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
	case errors.Is(err, core.ErrNoToken):
		return fmt.Sprintf("GitLab gives a job an ID token for Sigstore in %s only when the job declares it: add `%s` "+
			"to the job in your .gitlab-ci.yml (`%s: {id_tokens: {SIGSTORE_ID_TOKEN: {aud: sigstore}}}`); signet's "+
			"component declares it, a job of your own must declare it too", TokenVariable, idTokensYAML, job)
	case errors.Is(err, core.ErrTokenMalformed):
		return fmt.Sprintf("%s must hold the ID token GitLab issues for `%s`: do not set a variable of that name in "+
			"variables: or in the project's CI/CD settings", TokenVariable, idTokensYAML)
	case errors.Is(err, core.ErrTokenAudience):
		return fmt.Sprintf("GitLab issues %s for the aud its id_tokens entry names, and Fulcio accepts only %q: "+
			"declare `%s` in the job %s", TokenVariable, core.Audience, idTokensYAML, job)
	case errors.Is(err, core.ErrTokenExpired):
		return fmt.Sprintf("GitLab makes an ID token last as long as the job's timeout: raise the job's timeout in "+
			"your .gitlab-ci.yml (`%s: {timeout: 2h}`) if signing runs late in a long job, or sign in a job of its own "+
			"that needs the build job", job)
	case errors.Is(err, provenance.ErrNoConfigRef):
		return a.noConfigRef()
	case errors.Is(err, core.ErrNoSubjects):
		return "set the component's subject-path input (files, directories or globs relative to the project directory, " +
			"separated by spaces, commas or newlines) or subject-checksums (sha256sum files), or pass paths to signet attest"
	case errors.Is(err, core.ErrNoMatch), errors.Is(err, core.ErrEmptyDir), errors.Is(err, fs.ErrNotExist):
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

// noConfigRef explains why a token without ci_config_ref_uri cannot sign, from the job's
// variables and the job's token (whose payload is read unverified, only to explain), and
// what to change.
func (a *Adapter) noConfigRef() string {
	state, project := "null or absent", a.job.ProjectPath
	if c, err := core.PeekToken(a.getenv(TokenVariable)); err == nil {
		raw, present := c.Claim("ci_config_ref_uri")
		if s := configRefState(raw, present); s != "" {
			state = s
		}
		if p := c.String("project_path"); p != "" {
			project = p
		}
	}
	cause := "the pipeline's configuration is not a file of this project (a child pipeline, a configuration from " +
		"another project, or Auto DevOps)"
	fix := "run signet in a job of the project's own .gitlab-ci.yml"
	switch {
	case state == "absent":
		cause = "the token does not carry the claim at all, as GitLab versions from before the claim existed do"
		fix = "run signet on a GitLab instance whose ID tokens carry ci_config_ref_uri"
	case a.job.PipelineSource == "parent_pipeline":
		cause = "this job runs in a child pipeline (CI_PIPELINE_SOURCE=parent_pipeline)"
		fix = "include signet's component in the parent pipeline's own configuration, the project's .gitlab-ci.yml"
	case strings.Contains(a.job.ConfigPath, "@") || strings.Contains(a.job.ConfigPath, "://"):
		cause = fmt.Sprintf("the pipeline's configuration (CI_CONFIG_PATH %q) is a file of another project or a URL", a.job.ConfigPath)
		fix = "make the project's CI/CD configuration file a file of the project and run signet in a job of it"
	}
	return fmt.Sprintf("the ci_config_ref_uri claim of %s is %s for project %q because %s. GitLab fills that claim "+
		"only for a pipeline configured by a file of the project, and Fulcio names the signer by it, so a keyless "+
		"certificate would name no pipeline (\"https://<nil>\"). To sign, %s, with `%s` in that job",
		TokenVariable, state, project, cause, fix, idTokensYAML)
}

// configRefState describes an unusable ci_config_ref_uri ("absent", "null", "empty", "not a
// string"), or returns "" for a usable one.
func configRefState(raw json.RawMessage, present bool) string {
	if !present {
		return "absent"
	}
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "not a string"
	}
	switch {
	case s == nil:
		return "null"
	case *s == "":
		return "empty"
	}
	return ""
}

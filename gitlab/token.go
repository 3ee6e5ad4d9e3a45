package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/signet-ci/signet/provenance"
)

// TokenVariable is the job variable GitLab fills with the ID token declared under id_tokens.
const TokenVariable = "SIGSTORE_ID_TOKEN"

// Audience is the audience Fulcio requires; the job's id_tokens must request it.
const Audience = "sigstore"

// idTokensYAML is the job configuration that makes GitLab issue the token, for messages.
const idTokensYAML = "id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore"

// Errors the token source reports (wrapped); none ever contains the token.
var (
	// ErrNoIDToken means SIGSTORE_ID_TOKEN is unset or empty: the job lacks id_tokens.
	ErrNoIDToken = errors.New("no GitLab ID token")
	// ErrTokenMalformed means SIGSTORE_ID_TOKEN does not hold a JWT with a JSON payload.
	ErrTokenMalformed = errors.New("GitLab ID token is not a JWT")
	// ErrTokenAudience means the token was issued for another audience than Fulcio's.
	ErrTokenAudience = errors.New("GitLab ID token has the wrong audience")
	// ErrTokenExpired means the token's exp is past.
	ErrTokenExpired = errors.New("GitLab ID token expired")
)

// TokenSource is a core.TokenSource reading the job's ID token from SIGSTORE_ID_TOKEN. Before
// handing it out it checks, on the unverified payload and only to explain what would otherwise
// fail later and less clearly, that the token is for audience "sigstore", not expired, and
// names the pipeline's configuration (ci_config_ref_uri); the token's signature is checked by
// the verifier and by Fulcio.
type TokenSource struct {
	getenv func(string) string
	job    Job
	now    func() time.Time
}

// NewTokenSource returns a TokenSource over the job's environment; job names the pipeline in
// messages.
func NewTokenSource(getenv func(string) string, job Job) *TokenSource {
	return &TokenSource{getenv: getenv, job: job, now: time.Now}
}

// Token returns the job's ID token, or an error saying what to change in the job.
func (t *TokenSource) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	raw := strings.TrimSpace(t.getenv(TokenVariable))
	if raw == "" {
		return "", fmt.Errorf("%w: %s is not set: the job needs `%s` (signet's component declares it; "+
			"a job of your own must declare it too)", ErrNoIDToken, TokenVariable, idTokensYAML)
	}
	c, err := peek(raw)
	if err != nil {
		return "", err
	}
	return raw, t.check(c)
}

// peek decodes the token's payload without verifying it, only to explain a refusal.
func peek(raw string) (*provenance.UnverifiedClaims, error) {
	c, err := provenance.PeekToken(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrTokenMalformed, TokenVariable, err)
	}
	return c, nil
}

func (t *TokenSource) check(c *provenance.UnverifiedClaims) error {
	if aud := c.Audience(); !slices.Contains(aud, Audience) {
		return fmt.Errorf("%w: %s is for audience %q, but Fulcio accepts only %q: declare `%s` in the job",
			ErrTokenAudience, TokenVariable, aud, Audience, idTokensYAML)
	}
	if exp, ok := c.Expiry(); ok {
		if !exp.After(t.now()) {
			return fmt.Errorf("%w: %s expired at %s: GitLab makes ID tokens last as long as the job's timeout; "+
				"raise the job's timeout if signing runs late in a long job", ErrTokenExpired, TokenVariable, exp.UTC().Format(time.RFC3339))
		}
	}
	configRef, _ := c.Claim("ci_config_ref_uri")
	if state := configRefState(configRef); state != "" {
		return t.noConfigRef(c.String("project_path"), state)
	}
	return nil
}

// configRefState describes an unusable ci_config_ref_uri ("absent", "null", "empty"), or
// returns "" for a usable one.
func configRefState(raw json.RawMessage) string {
	if len(raw) == 0 {
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

// noConfigRef explains why a token without ci_config_ref_uri cannot sign, and what to change.
// It wraps provenance.ErrNoConfigRef so callers branch on one sentinel whichever package found
// it.
func (t *TokenSource) noConfigRef(project, state string) error {
	if project == "" {
		project = t.job.ProjectPath
	}
	cause := "the pipeline's configuration is not a file of this project (a child pipeline, a configuration from " +
		"another project, or Auto DevOps)"
	fix := "run signet in a job of the project's own .gitlab-ci.yml"
	switch {
	case state == "absent":
		cause = "the token does not carry the claim at all, as GitLab versions from before the claim existed do"
		fix = "run signet on a GitLab instance whose ID tokens carry ci_config_ref_uri"
	case t.job.PipelineSource == "parent_pipeline":
		cause = "this job runs in a child pipeline (CI_PIPELINE_SOURCE=parent_pipeline)"
		fix = "include signet's component in the parent pipeline's own configuration, the project's .gitlab-ci.yml"
	case strings.Contains(t.job.ConfigPath, "@") || strings.Contains(t.job.ConfigPath, "://"):
		cause = fmt.Sprintf("the pipeline's configuration (CI_CONFIG_PATH %q) is a file of another project or a URL", t.job.ConfigPath)
		fix = "make the project's CI/CD configuration file a file of the project and run signet in a job of it"
	}
	return fmt.Errorf("%w: the ci_config_ref_uri claim of %s is %s for project %q because %s. GitLab fills that claim "+
		"only for a pipeline configured by a file of the project, and Fulcio names the signer by it, so a keyless "+
		"certificate would name no pipeline (\"https://<nil>\"). To sign, %s, with `%s` in that job",
		provenance.ErrNoConfigRef, TokenVariable, state, project, cause, fix, idTokensYAML)
}

package provenance

import (
	"context"
	"errors"
	"fmt"

	"github.com/signet-ci/signet/core"
)

// GitLabBuildType is signet's buildType for GitLab CI jobs, specified in
// docs/buildtypes/gitlab-ci/v1.md.
const GitLabBuildType = "https://signet-ci.github.io/buildtypes/gitlab-ci/v1"

// ErrNoConfigRef means a GitLab token's ci_config_ref_uri is null or absent.
var ErrNoConfigRef = errors.New("GitLab token has no ci_config_ref_uri")

// gitlabClaims are the claims a GitLab predicate (and Fulcio's GitLab template) needs.
var gitlabClaims = []string{"project_path", "project_id", "namespace_path", "namespace_id", "pipeline_id",
	"pipeline_source", "job_id", "ref", "ref_type", "sha", "runner_environment", "ci_config_sha"}

// gitlabEnv are the predefined variables that state a fact the token also states.
var gitlabEnv = []envClaim{
	{"CI_PROJECT_PATH", "project_path"}, {"CI_PROJECT_ID", "project_id"},
	{"CI_PROJECT_NAMESPACE", "namespace_path"}, {"CI_PROJECT_NAMESPACE_ID", "namespace_id"},
	{"CI_PROJECT_VISIBILITY", "project_visibility"},
	{"CI_COMMIT_SHA", "sha"}, {"CI_COMMIT_REF_NAME", "ref"},
	{"CI_PIPELINE_ID", "pipeline_id"}, {"CI_PIPELINE_SOURCE", "pipeline_source"},
	{"CI_JOB_ID", "job_id"}, {"CI_RUNNER_ID", "runner_id"},
}

// gitlabExternal is externalParameters of GitLabBuildType.
type gitlabExternal struct {
	Source         gitlabSource `json:"source"`
	Config         gitlabConfig `json:"config"`
	PipelineSource string       `json:"pipeline_source"`
	Environment    string       `json:"environment,omitempty"`
}

type gitlabSource struct {
	Repository string `json:"repository"`
	Ref        string `json:"ref"`
	RefType    string `json:"ref_type"`
}

type gitlabConfig struct {
	URI string `json:"uri"`
	SHA string `json:"sha"`
}

// gitlabInternal is internalParameters of GitLabBuildType.
type gitlabInternal struct {
	GitLab gitlabInternalParams `json:"gitlab"`
}

type gitlabInternalParams struct {
	ProjectID         string `json:"project_id"`
	NamespaceID       string `json:"namespace_id"`
	PipelineID        string `json:"pipeline_id"`
	PipelineURL       string `json:"pipeline_url"`
	JobID             string `json:"job_id"`
	RunnerID          string `json:"runner_id,omitempty"`
	RunnerEnvironment string `json:"runner_environment"`
}

// GitLabContext describes a GitLab CI job from its verified OIDC token.
type GitLabContext struct {
	materials
	// ServerURL is CI_SERVER_URL (https://gitlab.com when unset).
	ServerURL string
	// RunnerVersion is CI_RUNNER_VERSION, recorded as the builder's version when set.
	RunnerVersion string
	claims        map[string]string
	configRefURI  string
	runnerID      string
	environment   string
}

// NewGitLab builds the context of a GitLab CI job from its verified token claims and the job's
// environment (CI_SERVER_URL, CI_RUNNER_VERSION; other CI_* variables are only checked against
// the token, and any contradiction fails with ErrEnvMismatch). A token whose ci_config_ref_uri
// is null fails with ErrNoConfigRef.
func NewGitLab(claims *Claims, getenv func(string) string) (*GitLabContext, error) {
	if claims == nil {
		return nil, errors.New("GitLab provenance: no verified token claims")
	}
	cfg, ok := claims.Get("ci_config_ref_uri")
	if !ok || cfg == "" {
		project, _ := claims.Get("project_path")
		return nil, noConfigRef(project, claims.describe("ci_config_ref_uri"))
	}
	c, err := requireAll(claims, "GitLab token", gitlabClaims...)
	if err != nil {
		return nil, fmt.Errorf("GitLab provenance: %w", err)
	}
	if rt := c["ref_type"]; rt != "branch" && rt != "tag" {
		return nil, fmt.Errorf("GitLab provenance: %w: ref_type %q, expected branch or tag", ErrClaim, rt)
	}
	if err := checkEnv(claims, getenv, gitlabEnv); err != nil {
		return nil, fmt.Errorf("GitLab provenance: %w", err)
	}
	server, err := serverURL(getenv, "CI_SERVER_URL", "https://gitlab.com")
	if err != nil {
		return nil, fmt.Errorf("GitLab provenance: %w", err)
	}
	g := &GitLabContext{ServerURL: server, RunnerVersion: getenv("CI_RUNNER_VERSION"), claims: c, configRefURI: cfg}
	g.runnerID, _ = claims.Get("runner_id")
	g.environment, _ = claims.Get("environment")
	return g, nil
}

func noConfigRef(project, state string) error {
	return fmt.Errorf("GitLab provenance: %w (the claim is %s): the pipeline configuration that started this job "+
		"is not a file of project %q (a child pipeline, a configuration included from another project, or Auto DevOps), "+
		"so a keyless certificate cannot name the pipeline that signed (Fulcio would certify \"https://<nil>\"). "+
		"Run signet in a job defined in the project's own .gitlab-ci.yml, with its id_tokens there too, "+
		"or sign with a key instead", ErrNoConfigRef, state, project)
}

// gitlabRef qualifies GitLab's short ref as Fulcio's template does: branch → refs/heads/,
// anything else → refs/tags/.
func gitlabRef(ref, refType string) string {
	if refType == "branch" {
		return "refs/heads/" + ref
	}
	return "refs/tags/" + ref
}

// Platform returns GitLab.
func (g *GitLabContext) Platform() Platform { return GitLab }

// Provenance implements core.ProvenanceSource.
func (g *GitLabContext) Provenance(_ context.Context, run core.Run) (core.Predicate, error) {
	c := g.claims
	repo := g.ServerURL + "/" + c["project_path"]
	ref := gitlabRef(c["ref"], c["ref_type"])
	config := "https://" + g.configRefURI
	b := builder{ID: config}
	if g.RunnerVersion != "" {
		b.Version = map[string]string{"gitlab-runner": g.RunnerVersion}
	}
	p := predicate{
		BuildDefinition: buildDefinition{
			BuildType: GitLabBuildType,
			ExternalParameters: gitlabExternal{
				Source:         gitlabSource{Repository: repo, Ref: ref, RefType: c["ref_type"]},
				Config:         gitlabConfig{URI: config, SHA: c["ci_config_sha"]},
				PipelineSource: c["pipeline_source"], Environment: g.environment,
			},
			InternalParameters: gitlabInternal{GitLab: gitlabInternalParams{
				ProjectID: c["project_id"], NamespaceID: c["namespace_id"],
				PipelineID: c["pipeline_id"], PipelineURL: repo + "/-/pipelines/" + c["pipeline_id"],
				JobID: c["job_id"], RunnerID: g.runnerID, RunnerEnvironment: c["runner_environment"],
			}},
			ResolvedDependencies: append([]resourceDescriptor{gitDependency(sourceName, repo, ref, c["sha"])}, g.descriptors()...),
		},
		RunDetails: runDetails{Builder: b},
	}
	return finish(p, run, repo+"/-/jobs/"+c["job_id"])
}

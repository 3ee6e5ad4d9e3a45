package provenance

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/signet-ci/signet/core"
)

// GitHubBuildType is actions/attest's buildType; signet's GitHub predicate matches what
// actions/attest-build-provenance emits field for field, so policies written for GitHub's own
// attestations keep working.
const GitHubBuildType = "https://actions.github.io/buildtypes/workflow/v1"

// githubClaims are the claims actions/attest requires (besides iss), in its order.
var githubClaims = []string{"ref", "sha", "repository", "event_name", "job_workflow_ref", "workflow_ref",
	"repository_id", "repository_owner_id", "runner_environment", "run_id", "run_attempt"}

// githubEnv are the default variables that state a fact the token also states.
var githubEnv = []envClaim{
	{"GITHUB_REPOSITORY", "repository"}, {"GITHUB_REPOSITORY_ID", "repository_id"},
	{"GITHUB_REPOSITORY_OWNER", "repository_owner"}, {"GITHUB_REPOSITORY_OWNER_ID", "repository_owner_id"},
	{"GITHUB_SHA", "sha"}, {"GITHUB_REF", "ref"}, {"GITHUB_EVENT_NAME", "event_name"},
	{"GITHUB_RUN_ID", "run_id"}, {"GITHUB_RUN_ATTEMPT", "run_attempt"},
	{"GITHUB_WORKFLOW_REF", "workflow_ref"}, {"GITHUB_WORKFLOW_SHA", "workflow_sha"},
	{"RUNNER_ENVIRONMENT", "runner_environment"},
}

// githubExternal is externalParameters of GitHubBuildType.
type githubExternal struct {
	Workflow githubWorkflow `json:"workflow"`
}

type githubWorkflow struct {
	Ref        string `json:"ref"`
	Repository string `json:"repository"`
	Path       string `json:"path"`
}

// githubInternal is internalParameters of GitHubBuildType.
type githubInternal struct {
	GitHub githubInternalParams `json:"github"`
}

type githubInternalParams struct {
	EventName         string `json:"event_name"`
	RepositoryID      string `json:"repository_id"`
	RepositoryOwnerID string `json:"repository_owner_id"`
	RunnerEnvironment string `json:"runner_environment"`
}

// GitHubContext describes a GitHub Actions job from its verified OIDC token.
type GitHubContext struct {
	materials
	// ServerURL is GITHUB_SERVER_URL (https://github.com when unset).
	ServerURL string
	claims    map[string]string
	path      string
}

// NewGitHub builds the context of a GitHub Actions job from its verified token claims and the
// job's environment (GITHUB_SERVER_URL; other GITHUB_* variables are only checked against the
// token, and any contradiction fails with ErrEnvMismatch).
func NewGitHub(claims *Claims, getenv func(string) string) (*GitHubContext, error) {
	if claims == nil {
		return nil, errors.New("GitHub provenance: no verified token claims")
	}
	c, err := requireAll(claims, "GitHub token", githubClaims...)
	if err != nil {
		return nil, fmt.Errorf("GitHub provenance: %w", err)
	}
	if err := checkEnv(claims, getenv, githubEnv); err != nil {
		return nil, fmt.Errorf("GitHub provenance: %w", err)
	}
	server, err := serverURL(getenv, "GITHUB_SERVER_URL", "https://github.com")
	if err != nil {
		return nil, fmt.Errorf("GitHub provenance: %w", err)
	}
	path := workflowPath(c["workflow_ref"], c["repository"])
	if path == "" {
		return nil, fmt.Errorf("GitHub provenance: %w: workflow_ref %q names no workflow file of %q", ErrClaim, c["workflow_ref"], c["repository"])
	}
	return &GitHubContext{ServerURL: server, claims: c, path: path}, nil
}

// workflowPath splits the workflow file's path out of workflow_ref as actions/attest does:
// owner/repo/.github/workflows/main.yml@refs/heads/main → .github/workflows/main.yml.
func workflowPath(workflowRef, repository string) string {
	p, _, _ := strings.Cut(strings.Replace(workflowRef, repository+"/", "", 1), "@")
	return p
}

// Platform returns GitHub.
func (g *GitHubContext) Platform() Platform { return GitHub }

// Provenance implements core.ProvenanceSource.
func (g *GitHubContext) Provenance(_ context.Context, run core.Run) (core.Predicate, error) {
	c := g.claims
	repo := g.ServerURL + "/" + c["repository"]
	p := predicate{
		BuildDefinition: buildDefinition{
			BuildType:          GitHubBuildType,
			ExternalParameters: githubExternal{Workflow: githubWorkflow{Ref: c["ref"], Repository: repo, Path: g.path}},
			InternalParameters: githubInternal{GitHub: githubInternalParams{EventName: c["event_name"],
				RepositoryID: c["repository_id"], RepositoryOwnerID: c["repository_owner_id"], RunnerEnvironment: c["runner_environment"]}},
			ResolvedDependencies: append([]resourceDescriptor{gitDependency("", repo, c["ref"], c["sha"])}, g.descriptors()...),
		},
		RunDetails: runDetails{Builder: builder{ID: g.ServerURL + "/" + c["job_workflow_ref"]}},
	}
	return finish(p, run, repo+"/actions/runs/"+c["run_id"]+"/attempts/"+c["run_attempt"])
}

package provenance

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// Fulcio's default template URLs (config/identity/config.yaml, default-template-values.url):
// the CI extensions of public Fulcio always use these, whatever the server the job ran on.
const (
	fulcioGitHubURL = "https://github.com"
	fulcioGitLabURL = "https://gitlab.com"
)

// ExpectedExtensions returns the certificate extensions Fulcio will embed for a token with
// these claims, computed as public Fulcio's ci-provider templates do (GitHub and GitLab; the
// GitLab ref qualified with ref_type). Kubernetes and other tokens get only the issuer.
// A claim the template needs but the token lacks leaves its field empty (Fulcio would refuse
// such a token).
func ExpectedExtensions(claims *Claims) certificate.Extensions {
	if claims == nil {
		return certificate.Extensions{}
	}
	switch claims.Platform() {
	case GitHub:
		return githubExtensions(claims)
	case GitLab:
		return gitlabExtensions(claims)
	}
	return certificate.Extensions{Issuer: claims.Issuer()}
}

func githubExtensions(c *Claims) certificate.Extensions {
	v := func(name string) string { return fulcioString(c, name) }
	u := fulcioGitHubURL
	return certificate.Extensions{
		Issuer:                              c.Issuer(),
		GithubWorkflowTrigger:               v("event_name"),
		GithubWorkflowSHA:                   v("sha"),
		GithubWorkflowName:                  v("workflow"),
		GithubWorkflowRepository:            v("repository"),
		GithubWorkflowRef:                   v("ref"),
		BuildSignerURI:                      join(u, v("job_workflow_ref")),
		BuildSignerDigest:                   v("job_workflow_sha"),
		RunnerEnvironment:                   v("runner_environment"),
		SourceRepositoryURI:                 join(u, v("repository")),
		SourceRepositoryDigest:              v("sha"),
		SourceRepositoryRef:                 v("ref"),
		SourceRepositoryIdentifier:          v("repository_id"),
		SourceRepositoryOwnerURI:            join(u, v("repository_owner")),
		SourceRepositoryOwnerIdentifier:     v("repository_owner_id"),
		BuildConfigURI:                      join(u, v("workflow_ref")),
		BuildConfigDigest:                   v("workflow_sha"),
		BuildTrigger:                        v("event_name"),
		RunInvocationURI:                    runURI(u, v("repository"), v("run_id"), v("run_attempt")),
		SourceRepositoryVisibilityAtSigning: v("repository_visibility"),
	}
}

func gitlabExtensions(c *Claims) certificate.Extensions {
	v := func(name string) string { return fulcioString(c, name) }
	u := fulcioGitLabURL
	config := ""
	if _, present := c.raw["ci_config_ref_uri"]; present {
		config = "https://" + v("ci_config_ref_uri")
	}
	ref := ""
	if v("ref") != "" {
		ref = gitlabRef(v("ref"), v("ref_type"))
	}
	return certificate.Extensions{
		Issuer:                              c.Issuer(),
		BuildSignerURI:                      config,
		BuildSignerDigest:                   v("ci_config_sha"),
		RunnerEnvironment:                   v("runner_environment"),
		SourceRepositoryURI:                 join(u, v("project_path")),
		SourceRepositoryDigest:              v("sha"),
		SourceRepositoryRef:                 ref,
		SourceRepositoryIdentifier:          v("project_id"),
		SourceRepositoryOwnerURI:            join(u, v("namespace_path")),
		SourceRepositoryOwnerIdentifier:     v("namespace_id"),
		BuildConfigURI:                      config,
		BuildConfigDigest:                   v("ci_config_sha"),
		BuildTrigger:                        v("pipeline_source"),
		RunInvocationURI:                    jobURI(u, v("project_path"), v("job_id")),
		SourceRepositoryVisibilityAtSigning: v("project_visibility"),
	}
}

// join renders "{{ .url }}/{{ .claim }}", or "" when the claim is missing.
func join(base, claim string) string {
	if claim == "" {
		return ""
	}
	return base + "/" + claim
}

func runURI(base, repo, runID, attempt string) string {
	if repo == "" || runID == "" || attempt == "" {
		return ""
	}
	return base + "/" + repo + "/actions/runs/" + runID + "/attempts/" + attempt
}

func jobURI(base, project, job string) string {
	if project == "" || job == "" {
		return ""
	}
	return base + "/" + project + "/-/jobs/" + job
}

// fulcioString stringifies a claim as Fulcio's ci-provider does (mapValuesToString): numbers
// decoded as float64, integral ones printed with %v, others with strconv 'f'; everything else
// with %v, so a JSON null becomes "<nil>". An absent claim gives "".
func fulcioString(c *Claims, name string) string {
	v, present := c.raw[name]
	if !present {
		return ""
	}
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		if err != nil {
			return n.String()
		}
		if f == math.Trunc(f) {
			return fmt.Sprintf("%v", math.Trunc(f))
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprintf("%v", v)
}

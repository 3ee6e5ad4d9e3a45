package provenance

import (
	"fmt"
	"strings"
)

// Platform is where a build runs.
type Platform string

// The platforms signet knows.
const (
	Local  Platform = "local"
	GitHub Platform = "github"
	GitLab Platform = "gitlab"
	Tekton Platform = "tekton"
)

// GitHubIssuer is the OIDC issuer of GitHub Actions ID tokens on github.com.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// PlatformEnv is the environment variable that, when set to a platform name, overrides
// detection (signet's Tekton Task sets SIGNET_PLATFORM=tekton).
const PlatformEnv = "SIGNET_PLATFORM"

// TektonTaskRunUIDEnv is set by signet's Tekton Task to $(context.taskRun.uid); its presence
// means the process runs in a TaskRun.
const TektonTaskRunUIDEnv = "TEKTON_TASKRUN_UID"

// ParsePlatform parses a platform name (local, github, gitlab or tekton; case-insensitive).
func ParsePlatform(s string) (Platform, error) {
	switch p := Platform(strings.ToLower(strings.TrimSpace(s))); p {
	case Local, GitHub, GitLab, Tekton:
		return p, nil
	}
	return "", fmt.Errorf("platform %q: expected one of local, github, gitlab, tekton", s)
}

// Detect names the platform the process runs on, from its environment:
//   - SIGNET_PLATFORM, when it holds a valid platform name (an invalid value is ignored here;
//     callers that want to reject it use ParsePlatform);
//   - GITHUB_ACTIONS=true → GitHub;
//   - GITLAB_CI=true → GitLab;
//   - TEKTON_TASKRUN_UID not empty → Tekton;
//   - otherwise Local.
func Detect(getenv func(string) string) Platform {
	if p, err := ParsePlatform(getenv(PlatformEnv)); err == nil {
		return p
	}
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		return GitHub
	case getenv("GITLAB_CI") == "true":
		return GitLab
	case getenv(TektonTaskRunUIDEnv) != "":
		return Tekton
	}
	return Local
}

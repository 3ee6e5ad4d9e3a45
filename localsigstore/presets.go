package localsigstore

import (
	"errors"
	"fmt"
	"maps"
)

// Preset names one of the instance's OIDC issuers, each minting tokens shaped like one platform's.
type Preset string

// The presets. Each is served at <URL>/oidc/<preset>.
const (
	// PresetEmail mints tokens with a verified email (Fulcio issuer type "email").
	PresetEmail Preset = "email"
	// PresetGitHub mints GitHub Actions ID tokens (Fulcio "ci-provider" with the GitHub template).
	PresetGitHub Preset = "github"
	// PresetGitLab mints GitLab CI ID tokens (Fulcio "ci-provider" with the GitLab template).
	PresetGitLab Preset = "gitlab"
	// PresetKubernetes mints projected service-account tokens (Fulcio issuer type "kubernetes").
	PresetKubernetes Preset = "kubernetes"
)

// ErrUnknownPreset is returned (wrapped) for a preset name that is not one of Presets().
var ErrUnknownPreset = errors.New("unknown preset")

// Presets returns every preset, in a fixed order.
func Presets() []Preset {
	return []Preset{PresetEmail, PresetGitHub, PresetGitLab, PresetKubernetes}
}

// ParsePreset returns the preset named s, or an error wrapping ErrUnknownPreset.
func ParsePreset(s string) (Preset, error) {
	for _, p := range Presets() {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w %q: expected one of email, github, gitlab, kubernetes", ErrUnknownPreset, s)
}

// DefaultSHA is the commit every CI preset claims to build (sha, workflow_sha, ci_config_sha...).
const DefaultSHA = "5d3c6e0f2b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d"

// DefaultClaims returns a fresh copy of the claims preset p puts in every token, besides iss,
// aud, iat, nbf, exp and jti; nil for an unknown preset. Tests use it to know which identity and
// certificate extensions to expect.
func DefaultClaims(p Preset) map[string]any {
	switch p {
	case PresetEmail:
		return emailClaims()
	case PresetGitHub:
		return githubClaims()
	case PresetGitLab:
		return gitlabClaims()
	case PresetKubernetes:
		return kubernetesClaims()
	}
	return nil
}

func emailClaims() map[string]any {
	return map[string]any{
		"sub":            "104857600123456789012",
		"email":          "signet@example.com",
		"email_verified": true,
	}
}

// githubClaims follows GitHub's documented ID token: numeric IDs are strings.
func githubClaims() map[string]any {
	const workflow = "signet-ci/signet-demo/.github/workflows/release.yml@refs/heads/main"
	return map[string]any{
		"sub":                   "repo:signet-ci/signet-demo:ref:refs/heads/main",
		"actor":                 "signet-bot",
		"actor_id":              "190117530",
		"base_ref":              "",
		"head_ref":              "",
		"check_run_id":          "36091875528",
		"event_name":            "push",
		"ref":                   "refs/heads/main",
		"ref_type":              "branch",
		"ref_protected":         "true",
		"repository":            "signet-ci/signet-demo",
		"repository_id":         "871049302",
		"repository_owner":      "signet-ci",
		"repository_owner_id":   "183920144",
		"repository_visibility": "public",
		"run_id":                "12873459021",
		"run_number":            "57",
		"run_attempt":           "1",
		"runner_environment":    "github-hosted",
		"sha":                   DefaultSHA,
		"workflow":              "release",
		"workflow_ref":          workflow,
		"workflow_sha":          DefaultSHA,
		"job_workflow_ref":      workflow,
		"job_workflow_sha":      DefaultSHA,
	}
}

// gitlabClaims follows GitLab's ID token: IDs are strings, runner_id is a number.
func gitlabClaims() map[string]any {
	return map[string]any{
		"sub":                "project_path:signet-ci/signet-demo:ref_type:branch:ref:main",
		"namespace_id":       "81234567",
		"namespace_path":     "signet-ci",
		"project_id":         "61234567",
		"project_path":       "signet-ci/signet-demo",
		"user_id":            "12345678",
		"user_login":         "signet-bot",
		"user_email":         "signet-bot@example.com",
		"user_access_level":  "maintainer",
		"pipeline_id":        "1789012345",
		"pipeline_source":    "push",
		"job_id":             "9012345678",
		"ref":                "main",
		"ref_type":           "branch",
		"ref_path":           "refs/heads/main",
		"ref_protected":      "true",
		"runner_id":          32976645,
		"runner_environment": "gitlab-hosted",
		"sha":                DefaultSHA,
		"project_visibility": "public",
		"ci_config_ref_uri":  "gitlab.com/signet-ci/signet-demo//.gitlab-ci.yml@refs/heads/main",
		"ci_config_sha":      DefaultSHA,
	}
}

// kubernetesClaims follows a projected service-account token of a Tekton TaskRun pod.
func kubernetesClaims() map[string]any {
	return map[string]any{
		"sub": "system:serviceaccount:signet-builds:signet",
		"kubernetes.io": map[string]any{
			"namespace": "signet-builds",
			"pod": map[string]any{
				"name": "release-run-7x2kq-build-pod",
				"uid":  "4b0b3c9e-6d0a-4f1e-9a57-3f8e2c1d7b60",
			},
			"serviceaccount": map[string]any{
				"name": "signet",
				"uid":  "e2a4c6f8-1b3d-4e5f-8a9b-0c1d2e3f4a5b",
			},
		},
	}
}

// mergeClaims copies over onto base, deep-copying nested maps so callers never share them.
func mergeClaims(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = copyValue(v)
	}
	for k, v := range over {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	c := maps.Clone(m)
	for k, x := range c {
		c[k] = copyValue(x)
	}
	return c
}

package gitlab_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/gitlab"
)

// The image inputs and GitLab's own registry credentials land in the plan; the password is
// never in the plan's error messages or the job log.
func TestPlanImages(t *testing.T) {
	t.Parallel()
	_, env := project(t)
	env[gitlab.VarSubjectImage] = "registry.gitlab.com/group/app:v1, registry.gitlab.com/group/app/worker:v1"
	env[gitlab.VarImagePlatforms] = "all"
	env[gitlab.VarPushToRegistry] = "true"
	env["CI_REGISTRY"] = "registry.gitlab.com"
	env["CI_REGISTRY_USER"] = "gitlab-ci-token"
	env["CI_REGISTRY_PASSWORD"] = "glcbt-secret"
	var log bytes.Buffer
	p, err := gitlab.New(envOf(env), &log).Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"registry.gitlab.com/group/app:v1", "registry.gitlab.com/group/app/worker:v1"}, p.Images); d != "" {
		t.Errorf("images (-want +got):\n%s", d)
	}
	if !p.Settings.PushToRegistry || p.Settings.ImagePlatforms != "all" {
		t.Errorf("settings %+v", p.Settings)
	}
	want := []ci.RegistryCredential{{Registry: "registry.gitlab.com", Username: "gitlab-ci-token", Password: "glcbt-secret",
		Source: "the job's CI_REGISTRY_USER and CI_REGISTRY_PASSWORD"}}
	if d := cmp.Diff(want, p.Registries); d != "" {
		t.Errorf("registries (-want +got):\n%s", d)
	}

	env[gitlab.VarPushToRegistry] = "yes"
	env[gitlab.VarSubjectImage] = "app:v1"
	_, err = gitlab.New(envOf(env), &log).Plan(context.Background())
	var ie *ci.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "subject-image") || !strings.Contains(err.Error(), "push-to-registry") {
		t.Errorf("bad image inputs: %v", err)
	}
	if strings.Contains(log.String(), "glcbt-secret") || (err != nil && strings.Contains(err.Error(), "glcbt-secret")) {
		t.Error("the registry password was printed")
	}
}

// The dotenv report lists where attestations were pushed.
func TestPublishRegistryAttestations(t *testing.T) {
	t.Parallel()
	dir, env := project(t)
	var log bytes.Buffer
	a := gitlab.New(envOf(env), &log)
	if _, err := a.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	ix := sampleIndex()
	m := "sha256:" + strings.Repeat("b", 64)
	ix.Attestations[0].Pushed = []core.PushRecord{{Subject: "registry.gitlab.com/group/app", SubjectDigest: "sha256:" + strings.Repeat("a", 64),
		Repository: "registry.gitlab.com/group/app", Manifest: m, Method: "referrers-tag"}}
	out := ci.Outcome{Index: ix, Dir: dir, OutputDir: filepath.Join(dir, "attestations"), Sigstore: "public"}
	if err := a.Publish(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	vars, err := parseGitLabDotenv(readFile(t, filepath.Join(dir, env[gitlab.VarDotenv])), gitlab.DotenvMaxBytes, gitlab.DotenvMaxVariables)
	if err != nil {
		t.Fatal(err)
	}
	if got := vars[gitlab.KeyRegistryAttestations]; got != "registry.gitlab.com/group/app@"+m {
		t.Errorf("%s=%q", gitlab.KeyRegistryAttestations, got)
	}
}

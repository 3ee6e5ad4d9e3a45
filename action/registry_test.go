package action_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/ci"
)

// The image inputs land in the plan; the github-token input becomes the ghcr.io credential
// (never any other registry's), named by the input, and is masked in the log.
func TestPlanReadsImageInputs(t *testing.T) {
	t.Parallel()
	ws := planWorkspace(t)
	got, err := plan(t, ws, map[string]string{
		"INPUT_SUBJECT-IMAGE":    "ghcr.io/org/app:v1\nghcr.io/org/app@sha256:" + hex64,
		"INPUT_IMAGE-PLATFORMS":  "all",
		"INPUT_PUSH-TO-REGISTRY": "true",
		"INPUT_GITHUB-TOKEN":     "ghs_secret",
		"GITHUB_ACTOR":           "octocat",
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"ghcr.io/org/app:v1", "ghcr.io/org/app@sha256:" + hex64}, got.Images); d != "" {
		t.Errorf("images (-want +got):\n%s", d)
	}
	if !got.Settings.PushToRegistry || got.Settings.ImagePlatforms != "all" {
		t.Errorf("settings %+v", got.Settings)
	}
	want := []ci.RegistryCredential{{Registry: "ghcr.io", Username: "octocat", Password: "ghs_secret", Source: "the github-token input (INPUT_GITHUB-TOKEN)"}}
	if d := cmp.Diff(want, got.Registries); d != "" {
		t.Errorf("registries (-want +got):\n%s", d)
	}

	var out strings.Builder
	env := map[string]string{"GITHUB_WORKSPACE": ws, "INPUT_GITHUB-TOKEN": "ghs_secret"}
	if _, err := action.New(envOf(env), &out).Plan(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "::add-mask::ghs_secret") {
		t.Errorf("the token is not masked: %q", out.String())
	}
}

func TestPlanRefusesBadImageInputs(t *testing.T) {
	t.Parallel()
	ws := planWorkspace(t)
	for _, tc := range []struct {
		env   map[string]string
		input string
		says  string
	}{
		{map[string]string{"INPUT_SUBJECT-IMAGE": "app:v1"}, "subject-image", "registry host first"},
		{map[string]string{"INPUT_SUBJECT-IMAGE": "oci://ghcr.io/org/app:v1"}, "subject-image", "REGISTRY/REPOSITORY:TAG"},
		{map[string]string{"INPUT_IMAGE-PLATFORMS": "linux/amd64", "INPUT_SUBJECT-IMAGE": "ghcr.io/org/app:v1"}, "image-platforms", `"linux/amd64": expected all`},
		{map[string]string{"INPUT_IMAGE-PLATFORMS": "all"}, "image-platforms", "subject-image"},
		{map[string]string{"INPUT_PUSH-TO-REGISTRY": "yes"}, "push-to-registry", `"yes"`},
	} {
		_, err := plan(t, ws, tc.env)
		var ie *ci.InputError
		if !errors.As(err, &ie) || ie.Input != tc.input || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%v: error %v, want input %s saying %q", tc.env, err, tc.input, tc.says)
		}
	}
}

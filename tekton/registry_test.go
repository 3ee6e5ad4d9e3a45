package tekton

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
)

func TestReadImages(t *testing.T) {
	t.Parallel()
	var p ci.Plan
	env := map[string]string{EnvSubjectImage: "ghcr.io/org/app:v1\nghcr.io/org/worker@sha256:" + strings.Repeat("a", 64),
		EnvImagePlatforms: "all", EnvPushToRegistry: "true"}
	if err := readImages(func(k string) string { return env[k] }, &p); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"ghcr.io/org/app:v1", "ghcr.io/org/worker@sha256:" + strings.Repeat("a", 64)}, p.Images); d != "" {
		t.Errorf("images (-want +got):\n%s", d)
	}
	if !p.Settings.PushToRegistry || p.Settings.ImagePlatforms != "all" {
		t.Errorf("settings %+v", p.Settings)
	}
	bad := map[string]string{EnvSubjectImage: "app", EnvPushToRegistry: "True!"}
	err := readImages(func(k string) string { return bad[k] }, &ci.Plan{})
	var ie *ci.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), ParamSubjectImage) || !strings.Contains(err.Error(), ParamPushToRegistry) ||
		!strings.Contains(err.Error(), EnvSubjectImage) {
		t.Errorf("bad params: %v", err)
	}
}

func TestRegistryResult(t *testing.T) {
	t.Parallel()
	m := "sha256:" + strings.Repeat("b", 64)
	ix := &core.Index{Attestations: []core.IndexAttestation{
		{Pushed: []core.PushRecord{{Repository: "ghcr.io/org/app", Manifest: m}, {Repository: "ghcr.io/org/worker", Manifest: m}}},
	}}
	if got := registryResult(ci.Outcome{Index: ix}); got.Value != "ghcr.io/org/app@"+m+",ghcr.io/org/worker@"+m {
		t.Errorf("registry-attestations = %q", got.Value)
	}
}

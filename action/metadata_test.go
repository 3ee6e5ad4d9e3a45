package action_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/internal/checkout"
)

// actionMetadata is the part of action.yml the tests check.
type actionMetadata struct {
	Inputs map[string]struct {
		Description string  `json:"description"`
		Default     *string `json:"default"`
	} `json:"inputs"`
	Outputs map[string]struct {
		Description string `json:"description"`
	} `json:"outputs"`
	Runs struct {
		Using string `json:"using"`
		Steps []struct {
			ID string `json:"id"`
		} `json:"steps"`
	} `json:"runs"`
}

func readActionYAML(t testing.TB) ([]byte, actionMetadata) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(checkout.Root(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var m actionMetadata
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return b, m
}

func TestActionYAMLValidates(t *testing.T) {
	t.Parallel()
	b, m := readActionYAML(t)
	validateYAML(t, "github-action.json", "action.yml", b)
	// The schema is live: it rejects what the runner would accept but Marketplace tooling not.
	bad := []byte("name: x\ndescription: x\ninputs:\n  a:\n    description: x\n    default: false\nruns:\n  using: docker\n  image: Dockerfile\n")
	if checkYAML(t, "github-action.json", bad) == nil {
		t.Error("the github-action schema accepts a boolean default; it should not")
	}
	// A composite action (TestCompositeAction runs it): install the pinned release, then attest.
	var ids []string
	for _, s := range m.Runs.Steps {
		ids = append(ids, s.ID)
	}
	if diff := cmp.Diff([]string{"install", "attest"}, ids); m.Runs.Using != "composite" || diff != "" {
		t.Errorf("runs.using %q, steps (-want +got):\n%s", m.Runs.Using, diff)
	}
	for name, in := range m.Inputs {
		if in.Default != nil && *in.Default != "" && !strings.Contains(in.Description, *in.Default) {
			t.Errorf("input %s: the description does not say its default %q", name, *in.Default)
		}
	}
}

// TestInputsDeclaredAndRead asserts both ways that the adapter reads exactly the inputs
// action.yml declares, by recording the INPUT_* variables it asks the environment for.
func TestInputsDeclaredAndRead(t *testing.T) {
	t.Parallel()
	_, m := readActionYAML(t)
	var declared []string
	for name := range m.Inputs {
		declared = append(declared, name)
	}
	ws := newWorkspace(t)
	rec := &recorder{vars: runnerEnv(ws, nil)}
	a := action.New(rec.getenv, &bytes.Buffer{})
	if _, err := a.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(context.Background(), outcome(ws, fixtureIndex(t, ws, true), "public")); err != nil {
		t.Fatal(err)
	}
	var read []string
	for k := range rec.keys {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			if name != strings.ToUpper(name) || strings.Contains(name, "_") {
				t.Errorf("variable %s: the runner upper-cases input names and keeps hyphens", k)
			}
			read = append(read, strings.ToLower(name))
		}
	}
	sort.Strings(declared)
	sort.Strings(read)
	if diff := cmp.Diff(declared, read); diff != "" {
		t.Errorf("inputs declared in action.yml (-) vs read by the adapter (+):\n%s", diff)
	}
}

// TestOutputsDeclaredAndWritten asserts both ways that Publish writes exactly the outputs
// action.yml declares.
func TestOutputsDeclaredAndWritten(t *testing.T) {
	t.Parallel()
	_, m := readActionYAML(t)
	var declared []string
	for name := range m.Outputs {
		declared = append(declared, name)
	}
	ws := newWorkspace(t)
	env := runnerEnv(ws, nil)
	ix := fixtureIndex(t, ws, true)
	a := action.New(envOf(env), &bytes.Buffer{})
	if err := a.Publish(context.Background(), outcome(ws, ix, "public")); err != nil {
		t.Fatal(err)
	}
	var written []string
	for name := range parseOutputs(t, env["GITHUB_OUTPUT"]) {
		written = append(written, name)
	}
	slices.Sort(declared)
	slices.Sort(written)
	if diff := cmp.Diff(declared, written); diff != "" {
		t.Errorf("outputs declared in action.yml (-) vs written by Publish (+):\n%s", diff)
	}
}

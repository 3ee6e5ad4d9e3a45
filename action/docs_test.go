package action_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/signet-ci/signet/internal/checkout"
)

// workflow is the part of a workflow file the docs tests check.
type workflow struct {
	Permissions map[string]string `json:"permissions"`
	Jobs        map[string]struct {
		Permissions map[string]string `json:"permissions"`
		Steps       []struct {
			Uses string            `json:"uses"`
			With map[string]string `json:"with"`
		} `json:"steps"`
	} `json:"jobs"`
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestExampleWorkflows validates every example workflow against SchemaStore's workflow schema,
// checks that it uses only inputs action.yml declares and grants id-token: write where signet
// runs, and that docs/github-action.md shows exactly these files.
func TestExampleWorkflows(t *testing.T) {
	t.Parallel()
	root := checkout.Root(t)
	files, err := filepath.Glob(filepath.Join(root, "docs", "examples", "github", "*.yml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("example workflows: %v (found %d, want basic, sbom, private-sigstore, fan-in, matrix)", err, len(files))
	}
	md, err := os.ReadFile(filepath.Join(root, "docs", "github-action.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range yamlBlock.FindAllStringSubmatch(string(md), -1) {
		blocks = append(blocks, m[1])
	}
	bad := []byte("on: push\njobs:\n  a:\n    runs_on: ubuntu-latest\n    steps:\n      - run: true\n")
	if checkYAML(t, "github-workflow.json", bad) == nil {
		t.Error("the workflow schema accepts runs_on; it should not")
	}
	_, meta := readActionYAML(t)
	var examples []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		examples = append(examples, string(b))
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			validateYAML(t, "github-workflow.json", f, b)
			checkSignetSteps(t, f, b, meta)
			if !slices.Contains(blocks, string(b)) {
				t.Errorf("docs/github-action.md does not show %s verbatim in a ```yaml block", f)
			}
		})
	}
	for i, b := range blocks {
		if !slices.Contains(examples, b) {
			t.Errorf("yaml block %d of docs/github-action.md is not one of docs/examples/github/*.yml", i+1)
		}
	}
}

// checkSignetSteps checks the steps that use signet: declared inputs only, id-token: write.
func checkSignetSteps(t *testing.T, file string, b []byte, meta actionMetadata) {
	t.Helper()
	var wf workflow
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	uses := 0
	for name, job := range wf.Jobs {
		for _, st := range job.Steps {
			if !strings.HasPrefix(st.Uses, "signet-ci/signet@") {
				continue
			}
			uses++
			for k := range st.With {
				if _, ok := meta.Inputs[k]; !ok {
					t.Errorf("%s: job %s gives signet input %q, which action.yml does not declare", file, name, k)
				}
			}
			perms := job.Permissions
			if perms == nil {
				perms = wf.Permissions
			}
			if perms["id-token"] != "write" {
				t.Errorf("%s: job %s runs signet without permissions: id-token: write", file, name)
			}
		}
	}
	if uses == 0 {
		t.Errorf("%s never uses signet-ci/signet", file)
	}
}

package release_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml3 "go.yaml.in/yaml/v3"

	"github.com/signet-ci/signet/internal/checkout"
)

// checkWorkflow returns the vendored GitHub workflow schema's verdict on a YAML document.
func checkWorkflow(t *testing.T, doc []byte) error {
	t.Helper()
	var v any
	if err := yaml3.Unmarshal(doc, &v); err != nil { // YAML 1.2, as GitHub reads it: "on" is a key
		return err
	}
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return checkout.Schema(t, "github-workflow.json").Validate(inst)
}

// TestReleaseWorkflow validates .github/workflows/release.yml against the vendored workflow
// schema, checks that the schema is live, and that the workflow runs the release tool with the
// flags that make a release safe: reproduce the pins, push, sign.
func TestReleaseWorkflow(t *testing.T) {
	t.Parallel()
	doc := checkout.Read(t, ".github/workflows/release.yml")
	if err := checkWorkflow(t, doc); err != nil {
		t.Errorf(".github/workflows/release.yml does not validate against github-workflow.json:\n%v", err)
	}
	if err := checkWorkflow(t, []byte("on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n")); err == nil {
		t.Error("the workflow schema accepts a job with stepz: it is not live")
	}
	for _, want := range []string{"go run ./tools/release", "-check-pins", "-push", "-sign", "id-token: write", `tags: ["v*"]`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("release.yml lacks %q", want)
		}
	}
}

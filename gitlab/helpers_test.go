package gitlab_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml3 "go.yaml.in/yaml/v3"

	"github.com/signet-ci/signet/internal/checkout"
)

// envOf returns a getenv over m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// yamlDocuments decodes every document of a YAML stream into JSON-shaped values.
func yamlDocuments(t testing.TB, b []byte) []any {
	t.Helper()
	dec := yaml3.NewDecoder(bytes.NewReader(b))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("decoding YAML: %v", err)
		}
		docs = append(docs, jsonShaped(t, v))
	}
}

// jsonShaped converts a decoded YAML value to what encoding/json gives for the same data.
func jsonShaped(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("YAML value is not JSON-compatible: %v", err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// validateCI validates one GitLab CI document (JSON-shaped) against the schema.
func validateCI(t testing.TB, what string, doc any) {
	t.Helper()
	if err := checkout.Schema(t, "gitlab-ci.json").Validate(doc); err != nil {
		t.Errorf("%s does not validate against gitlab-ci.json:\n%v", what, err)
	}
}

// cmpDiff is cmp.Diff.
func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

// decodeYAML decodes a YAML document into v (yaml struct tags, YAML's own scalar types).
func decodeYAML(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := yaml3.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding YAML: %v", err)
	}
}

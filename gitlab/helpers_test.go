package gitlab_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml3 "go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// readRepoFile reads a file by its path from the repository root.
func readRepoFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envOf returns a getenv over m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var (
	schemaOnce sync.Once
	ciSchema   *jsonschema.Schema
	schemaErr  error
)

// gitlabSchema compiles ../shared/schemas/gitlab-ci.json once.
func gitlabSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		p := filepath.Join(repoRoot(t), "..", "shared", "schemas", "gitlab-ci.json")
		ciSchema, schemaErr = jsonschema.NewCompiler().Compile(p)
	})
	if schemaErr != nil {
		t.Fatalf("compiling the GitLab CI schema: %v", schemaErr)
	}
	return ciSchema
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
	if err := gitlabSchema(t).Validate(doc); err != nil {
		t.Errorf("%s does not validate against gitlab-ci.json:\n%v", what, err)
	}
}

// cmpDiff is cmp.Diff.
func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

// golden compares got with testdata/NAME, rewriting the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test -update if the change is intended:\n%s", p, diff)
	}
}

// decodeYAML decodes a YAML document into v (yaml struct tags, YAML's own scalar types).
func decodeYAML(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := yaml3.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding YAML: %v", err)
	}
}

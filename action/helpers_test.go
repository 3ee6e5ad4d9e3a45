package action_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml3 "go.yaml.in/yaml/v3"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/internal/checkout"
)

// envOf returns a getenv over m.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// recorder is a getenv that remembers every key it was asked for.
type recorder struct {
	mu   sync.Mutex
	vars map[string]string
	keys map[string]bool
}

func (r *recorder) getenv(k string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys = map[string]bool{}
	}
	r.keys[k] = true
	return r.vars[k]
}

// validateYAML checks a YAML document against a shared schema.
func validateYAML(t testing.TB, schemaName, file string, doc []byte) {
	t.Helper()
	if err := checkYAML(t, schemaName, doc); err != nil {
		t.Errorf("%s does not validate against %s:\n%v", file, schemaName, err)
	}
}

// checkYAML returns the schema's verdict on a YAML document.
func checkYAML(t testing.TB, schemaName string, doc []byte) error {
	t.Helper()
	// YAML 1.2, as GitHub reads workflows: "on" is a key, not the boolean true of YAML 1.1.
	var v any
	if err := yaml3.Unmarshal(doc, &v); err != nil {
		return fmt.Errorf("not YAML: %w", err)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("not JSON-compatible YAML: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return checkout.Schema(t, schemaName).Validate(inst)
}

// parseOutputs reads a $GITHUB_OUTPUT file the way the runner does: name=value lines and
// name<<DELIM ... DELIM blocks.
func parseOutputs(t testing.TB, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				val = append(val, sc.Text())
			}
			if !closed {
				t.Fatalf("%s: output %s: delimiter %q never closes", path, name, delim)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %q is neither name=value nor name<<DELIM", path, line)
		}
		out[name] = val
	}
	return out
}

// inputsOf lists the inputs named by the *ci.InputError leaves of err.
func inputsOf(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var ie *ci.InputError
		if errors.As(e, &ie) {
			out = append(out, ie.Input)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// writeFiles creates files (name → content) under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

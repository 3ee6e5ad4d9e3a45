package verify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"

	"github.com/signet-ci/signet/verify"
)

// policySchema compiles testdata/policy.schema.json, the copy of docs/policy.schema.json.
func policySchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(readFile(t, filepath.Join("testdata", "policy.schema.json"))))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("policy.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("policy.schema.json")
	if err != nil {
		t.Fatalf("compiling the policy schema: %v", err)
	}
	return s
}

// jsonShape decodes a YAML or JSON policy document as the schema sees it.
func jsonShape(t *testing.T, doc string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("decoding %q: %v", doc, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%q is not JSON-shaped: %v", doc, err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPolicySchema checks that docs/policy.schema.json is the tested copy, that every sample
// policy validates against it and parses, and that documents the schema refuses are refused
// by the parser too.
func TestPolicySchema(t *testing.T) {
	t.Parallel()
	docs, err := os.ReadFile(filepath.Join("..", "docs", "policy.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(docs), string(readFile(t, filepath.Join("testdata", "policy.schema.json")))); d != "" {
		t.Fatalf("docs/policy.schema.json and verify/testdata/policy.schema.json differ (-docs +testdata):\n%s", d)
	}
	schema := policySchema(t)
	samples, err := filepath.Glob(filepath.Join("testdata", "policies", "*.yaml"))
	if err != nil || len(samples) < 3 {
		t.Fatalf("sample policies: %v %v", samples, err)
	}
	good := map[string]string{}
	for _, s := range append(samples, filepath.Join("testdata", "release", "policy.yaml")) {
		good[s] = string(readFile(t, s))
	}
	for name, doc := range map[string]string{
		"json":            `{"version": 1, "identity": {"issuer": "https://token.actions.githubusercontent.com", "github": "o/r", "sourceRef": "refs/tags/v*"}}`,
		"email":           "identity:\n  issuer: https://accounts.example.com\n  identity: release@example.com\n",
		"identity regexp": "identity:\n  issuer: https://token.actions.githubusercontent.com\n  identityRegexp: '^https://github\\.com/o/r/\\.github/workflows/[a-z]+\\.yml@refs/tags/v.*$'\n",
		"gitlab":          "identity:\n  gitlab: g/sub/p\n  gitlabURL: https://gitlab.example.com\n  signerWorkflow: .gitlab-ci.yml\n  sourceRef: main\n",
		"key only":        "provenance:\n  buildType: https://signet-ci.github.io/buildtypes/local/v1\nrequireTlog: true\n",
		"org glob":        "identity:\n  issuer: https://token.actions.githubusercontent.com\n  sourceRepository: https://github.com/org/*\n",
		"whole workflow":  "identity:\n  issuer: https://token.actions.githubusercontent.com\n  signerWorkflow: org/tools/.github/workflows/release.yml@refs/tags/v*\n",
	} {
		good[name] = doc
	}
	verifyMD := string(readFile(t, filepath.Join("..", "docs", "verify.md")))
	_, example, ok := strings.Cut(verifyMD, "```yaml\n")
	if example, _, ok2 := strings.Cut(example, "```"); ok && ok2 {
		good["docs/verify.md example"] = example
	} else {
		t.Fatal("docs/verify.md has no yaml policy example")
	}
	for name, doc := range good {
		if err := schema.Validate(jsonShape(t, doc)); err != nil {
			t.Errorf("%s does not validate against the schema: %v", name, err)
		}
		if _, err := verify.ParsePolicy([]byte(doc)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, doc := range map[string]string{
		"unknown key":            "identity:\n  sourceRepo: https://github.com/o/r\n",
		"case variant":           "identity:\n  sourceref: main\n",
		"case variant section":   "Identity:\n  github: o/r\n",
		"top-level unknown":      "identities: {}\n",
		"list for a string":      "identity:\n  github: [o/r]\n",
		"number for a string":    "identity:\n  trigger: 1\n",
		"null value":             "identity:\n  github:\n",
		"empty string":           "identity:\n  identity: ''\n",
		"version 2":              "version: 2\n",
		"version 0":              "version: 0\n",
		"version string":         "version: '1'\n",
		"requireTlog string":     "requireTlog: 'true'\n",
		"unanchored regexp":      "identity:\n  identityRegexp: github\\.com/o/r/\n",
		"issuer and regexp":      "identity:\n  issuer: https://a.example\n  issuerRegexp: '^https://a\\.example$'\n",
		"short ref glob":         "identity:\n  sourceRef: v*\n",
		"short commit":           "identity:\n  sourceDigest: 5d3c6e0f\n",
		"namespace alone":        "identity:\n  kubernetesNamespace: builds\n",
		"github and gitlab":      "identity:\n  github: o/r\n  gitlab: g/p\n",
		"github not OWNER/REPO":  "identity:\n  github: o\n",
		"gitlabURL alone":        "identity:\n  gitlabURL: https://gitlab.example.com\n",
		"repository not a URI":   "identity:\n  sourceRepository: github.com/o/r\n",
		"provenance unknown key": "provenance:\n  builderId: x\n",
		"a list":                 "- identity: {}\n",
	} {
		if _, err := verify.ParsePolicy([]byte(doc)); !errors.Is(err, verify.ErrInvalidPolicy) {
			t.Errorf("%s: the parser accepted %q (%v)", name, doc, err)
		}
		if err := schema.Validate(jsonShape(t, doc)); err == nil {
			t.Errorf("%s: the schema accepts %q, which the parser refuses", name, doc)
		}
	}
}

// TestParsePolicyStrict names the key and line of every document it refuses.
func TestParsePolicyStrict(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc, want string }{
		{"case variant of a key", "identity:\n  sourceRef: refs/tags/v*\n  sourceref: main\n",
			`line 3: unknown key "identity.sourceref" (keys are case-sensitive: did you mean "sourceRef"?)`},
		{"case variant, other order", "identity:\n  gitHub: o/evil\n  github: o/r\n", `line 2: unknown key "identity.gitHub"`},
		{"duplicate key", "identity:\n  github: o/r\n  github: o/evil\n", `line 3: duplicate key "identity.github" (first on line 2)`},
		{"duplicate section", "identity: {github: o/r}\nidentity: {github: o/evil}\n", `line 2: duplicate key "identity"`},
		{"JSON duplicate", `{"identity": {"github": "o/r", "github": "o/evil"}}`, `duplicate key "identity.github"`},
		{"unknown top-level key", "version: 1\npolicy: {}\n", `line 2: unknown key "policy"`},
		{"merge key", "identity:\n  <<: {github: o/r}\n", "merge keys (<<) are not allowed"},
		{"anchor and alias", "identity:\n  github: &a o/r\n  identity: *a\n", "line 3: identity.identity: aliases are not allowed"},
		{"tagged value", "identity:\n  github: !custom o/r\n", "identity.github: expected a string"},
		{"non-string key", "identity:\n  1: o/r\n", "keys must be plain strings"},
		{"empty document", "# nothing\n", "the document is empty"},
		{"two documents", "identity: {github: o/r}\n---\nidentity: {github: o/evil}\n", "a policy is one document"},
		{"scalar document", "github\n", "the document: expected a mapping"},
		{"bad YAML", "identity: [\n", "invalid policy"},
		{"unanchored issuer regexp", "identity:\n  issuerRegexp: .*\n", `identity.issuerRegexp ".*" is not anchored`},
		{"issuer regexp without a literal host", "identity:\n  issuerRegexp: '^https://.*$'\n", "does not fix the issuer's scheme and host"},
		{"issuer regexp open after the host", "identity:\n  issuerRegexp: '^https://token\\.actions\\.githubusercontent\\.com.*$'\n", "does not fix the issuer's scheme and host"},
		{"ambiguous short ref", "identity:\n  sourceRef: heads/main\n", "write the full ref refs/heads/main"},
		{"repository glob over owners", "identity:\n  sourceRepository: https://github.com/*/r\n", "must fix the scheme, host and owner"},
		{"runner glob", "identity:\n  runnerEnvironment: '*-hosted'\n", "expected a value or !VALUE"},
		{"signer ref glob short", "identity:\n  signerWorkflow: o/r/.github/workflows/r.yml@v*\n", "is a short name with a pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := verify.ParsePolicy([]byte(tt.doc))
			if !errors.Is(err, verify.ErrInvalidPolicy) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParsePolicy(%q) = %v, want %q", tt.doc, err, tt.want)
			}
		})
	}
}

// TestReadPolicyBounded reads at most 1 MiB of a policy file, however large it is.
func TestReadPolicyBounded(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = verify.ReadPolicy(path)
	if !errors.Is(err, verify.ErrInvalidPolicy) || !strings.Contains(err.Error(), "more than the 1048576 bytes a policy may have") ||
		!strings.Contains(err.Error(), path) {
		t.Fatalf("ReadPolicy(64 MiB) = %v", err)
	}
}

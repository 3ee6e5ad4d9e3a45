package gitlab_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	yaml3 "go.yaml.in/yaml/v3"
)

// This file is a renderer for GitLab CI/CD component templates, written for the tests from
// GitLab's documentation (doc/ci/inputs/_index.md, doc/ci/yaml/_index.md#spec): a spec header
// document declares inputs, the second document uses them as $[[ inputs.NAME ]].
//
//   - An input without default is mandatory; an unknown input is an error.
//   - type is string (default), number, boolean or array; a value of another type is an error.
//   - options lists the allowed values; regex (RE2, unanchored, strings only) must match.
//     Both apply to the value used, given or default.
//   - A string input is less than 1 KB.
//   - An expression that is a whole YAML value (a mapping key or a scalar) keeps the input's
//     type; inside a larger string the value is interpolated as text (arrays cannot be).
//   - Functions after |: truncate(offset,length) and posix_escape; others are refused here.
//   - Job variables must be strings or integers after interpolation (GitLab's variables entry
//     accepts nothing else).

// errRender is wrapped by every rendering error.
var errRender = errors.New("component template")

// inputSpec is one declared input.
type inputSpec struct {
	Type       string
	Default    any
	HasDefault bool
	Options    []any
	Regex      *regexp.Regexp
}

// component is a parsed template.
type component struct {
	Header any // the spec document, JSON-shaped for schema validation
	Body   any // the jobs document as decoded, before interpolation
	Inputs map[string]inputSpec
	// Context lists the component context the header declares (spec:component: name, sha,
	// version, reference); $[[ component.X ]] is an error for anything else.
	Context []string
}

// componentPrefix keys component context values among the input values given to evaluate.
const componentPrefix = "\x00component."

// parseComponent splits a template into its two documents and reads the declared inputs.
func parseComponent(b []byte) (*component, error) {
	dec := yaml3.NewDecoder(bytes.NewReader(b))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errRender, err)
		}
		docs = append(docs, v)
	}
	if len(docs) != 2 {
		return nil, fmt.Errorf("%w: %d YAML documents, want 2 (spec header, then jobs)", errRender, len(docs))
	}
	header, ok := docs[0].(map[string]any)
	spec, _ := header["spec"].(map[string]any)
	if !ok || spec == nil || len(header) != 1 {
		return nil, fmt.Errorf("%w: the first document must hold only spec:", errRender)
	}
	inputs, err := parseInputs(spec["inputs"])
	if err != nil {
		return nil, err
	}
	var context []string
	if cv, ok := spec["component"]; ok {
		list, _ := cv.([]any)
		for _, e := range list {
			name, _ := e.(string)
			if !slices.Contains([]string{"name", "sha", "version", "reference"}, name) {
				return nil, fmt.Errorf("%w: spec:component: unknown context %v (name, sha, version or reference)", errRender, e)
			}
			context = append(context, name)
		}
		if len(context) == 0 {
			return nil, fmt.Errorf("%w: spec:component must list context names", errRender)
		}
	}
	return &component{Header: docs[0], Body: docs[1], Inputs: inputs, Context: context}, nil
}

func parseInputs(v any) (map[string]inputSpec, error) {
	raw, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: spec:inputs must be a mapping", errRender)
	}
	out := map[string]inputSpec{}
	for name, def := range raw {
		m, _ := def.(map[string]any)
		if m == nil {
			m = map[string]any{} // "name:" alone declares a mandatory string input
		}
		in := inputSpec{Type: "string"}
		if t, ok := m["type"].(string); ok {
			in.Type = t
		}
		if !slices.Contains([]string{"string", "number", "boolean", "array"}, in.Type) {
			return nil, fmt.Errorf("%w: input %s: unknown type %q", errRender, name, in.Type)
		}
		in.Default, in.HasDefault = m["default"]
		in.Options, _ = m["options"].([]any)
		if r, ok := m["regex"].(string); ok {
			if in.Type != "string" {
				return nil, fmt.Errorf("%w: input %s: regex applies to strings only", errRender, name)
			}
			re, err := regexp.Compile(r)
			if err != nil {
				return nil, fmt.Errorf("%w: input %s: regex: %v", errRender, name, err)
			}
			in.Regex = re
		}
		out[name] = in
	}
	return out, nil
}

// values resolves the value of every input from given and the defaults, checking each.
func (c *component) values(given map[string]any) (map[string]any, error) {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if _, ok := c.Inputs[name]; !ok {
			errs = append(errs, fmt.Errorf("%w: unknown input %q", errRender, name))
		}
	}
	vals := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(c.Inputs)) {
		in := c.Inputs[name]
		v, ok := given[name]
		if !ok {
			if !in.HasDefault {
				errs = append(errs, fmt.Errorf("%w: input %s: required value has not been provided", errRender, name))
				continue
			}
			v = in.Default
		}
		if err := in.check(name, v); err != nil {
			errs = append(errs, err)
			continue
		}
		vals[name] = v
	}
	return vals, errors.Join(errs...)
}

func (in inputSpec) check(name string, v any) error {
	ok := false
	switch v.(type) {
	case string:
		ok = in.Type == "string"
	case int, int64, float64:
		ok = in.Type == "number"
	case bool:
		ok = in.Type == "boolean"
	case []any:
		ok = in.Type == "array"
	}
	if !ok {
		return fmt.Errorf("%w: input %s: provided value %v is not a %s", errRender, name, v, in.Type)
	}
	if s, isString := v.(string); isString && len(s) >= 1024 {
		return fmt.Errorf("%w: input %s: a string input must be less than 1 KB", errRender, name)
	}
	if len(in.Options) > 0 && !slices.ContainsFunc(in.Options, func(o any) bool { return fmt.Sprint(o) == fmt.Sprint(v) }) {
		return fmt.Errorf("%w: input %s: %v cannot be used because it is not in the list of allowed options %v", errRender, name, v, in.Options)
	}
	if in.Regex != nil && !in.Regex.MatchString(v.(string)) {
		return fmt.Errorf("%w: input %s: %q does not match required RegEx pattern %s", errRender, name, v, in.Regex)
	}
	return nil
}

// render interpolates given inputs into the jobs document and checks the job variables, as
// GitLab does for a component included at a commit SHA or branch (component.version is null).
func (c *component) render(given map[string]any) (map[string]any, error) {
	return c.renderAt(given, nil)
}

// renderAt renders with the component context ctx (component.version → "1.2.3"; a declared
// context missing from ctx is null, as GitLab has no version for a SHA or branch).
func (c *component) renderAt(given map[string]any, ctx map[string]any) (map[string]any, error) {
	vals, err := c.values(given)
	if err != nil {
		return nil, err
	}
	for _, name := range c.Context {
		vals[componentPrefix+name] = ctx[name]
	}
	out, err := interpolate(c.Body, vals)
	if err != nil {
		return nil, err
	}
	jobs, ok := out.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the jobs document is not a mapping", errRender)
	}
	return jobs, checkVariables(jobs)
}

var expression = regexp.MustCompile(`\$\[\[\s*(.*?)\s*\]\]`)

func interpolate(v any, vals map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		return interpolateString(x, vals)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := interpolate(e, vals)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key, err := interpolateString(k, vals)
			if err != nil {
				return nil, err
			}
			ks, ok := key.(string)
			if !ok {
				return nil, fmt.Errorf("%w: key %q interpolates to a %T, want a string", errRender, k, key)
			}
			if out[ks], err = interpolate(e, vals); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

func interpolateString(s string, vals map[string]any) (any, error) {
	loc := expression.FindAllStringSubmatchIndex(s, -1)
	if len(loc) == 0 {
		return s, nil
	}
	if len(loc) == 1 && loc[0][0] == 0 && loc[0][1] == len(s) {
		return evaluate(s[loc[0][2]:loc[0][3]], vals)
	}
	var b strings.Builder
	last := 0
	for _, l := range loc {
		v, err := evaluate(s[l[2]:l[3]], vals)
		if err != nil {
			return nil, err
		}
		text, err := asText(v)
		if err != nil {
			return nil, fmt.Errorf("%w: in %q: %w", errRender, s, err)
		}
		b.WriteString(s[last:l[0]])
		b.WriteString(text)
		last = l[1]
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

func asText(v any) (string, error) {
	switch x := v.(type) {
	case nil: // a null component context inside a string is empty
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("a %T cannot be interpolated into a larger string", v)
}

var truncateCall = regexp.MustCompile(`^truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)$`)

// evaluate computes "inputs.NAME | fn | fn(args)".
func evaluate(expr string, vals map[string]any) (any, error) {
	parts := strings.Split(expr, "|")
	ref := strings.TrimSpace(parts[0])
	if field, ok := strings.CutPrefix(ref, "component."); ok {
		v, declared := vals[componentPrefix+field]
		if !declared {
			return nil, fmt.Errorf("%w: %q: the spec header does not declare %s in spec:component", errRender, ref, field)
		}
		if len(parts) > 1 {
			return nil, fmt.Errorf("%w: %q: functions on component context are not supported by this renderer", errRender, expr)
		}
		return v, nil
	}
	name, ok := strings.CutPrefix(ref, "inputs.")
	if !ok {
		return nil, fmt.Errorf("%w: unknown interpolation key %q (inputs.* or component.*)", errRender, ref)
	}
	v, ok := vals[name]
	if !ok {
		return nil, fmt.Errorf("%w: unknown interpolation key %q", errRender, name)
	}
	if len(parts) > 4 {
		return nil, fmt.Errorf("%w: %q: at most 3 functions", errRender, expr)
	}
	for _, fn := range parts[1:] {
		fn = strings.TrimSpace(fn)
		s, isString := v.(string)
		if !isString {
			return nil, fmt.Errorf("%w: %s applies to strings, input %s is a %T", errRender, fn, name, v)
		}
		switch m := truncateCall.FindStringSubmatch(fn); {
		case m != nil:
			off, _ := strconv.Atoi(m[1])
			n, _ := strconv.Atoi(m[2])
			v = s[min(off, len(s)):min(off+n, len(s))]
		case fn == "posix_escape":
			v = posixEscape(s)
		default:
			return nil, fmt.Errorf("%w: function %q is not supported by this renderer", errRender, fn)
		}
	}
	return v, nil
}

// posixEscape backslash-escapes every character a POSIX shell would interpret.
func posixEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./,:@%+=", r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkVariables applies GitLab's rule for job variables: strings or integers (or an object
// with value), nothing else.
func checkVariables(jobs map[string]any) error {
	var errs []error
	for name, j := range jobs {
		job, _ := j.(map[string]any)
		vars, _ := job["variables"].(map[string]any)
		for k, v := range vars {
			switch v.(type) {
			case string, int, map[string]any:
			default:
				errs = append(errs, fmt.Errorf("%w: job %s: variable %s is a %T; GitLab accepts strings and integers", errRender, name, k, v))
			}
		}
	}
	return errors.Join(errs...)
}

// TestRenderer checks the renderer itself on a small template, so a template test that
// passes means the template renders as GitLab would render it.
func TestRenderer(t *testing.T) {
	t.Parallel()
	tmpl := []byte(`spec:
  inputs:
    name:
    stage:
      default: test
      options: [test, deploy]
    count:
      type: number
      default: 2
    flag:
      type: boolean
      default: false
    list:
      type: array
      default: [a]
    tag:
      default: v1
      regex: ^v\d+$
---
"job-$[[ inputs.name ]]":
  stage: $[[ inputs.stage ]]
  parallel: $[[ inputs.count ]]
  allow_failure: $[[ inputs.flag ]]
  needs: $[[ inputs.list ]]
  script:
    - echo "$[[ inputs.name | posix_escape ]] $[[ inputs.count ]] $[[ inputs.flag ]]"
    - echo $[[ inputs.tag | truncate(1,5) ]]
`)
	c, err := parseComponent(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		given   map[string]any
		want    map[string]any
		wantErr string
	}{
		{name: "defaults and types", given: map[string]any{"name": "a b"}, want: map[string]any{"job-a b": map[string]any{
			"stage": "test", "parallel": 2, "allow_failure": false, "needs": []any{"a"},
			"script": []any{`echo "a\ b 2 false"`, "echo 1"}}}},
		{name: "given values", given: map[string]any{"name": "x", "stage": "deploy", "count": 3, "flag": true, "list": []any{"b", "c"}, "tag": "v22"},
			want: map[string]any{"job-x": map[string]any{"stage": "deploy", "parallel": 3, "allow_failure": true, "needs": []any{"b", "c"},
				"script": []any{`echo "x 3 true"`, "echo 22"}}}},
		{name: "mandatory", given: map[string]any{}, wantErr: "input name: required value has not been provided"},
		{name: "unknown", given: map[string]any{"name": "x", "nme": "y"}, wantErr: `unknown input "nme"`},
		{name: "type", given: map[string]any{"name": "x", "count": "3"}, wantErr: "input count: provided value 3 is not a number"},
		{name: "boolean type", given: map[string]any{"name": "x", "flag": "true"}, wantErr: "input flag: provided value true is not a boolean"},
		{name: "options", given: map[string]any{"name": "x", "stage": "build"}, wantErr: "not in the list of allowed options"},
		{name: "regex", given: map[string]any{"name": "x", "tag": "1.0"}, wantErr: "does not match required RegEx pattern"},
		{name: "string size", given: map[string]any{"name": strings.Repeat("x", 1024)}, wantErr: "less than 1 KB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.render(tt.given)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("render: error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmpDiff(tt.want, got); diff != "" {
				t.Errorf("render (-want +got):\n%s", diff)
			}
		})
	}
	bad := []byte("spec:\n  inputs:\n    a:\n      default: x\n---\nj:\n  script: [\"$[[ inputs.b ]]\"]\n")
	if c, err := parseComponent(bad); err != nil {
		t.Fatal(err)
	} else if _, err := c.render(nil); err == nil || !strings.Contains(err.Error(), `unknown interpolation key "b"`) {
		t.Errorf("render of an undeclared input: %v", err)
	}
	boolVar := []byte("spec:\n  inputs:\n    a:\n      type: boolean\n      default: true\n---\nj:\n  variables:\n    A: $[[ inputs.a ]]\n  script: [x]\n")
	if c, err := parseComponent(boolVar); err != nil {
		t.Fatal(err)
	} else if _, err := c.render(nil); err == nil || !strings.Contains(err.Error(), "GitLab accepts strings and integers") {
		t.Errorf("render of a boolean job variable: %v", err)
	}
}

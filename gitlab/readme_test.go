package gitlab_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	yaml3 "go.yaml.in/yaml/v3"

	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/golden"
)

// The README section the CI/CD Catalog shows for the component: a table of every input,
// generated from the template's spec:inputs, between these markers.
const (
	readmeBegin = "<!-- BEGIN GENERATED: GitLab component inputs, from templates/attest.yml by `go test ./gitlab -run TestReadmeInputs -update` -->\n"
	readmeEnd   = "<!-- END GENERATED: GitLab component inputs -->\n"
)

// specInput is one input of spec:inputs, in the template's order.
type specInput struct {
	name        string
	Type        string `yaml:"type"`
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
	Options     []any  `yaml:"options"`
	Regex       string `yaml:"regex"`
}

// templateInputs reads spec:inputs in the order the template declares them.
func templateInputs(t *testing.T, b []byte) []specInput {
	t.Helper()
	var header struct {
		Spec struct {
			Inputs yaml3.Node `yaml:"inputs"`
		} `yaml:"spec"`
	}
	if err := yaml3.NewDecoder(bytes.NewReader(b)).Decode(&header); err != nil {
		t.Fatal(err)
	}
	n := header.Spec.Inputs
	var out []specInput
	for i := 0; i+1 < len(n.Content); i += 2 {
		in := specInput{name: n.Content[i].Value, Type: "string"}
		if err := n.Content[i+1].Decode(&in); err != nil {
			t.Fatalf("input %s: %v", in.name, err)
		}
		out = append(out, in)
	}
	return out
}

// inputsTable renders the inputs as a Markdown table.
func inputsTable(ins []specInput) string {
	cell := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), "|", `\|`), "\n", " ")
	}
	var b strings.Builder
	b.WriteString("| input | type | default | description |\n|---|---|---|---|\n")
	for _, in := range ins {
		def := fmt.Sprintf("`%v`", in.Default)
		if s, ok := in.Default.(string); ok && s == "" {
			def = `""`
		}
		desc := cell(in.Description)
		if len(in.Options) > 0 {
			var opts []string
			for _, o := range in.Options {
				opts = append(opts, fmt.Sprintf("`%q`", fmt.Sprint(o)))
			}
			desc += " One of " + strings.Join(opts, ", ") + "."
		}
		if in.Regex != "" {
			desc += " Must match `" + cell(in.Regex) + "`."
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", in.name, in.Type, def, desc)
	}
	return b.String()
}

// TestReadmeInputs checks that the README, which the CI/CD Catalog renders, lists every input
// of the component as the template declares it (-update rewrites the section).
func TestReadmeInputs(t *testing.T) {
	t.Parallel()
	ins := templateInputs(t, checkout.Read(t, templatePath))
	c, _ := readTemplate(t)
	var names []string
	for _, in := range ins {
		names = append(names, in.name)
	}
	if len(names) != len(c.Inputs) {
		t.Fatalf("read %d inputs in order, the renderer %d", len(names), len(c.Inputs))
	}
	readme := checkout.Read(t, "README.md")
	begin, end := bytes.Index(readme, []byte(readmeBegin)), bytes.Index(readme, []byte(readmeEnd))
	if begin < 0 || end < begin {
		t.Fatalf("README.md has no generated inputs section between %q and %q", readmeBegin, readmeEnd)
	}
	want := inputsTable(ins)
	got := string(readme[begin+len(readmeBegin) : end])
	if got == want {
		return
	}
	if golden.Updating() {
		out := slices.Concat(readme[:begin+len(readmeBegin)], []byte(want), readme[end:])
		if err := os.WriteFile(filepath.Join(checkout.Root(t), "README.md"), out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's inputs section is not the table of templates/attest.yml's inputs; run go test ./gitlab -run TestReadmeInputs -update\n got:\n%s\nwant:\n%s", got, want)
}

package gitlab_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/sigstore/fulcio/pkg/config"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/gitlab"
	"github.com/signet-ci/signet/internal/checkout"
)

const docsPath = "docs/gitlab-component.md"

// fenced returns the bodies of the ```LANG blocks of a Markdown file.
func fenced(md []byte, lang string) []string {
	re := regexp.MustCompile("(?s)```" + regexp.QuoteMeta(lang) + "\n(.*?)```")
	var out []string
	for _, m := range re.FindAllSubmatch(md, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// ciConfig is the part of a pipeline configuration the docs tests check.
type ciConfig struct {
	Include []struct {
		Component string         `json:"component"`
		Inputs    map[string]any `json:"inputs"`
	} `json:"include"`
}

// TestPipelineExamples validates every ```yaml block of the docs and the project's own
// .gitlab-ci.yml against GitLab's CI schema, renders the component with the inputs each one
// gives (unknown inputs, wrong types and options fail), and validates the rendered job too.
func TestPipelineExamples(t *testing.T) {
	t.Parallel()
	md := checkout.Read(t, docsPath)
	blocks := fenced(md, "yaml")
	if len(blocks) < 5 {
		t.Fatalf("%s has %d yaml blocks, want the needs example, basic, SBOM, self-managed and self-test", docsPath, len(blocks))
	}
	files := map[string]string{".gitlab-ci.yml": string(checkout.Read(t, ".gitlab-ci.yml"))}
	for i, b := range blocks {
		files[fmt.Sprintf("%s yaml block %d", docsPath, i+1)] = b
	}
	c, _ := readTemplate(t)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			docs := yamlDocuments(t, []byte(files[name]))
			if len(docs) != 1 {
				t.Fatalf("%d YAML documents, want 1", len(docs))
			}
			validateCI(t, name, docs[0])
			cfg := decodeCI(t, docs[0])
			uses := 0
			for _, inc := range cfg.Include {
				if !strings.Contains(inc.Component, "/attest@") {
					continue
				}
				uses++
				jobs, err := c.render(yamlInputs(t, files[name], inc.Component))
				if err != nil {
					t.Fatalf("rendering the component with the inputs of %s: %v", inc.Component, err)
				}
				validateCI(t, name+" rendered component", jsonShaped(t, jobs))
			}
			if uses != 1 {
				t.Errorf("includes the attest component %d times, want once", uses)
			}
		})
	}
}

func decodeCI(t *testing.T, doc any) ciConfig {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var cfg ciConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("include: %v", err)
	}
	return cfg
}

// yamlInputs returns the inputs of the include naming component, with YAML's own types (the
// JSON-shaped documents turn numbers into json.Number).
func yamlInputs(t *testing.T, src, component string) map[string]any {
	t.Helper()
	var cfg struct {
		Include []struct {
			Component string         `yaml:"component"`
			Inputs    map[string]any `yaml:"inputs"`
		} `yaml:"include"`
	}
	decodeYAML(t, []byte(src), &cfg)
	for _, inc := range cfg.Include {
		if inc.Component == component {
			return inc.Inputs
		}
	}
	t.Fatalf("no include of %s", component)
	return nil
}

// TestSelfTest checks that the project's pipeline tests the component at the commit being
// built and releases it with the release keyword on semver tags only.
func TestSelfTest(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Include []struct {
			Component string `yaml:"component"`
		} `yaml:"include"`
		Release struct {
			Rules   []map[string]string `yaml:"rules"`
			Release struct {
				TagName     string `yaml:"tag_name"`
				Description string `yaml:"description"`
			} `yaml:"release"`
		} `yaml:"create-release"`
	}
	decodeYAML(t, checkout.Read(t, ".gitlab-ci.yml"), &cfg)
	if len(cfg.Include) != 1 || cfg.Include[0].Component != "$CI_SERVER_FQDN/$CI_PROJECT_PATH/attest@$CI_COMMIT_SHA" {
		t.Errorf("include %+v, want the component of this project at $CI_COMMIT_SHA", cfg.Include)
	}
	// The release's own tag is vX.Y.Z (as on GitHub); the Catalog version is X.Y.Z, which the
	// verify job hands over in its dotenv report.
	if cfg.Release.Release.TagName != "$SIGNET_COMPONENT_VERSION" || cfg.Release.Release.Description == "" {
		t.Errorf("create-release: release %+v, want tag_name $SIGNET_COMPONENT_VERSION and a description", cfg.Release.Release)
	}
	if !strings.Contains(string(checkout.Read(t, ".gitlab-ci.yml")), `echo "SIGNET_COMPONENT_VERSION=${CI_COMMIT_TAG#v}" > version.env`) {
		t.Error(".gitlab-ci.yml does not hand the tag's version without v to create-release")
	}
	if len(cfg.Release.Rules) != 1 {
		t.Fatalf("create-release rules %v, want one vSEMVER-tag rule", cfg.Release.Rules)
	}
	rule := cfg.Release.Rules[0]["if"]
	m := regexp.MustCompile(`^\$CI_COMMIT_TAG =~ /(.*)/$`).FindStringSubmatch(rule)
	if m == nil {
		t.Fatalf("create-release rule %q, want $CI_COMMIT_TAG =~ /semver/", rule)
	}
	semver := regexp.MustCompile(strings.ReplaceAll(m[1], `\d`, `[0-9]`))
	for tag, want := range map[string]bool{"v1.0.0": true, "v0.1.0": true, "v1.0.0-alpha.1": true, "1.0.0": false, "v1.0": false, "latest": false} {
		if semver.MatchString(tag) != want {
			t.Errorf("tag %q releases: %v, want %v", tag, !want, want)
		}
	}
}

// TestDocsTables checks that the docs' tables list every input the template declares and
// every variable of the dotenv report.
func TestDocsTables(t *testing.T) {
	t.Parallel()
	md := string(checkout.Read(t, docsPath))
	c, _ := readTemplate(t)
	for name := range c.Inputs {
		if !strings.Contains(md, "| `"+name+"` |") {
			t.Errorf("%s: the inputs table lacks %s", docsPath, name)
		}
	}
	for _, k := range []string{gitlab.KeyIndex, gitlab.KeyBundle, gitlab.KeyBundleCount, gitlab.KeySubjectCount,
		gitlab.KeyIdentity, gitlab.KeyIssuer, gitlab.KeyTlog, gitlab.KeyLogIndex} {
		if !strings.Contains(md, "| `"+k+"` |") {
			t.Errorf("%s: the dotenv table lacks %s", docsPath, k)
		}
	}
}

// TestFulcioExample decodes the docs' Fulcio configuration strictly with Fulcio's own types
// and parses its templates as Fulcio does, and checks that it names the instance's URL.
func TestFulcioExample(t *testing.T) {
	t.Parallel()
	blocks := fenced(checkout.Read(t, docsPath), "json")
	if len(blocks) != 1 {
		t.Fatalf("%d json blocks, want the Fulcio configuration", len(blocks))
	}
	dec := json.NewDecoder(strings.NewReader(blocks[0]))
	dec.DisallowUnknownFields()
	var cfg config.FulcioConfig
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("Fulcio configuration: %v", err)
	}
	const instance = "https://gitlab.example.com"
	iss, ok := cfg.OIDCIssuers[instance]
	if !ok || iss.Type != config.IssuerTypeCIProvider || iss.ClientID != core.Audience {
		t.Fatalf("issuer %s: %+v, want a ci-provider issuer with client ID sigstore", instance, iss)
	}
	meta, ok := cfg.CIIssuerMetadata[iss.CIProvider]
	if !ok || meta.DefaultTemplateValues["url"] != instance {
		t.Fatalf("metadata %q: %+v, want url %s", iss.CIProvider, meta, instance)
	}
	claims := map[string]string{"url": instance, "environment": "", "ci_config_ref_uri": "gitlab.example.com/g/p//.gitlab-ci.yml@refs/heads/main",
		"project_path": "g/p", "namespace_path": "g", "job_id": "9", "ref_type": "branch", "ref": "main"}
	render := func(tmpl string) string {
		tp, err := template.New("").Option("missingkey=error").Parse(tmpl)
		if err != nil {
			t.Fatalf("template %q: %v", tmpl, err)
		}
		var b bytes.Buffer
		if err := tp.Execute(&b, claims); err != nil {
			t.Fatalf("template %q: %v", tmpl, err)
		}
		return b.String()
	}
	ext := meta.ExtensionTemplates
	got := map[string]string{
		"san": render(meta.SubjectAlternativeNameTemplate), "repo": render(ext.SourceRepositoryURI),
		"ref": render(ext.SourceRepositoryRef), "run": render(ext.RunInvocationURI),
	}
	want := map[string]string{
		"san": "https://gitlab.example.com/g/p//.gitlab-ci.yml@refs/heads/main", "repo": instance + "/g/p",
		"ref": "refs/heads/main", "run": instance + "/g/p/-/jobs/9",
	}
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("rendered templates (-want +got):\n%s", diff)
	}
}

package release_test

import (
	"bytes"
	"encoding/json"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml3 "go.yaml.in/yaml/v3"

	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/release"
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

// TestBothPipelinesReleaseOnOneTag checks that the GitHub release workflow and the GitLab
// mirror's release job start from the same tag, vX.Y.Z (the form release.CheckVersion
// accepts), so one tag publishes the binaries, the image and the Catalog component.
func TestBothPipelinesReleaseOnOneTag(t *testing.T) {
	t.Parallel()
	var gh struct {
		On struct {
			Push struct {
				Tags []string `yaml:"tags"`
			} `yaml:"push"`
		} `yaml:"on"`
	}
	if err := yaml3.Unmarshal(checkout.Read(t, ".github/workflows/release.yml"), &gh); err != nil {
		t.Fatal(err)
	}
	var gl struct {
		Release struct {
			Rules []struct {
				If string `yaml:"if"`
			} `yaml:"rules"`
			Release struct {
				TagName string `yaml:"tag_name"`
			} `yaml:"release"`
		} `yaml:"create-release"`
	}
	if err := yaml3.Unmarshal(checkout.Read(t, ".gitlab-ci.yml"), &gl); err != nil {
		t.Fatal(err)
	}
	if len(gl.Release.Rules) != 1 {
		t.Fatalf("create-release has %d rules, want one tag rule", len(gl.Release.Rules))
	}
	m := regexp.MustCompile(`^\$CI_COMMIT_TAG =~ /(.*)/$`).FindStringSubmatch(gl.Release.Rules[0].If)
	if m == nil {
		t.Fatalf("create-release rule %q: want $CI_COMMIT_TAG =~ /REGEX/", gl.Release.Rules[0].If)
	}
	glTag := regexp.MustCompile(m[1])
	for _, tag := range []string{"v0.1.0", "v1.20.3", "v2.0.0-rc.1"} {
		if err := release.CheckVersion(tag); err != nil {
			continue // not a release version: neither pipeline need take it
		}
		if !glTag.MatchString(tag) {
			t.Errorf("the GitLab release job does not run on the release tag %s", tag)
		}
		ok := false
		for _, p := range gh.On.Push.Tags {
			if matched, _ := path.Match(p, tag); matched {
				ok = true
			}
		}
		if !ok {
			t.Errorf("the GitHub release workflow (tags %q) does not run on %s", gh.On.Push.Tags, tag)
		}
	}
	for _, tag := range []string{"1.2.3", "v1.2", "release-1.2.3"} {
		if glTag.MatchString(tag) {
			t.Errorf("the GitLab release job runs on %q, which is no release tag (its own X.Y.Z tag must not release again)", tag)
		}
	}
	if gl.Release.Release.TagName != "$SIGNET_COMPONENT_VERSION" {
		t.Errorf("create-release tag_name %q, want the version without v ($SIGNET_COMPONENT_VERSION)", gl.Release.Release.TagName)
	}
}

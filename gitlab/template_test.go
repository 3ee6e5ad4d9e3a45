package gitlab_test

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/gitlab"
	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/golden"
)

const templatePath = "templates/attest.yml"

// readTemplate parses templates/attest.yml.
func readTemplate(t testing.TB) (*component, []byte) {
	t.Helper()
	b := checkout.Read(t, templatePath)
	c, err := parseComponent(b)
	if err != nil {
		t.Fatalf("%s: %v", templatePath, err)
	}
	return c, b
}

// TestTemplateSchema validates both documents of the template, as written, against GitLab's
// CI schema, and checks the spec header declares the inputs.
func TestTemplateSchema(t *testing.T) {
	t.Parallel()
	c, _ := readTemplate(t)
	validateCI(t, templatePath+" spec header", jsonShaped(t, c.Header))
	validateCI(t, templatePath+" jobs", jsonShaped(t, c.Body))
	want := []string{"image", "job-name", "max-subjects", "output-dir", "private-repo-tlog", "sbom", "sigstore",
		"stage", "subject-checksums", "subject-path"}
	if diff := cmpDiff(want, slices.Sorted(maps.Keys(c.Inputs))); diff != "" {
		t.Errorf("declared inputs (-want +got):\n%s", diff)
	}
	if d := c.Inputs["stage"].Default; d != "build" {
		t.Errorf("stage defaults to %v, want build", d)
	}
	for name, in := range c.Inputs {
		if !in.HasDefault {
			t.Errorf("input %s has no default: every input is optional", name)
		}
	}
	bad := map[string]any{"spec": map[string]any{"inputs": map[string]any{}, "component": []any{"version"}}}
	if checkout.Schema(t, "gitlab-ci.json").Validate(jsonShaped(t, bad)) == nil {
		t.Error("the schema accepts spec:component; the README says it rejects it")
	}
}

// TestTemplateShell checks that no input reaches a shell line: script lines hold no
// $[[ ]] expression, and every job variable the template sets is one the adapter reads.
func TestTemplateShell(t *testing.T) {
	t.Parallel()
	c, _ := readTemplate(t)
	body := c.Body.(map[string]any)
	if len(body) != 1 {
		t.Fatalf("the jobs document has %d top-level keys %v, want one job and no global keywords", len(body), slices.Sorted(maps.Keys(body)))
	}
	for name, j := range body {
		if name != "$[[ inputs.job-name ]]" {
			t.Errorf("job key %q, want the job-name input", name)
		}
		job := j.(map[string]any)
		for _, key := range []string{"script", "before_script", "after_script"} {
			lines, _ := job[key].([]any)
			for _, l := range lines {
				if strings.Contains(l.(string), "$[[") {
					t.Errorf("%s line %q interpolates an input into the shell", key, l)
				}
			}
		}
		vars := slices.Sorted(maps.Keys(job["variables"].(map[string]any)))
		if diff := cmpDiff(slices.Sorted(slices.Values(gitlab.InputVariables())), vars); diff != "" {
			t.Errorf("job variables (-adapter reads +template sets):\n%s", diff)
		}
	}
}

// TestTemplateRender renders the template with sample inputs, validates the job against the
// schema, and checks the job contract: the ID token, image, script, artifacts and reports.
func TestTemplateRender(t *testing.T) {
	t.Parallel()
	c, _ := readTemplate(t)
	tests := []struct {
		name   string
		inputs map[string]any
		job    string
		stage  string
		outDir string
		golden string
	}{
		{name: "defaults", inputs: map[string]any{"subject-path": "dist/app"}, job: "signet-attest", stage: "build",
			outDir: "attestations", golden: "rendered-default.json"},
		{name: "every input", inputs: map[string]any{
			"stage": "sign", "job-name": "sign release", "subject-path": "dist/*.tar.gz dist/app", "subject-checksums": "dist/SHA256SUMS",
			"sbom": "spdx-json,cyclonedx-json", "sigstore": ".sigstore", "output-dir": "out/att", "max-subjects": 10,
			"private-repo-tlog": "true", "image": "registry.example.com/signet:v0.1.0@sha256:" + strings.Repeat("ab", 32),
		}, job: "sign release", stage: "sign", outDir: "out/att", golden: "rendered-every-input.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			jobs, err := c.render(tt.inputs)
			if err != nil {
				t.Fatal(err)
			}
			validateCI(t, "rendered "+tt.name, jsonShaped(t, jobs))
			job, ok := jobs[tt.job].(map[string]any)
			if !ok {
				t.Fatalf("rendered jobs %v, want %q", slices.Sorted(maps.Keys(jobs)), tt.job)
			}
			checkJob(t, job, tt.stage, tt.outDir)
			b, err := json.MarshalIndent(jobs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tt.golden), append(b, '\n'))
		})
	}
}

// renderedJob is the part of the rendered job the contract is about.
type renderedJob struct {
	Stage string `json:"stage"`
	Image struct {
		Name       string   `json:"name"`
		Entrypoint []string `json:"entrypoint"`
	} `json:"image"`
	IDTokens map[string]struct {
		Aud any `json:"aud"`
	} `json:"id_tokens"`
	Variables map[string]any `json:"variables"`
	Script    []string       `json:"script"`
	Artifacts struct {
		Paths   []string `json:"paths"`
		Reports struct {
			Dotenv      string `json:"dotenv"`
			Annotations string `json:"annotations"`
		} `json:"reports"`
	} `json:"artifacts"`
}

func decodeJob(t *testing.T, job map[string]any) renderedJob {
	t.Helper()
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var j renderedJob
	if err := yaml.UnmarshalStrict(b, &j); err != nil {
		t.Fatalf("rendered job has unexpected keys: %v", err)
	}
	return j
}

func checkJob(t *testing.T, job map[string]any, stage, outDir string) {
	t.Helper()
	j := decodeJob(t, job)
	if j.Stage != stage {
		t.Errorf("stage %q, want %q", j.Stage, stage)
	}
	if aud := j.IDTokens[gitlab.TokenVariable].Aud; aud != core.Audience || len(j.IDTokens) != 1 {
		t.Errorf("id_tokens %v, want exactly %s with aud %q", j.IDTokens, gitlab.TokenVariable, core.Audience)
	}
	if diff := cmpDiff([]string{""}, j.Image.Entrypoint); diff != "" || j.Image.Name == "" {
		t.Errorf("image %+v: want a name and entrypoint [\"\"] (the image's ENTRYPOINT is /signet)", j.Image)
	}
	if diff := cmpDiff([]string{"/signet attest --platform gitlab"}, j.Script); diff != "" {
		t.Errorf("script (-want +got):\n%s", diff)
	}
	if diff := cmpDiff([]string{outDir + "/"}, j.Artifacts.Paths); diff != "" {
		t.Errorf("artifacts:paths (-want +got):\n%s", diff)
	}
	if j.Artifacts.Reports.Dotenv != j.Variables[gitlab.VarDotenv] || j.Artifacts.Reports.Annotations != j.Variables[gitlab.VarAnnotations] {
		t.Errorf("reports %+v do not name the files %s=%v and %s=%v the adapter writes", j.Artifacts.Reports,
			gitlab.VarDotenv, j.Variables[gitlab.VarDotenv], gitlab.VarAnnotations, j.Variables[gitlab.VarAnnotations])
	}
	for _, report := range []string{j.Artifacts.Reports.Dotenv, j.Artifacts.Reports.Annotations} {
		if !strings.HasPrefix(report, outDir+"/") {
			t.Errorf("report %q is outside artifacts:paths %s/", report, outDir)
		}
	}
	if j.Variables[gitlab.VarOutputDir] != outDir {
		t.Errorf("%s=%v, want %q", gitlab.VarOutputDir, j.Variables[gitlab.VarOutputDir], outDir)
	}
}

// TestTemplateImage checks the default image: the release image of the same version the
// Tekton Task uses, by tag (the digest is the user's to pin), with no invented digest.
func TestTemplateImage(t *testing.T) {
	t.Parallel()
	c, _ := readTemplate(t)
	img, _ := c.Inputs["image"].Default.(string)
	if !regexp.MustCompile(`^ghcr\.io/signet-ci/signet:v\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?$`).MatchString(img) {
		t.Errorf("image default %q, want ghcr.io/signet-ci/signet:vX.Y.Z", img)
	}
	task := checkout.Read(t, "tekton/task/signet/0.1/signet.yaml")
	if !strings.Contains(string(task), "default: "+img+"\n") {
		t.Errorf("the Tekton Task does not default to %s: the release image should be the same", img)
	}
}

// TestReportKeysAreNotInputs checks that no dotenv key is an input variable: dotenv variables
// outrank a job's variables, so a later signet job would otherwise inherit them as inputs.
func TestReportKeysAreNotInputs(t *testing.T) {
	t.Parallel()
	keys := []string{gitlab.KeyIndex, gitlab.KeyBundle, gitlab.KeyBundleCount, gitlab.KeySubjectCount,
		gitlab.KeyIdentity, gitlab.KeyIssuer, gitlab.KeyTlog, gitlab.KeyLogIndex}
	for _, k := range keys {
		if slices.Contains(gitlab.InputVariables(), k) || k == gitlab.TokenVariable {
			t.Errorf("dotenv key %s is also an input variable", k)
		}
	}
}

// TestTemplateInputVariables checks that the adapter names each input by the variable the
// template sets from it, so an error about SIGNET_X names the input the user wrote.
func TestTemplateInputVariables(t *testing.T) {
	t.Parallel()
	c, _ := readTemplate(t)
	var job map[string]any
	for _, j := range c.Body.(map[string]any) {
		job = j.(map[string]any)
	}
	fromTemplate := map[string]string{} // input name → variable
	expr := regexp.MustCompile(`^\$\[\[ inputs\.([a-z-]+) \]\]$`)
	for v, val := range job["variables"].(map[string]any) {
		if m := expr.FindStringSubmatch(val.(string)); m != nil {
			fromTemplate[m[1]] = v
		}
	}
	for name := range c.Inputs {
		if got, want := gitlab.InputVariable(name), fromTemplate[name]; got != want {
			t.Errorf("InputVariable(%q) = %q, the template sets %q from it", name, got, want)
		}
	}
	for _, lookalike := range []string{"Subject-Path", "subject_path", "subject-path ", "SIGNET_SUBJECT_PATH", ""} {
		if v := gitlab.InputVariable(lookalike); v != "" {
			t.Errorf("InputVariable(%q) = %q, want none", lookalike, v)
		}
	}
}

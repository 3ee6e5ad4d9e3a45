package gitlab_test

import (
	"encoding/json"
	"fmt"
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

// imageVariables are the job variables GitLab reads for image:name; signet does not read them.
var imageVariables = []string{"SIGNET_IMAGE", "SIGNET_RELEASE_IMAGE"}

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
	// The published schema allows only spec:inputs; GitLab also accepts spec:component (the
	// renderer checks it), so the header is validated without it.
	header := jsonShaped(t, c.Header).(map[string]any)
	spec := maps.Clone(header["spec"].(map[string]any))
	delete(spec, "component")
	validateCI(t, templatePath+" spec header", map[string]any{"spec": spec})
	validateCI(t, templatePath+" jobs", jsonShaped(t, c.Body))
	want := []string{"expire-in", "image", "image-platforms", "job-name", "key", "max-subjects", "output-dir", "predicate-path", "predicate-type",
		"private-repo-tlog", "push-to-registry", "sbom", "sigstore", "stage", "subject-checksums", "subject-digest", "subject-image",
		"subject-name", "subject-path"}
	if diff := cmpDiff(want, slices.Sorted(maps.Keys(c.Inputs))); diff != "" {
		t.Errorf("declared inputs (-want +got):\n%s", diff)
	}
	if diff := cmpDiff([]string{"version"}, c.Context); diff != "" {
		t.Errorf("spec:component (-want +got):\n%s", diff)
	}
	if d := c.Inputs["stage"].Default; d != ".post" {
		t.Errorf("stage defaults to %v, want .post (every earlier job's artifacts, in every pipeline)", d)
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
				_, rest := scriptAssignments(t, c, l.(string))
				if strings.Contains(rest, "$[[") {
					t.Errorf("%s line %q interpolates an input into the shell", key, l)
				}
			}
		}
		vars := slices.Collect(maps.Keys(job["variables"].(map[string]any)))
		assigned, _ := scriptAssignments(t, c, job["script"].([]any)[0].(string))
		vars = slices.Sorted(slices.Values(append(vars, slices.Collect(maps.Keys(assigned))...)))
		if diff := cmpDiff(slices.Sorted(slices.Values(append(gitlab.InputVariables(), imageVariables...))), vars); diff != "" {
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
		{name: "defaults", inputs: map[string]any{"subject-path": "dist/app"}, job: "signet-attest", stage: ".post",
			outDir: "attestations", golden: "rendered-default.json"},
		{name: "every input", inputs: map[string]any{
			"stage": "sign", "job-name": "sign release", "subject-path": "dist/*.tar.gz dist/app", "subject-checksums": "dist/SHA256SUMS",
			"sbom": "spdx-json,cyclonedx-json", "sigstore": ".sigstore", "output-dir": "out/att", "max-subjects": 10,
			"private-repo-tlog": true, "push-to-registry": true, "subject-image": "registry.example.com/org/app:v1", "image": "registry.example.com/signet:v0.1.0@sha256:" + strings.Repeat("ab", 32),
			"subject-name": "registry.example.com/app", "subject-digest": "sha256:" + strings.Repeat("cd", 32),
			"predicate-type": "https://example.com/test-result/v1", "predicate-path": "out/result.json", "expire-in": "1 year",
			"key": "awskms:///alias/release",
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
	Rules     []struct {
		If        string            `json:"if"`
		When      string            `json:"when"`
		Variables map[string]string `json:"variables"`
	} `json:"rules"`
	Script    []string `json:"script"`
	Artifacts struct {
		ExpireIn string   `json:"expire_in"`
		When     string   `json:"when"`
		Paths    []string `json:"paths"`
		Reports  struct {
			Dotenv      string   `json:"dotenv"`
			Annotations string   `json:"annotations"`
			CycloneDX   []string `json:"cyclonedx"`
			Metrics     string   `json:"metrics"`
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
	if len(j.Script) != 1 || !strings.HasSuffix(j.Script[0], " /signet attest --platform gitlab") {
		t.Errorf("script %q, want one line ending in /signet attest --platform gitlab", j.Script)
	}
	if diff := cmpDiff([]string{outDir + "/"}, j.Artifacts.Paths); diff != "" {
		t.Errorf("artifacts:paths (-want +got):\n%s", diff)
	}
	if j.Artifacts.Reports.Dotenv != j.Variables[gitlab.VarDotenv] || j.Artifacts.Reports.Annotations != j.Variables[gitlab.VarAnnotations] {
		t.Errorf("reports %+v do not name the files %s=%v and %s=%v the adapter writes", j.Artifacts.Reports,
			gitlab.VarDotenv, j.Variables[gitlab.VarDotenv], gitlab.VarAnnotations, j.Variables[gitlab.VarAnnotations])
	}
	if diff := cmpDiff([]string{outDir + "/sbom/*.cdx.json"}, j.Artifacts.Reports.CycloneDX); diff != "" {
		t.Errorf("artifacts:reports:cyclonedx, want the CycloneDX documents attest writes (-want +got):\n%s", diff)
	}
	if j.Artifacts.ExpireIn == "" {
		t.Error("artifacts:expire_in is not set: the attestations would expire with the instance default")
	}
	for _, report := range append([]string{j.Artifacts.Reports.Dotenv, j.Artifacts.Reports.Annotations}, j.Artifacts.Reports.CycloneDX...) {
		if !strings.HasPrefix(report, outDir+"/") {
			t.Errorf("report %q is outside artifacts:paths %s/", report, outDir)
		}
	}
	// The metrics report is kept for a failed job too, and lies outside the output directory,
	// which a run writes whole or not at all.
	if m := j.Artifacts.Reports.Metrics; m == "" || m != j.Variables[gitlab.VarMetricsFile] || strings.HasPrefix(m, outDir+"/") ||
		strings.Contains(m, "$") || j.Artifacts.When != "always" {
		t.Errorf("artifacts:reports:metrics %q, %s=%v, artifacts:when %q: want the adapter's file, outside %s/, kept always",
			m, gitlab.VarMetricsFile, j.Variables[gitlab.VarMetricsFile], j.Artifacts.When, outDir)
	}
	if j.Variables[gitlab.VarOutputDir] != outDir {
		t.Errorf("%s=%v, want %q", gitlab.VarOutputDir, j.Variables[gitlab.VarOutputDir], outDir)
	}
}

// pinLine is the one line of the template holding the pinned release image, below its
// release pin marker (the release rewrites it; see docs/release.md).
var pinLine = regexp.MustCompile(`(?m)^\s+# signet-release-pin: image\n\s+default: (ghcr\.io/signet-ci/signet:v\d+\.\d+\.\d+(?:@sha256:[0-9a-f]{64})?)$`)

// effectiveImage applies the job's rules the way GitLab does for the shapes the template
// uses ("$VAR != \"text\"" conditions, a rule without if always matching): the first matching
// rule's variables override the job's, then image:name is expanded.
func effectiveImage(t *testing.T, j renderedJob) string {
	t.Helper()
	cond := regexp.MustCompile(`^\$([A-Z_]+) =~ /(.*)/$`)
	vars := map[string]string{}
	for k, v := range j.Variables {
		if s, ok := v.(string); ok {
			vars[k] = s
		}
	}
	matches := func(expr string) bool {
		for _, c := range strings.Split(expr, " && ") {
			m := cond.FindStringSubmatch(c)
			if m == nil {
				t.Fatalf("rule if %q: %q is not a shape this test evaluates", expr, c)
			}
			if !regexp.MustCompile(strings.ReplaceAll(m[2], `\/`, "/")).MatchString(vars[m[1]]) {
				return false
			}
		}
		return true
	}
	for _, r := range j.Rules {
		if r.If != "" && !matches(r.If) {
			continue
		}
		maps.Copy(vars, r.Variables)
		break
	}
	name, ok := strings.CutPrefix(j.Image.Name, "$")
	if !ok {
		return j.Image.Name
	}
	return vars[name]
}

// TestTemplateImage checks which image the job runs: the image input when given, else the
// release image of the component's version when GitLab knows it (included at a released
// version), else the pinned release image, which is the one the Tekton Task uses.
func TestTemplateImage(t *testing.T) {
	t.Parallel()
	c, b := readTemplate(t)
	pins := pinLine.FindAllSubmatch(b, -1)
	if len(pins) != 1 {
		t.Fatalf("%d pinned image lines, want exactly one matching %s", len(pins), pinLine)
	}
	pinned := string(pins[0][1])
	task := checkout.Read(t, "tekton/task/signet/0.1/signet.yaml")
	if !strings.Contains(string(task), "default: "+pinned+"\n") {
		t.Errorf("the Tekton Task does not default to %s: the release image should be the same", pinned)
	}
	given := "registry.example.com/signet:v0.1.0@sha256:" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name    string
		inputs  map[string]any
		version any
		want    string
	}{
		{"included at a SHA or branch", map[string]any{}, nil, pinned},
		{"included at a released version", map[string]any{}, "1.4.2", "ghcr.io/signet-ci/signet:v1.4.2"},
		{"image given, released version", map[string]any{"image": given}, "1.4.2", given},
		{"image given, SHA", map[string]any{"image": given}, nil, given},
		{"release image pinned by digest is kept", map[string]any{"image": pinned + "@sha256:" + strings.Repeat("ef", 32)}, "1.4.2",
			pinned + "@sha256:" + strings.Repeat("ef", 32)},
		{"a mirror's tag is kept", map[string]any{"image": "registry.example.com/signet:v0.1.0"}, "1.4.2", "registry.example.com/signet:v0.1.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			jobs, err := c.renderAt(tc.inputs, map[string]any{"version": tc.version})
			if err != nil {
				t.Fatal(err)
			}
			validateCI(t, "rendered "+tc.name, jsonShaped(t, jobs))
			if got := effectiveImage(t, decodeJob(t, jobs["signet-attest"].(map[string]any))); got != tc.want {
				t.Errorf("image %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"ghcr.io/signet-ci/signet:v1 --privileged", "GHCR.io/x", "ghcr.io/x@sha256:short", "-x", "a b"} {
		if _, err := c.render(map[string]any{"image": bad}); err == nil || !strings.Contains(err.Error(), "does not match required RegEx") {
			t.Errorf("image %q: %v, want a regex refusal", bad, err)
		}
	}
	for _, tc := range [][2]string{{"sigstore", "../up"}, {"sigstore", "/abs"}, {"subject-digest", "sha256:abc"},
		{"subject-digest", "SHA256:" + strings.Repeat("ab", 32)}, {"expire-in", "forever"}, {"predicate-type", "not a uri"},
		{"key", "keys/release key.pem"}, {"key", "awskms:///alias/x\n"}, {"key", "-----BEGIN PRIVATE KEY-----\nMIGH"}} {
		if _, err := c.render(map[string]any{tc[0]: tc[1]}); err == nil || !strings.Contains(err.Error(), "does not match required RegEx") {
			t.Errorf("%s %q: %v, want a regex refusal", tc[0], tc[1], err)
		}
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
	assigned, _ := scriptAssignments(t, c, job["script"].([]any)[0].(string))
	for v, input := range assigned {
		fromTemplate[input] = v
	}
	for name := range c.Inputs {
		if slices.Contains(imageVariables, fromTemplate[name]) {
			continue // read by GitLab for image:name
		}
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

// assignment is one NAME=$[[ inputs.INPUT ]] word, and its space, that starts a script line.
var assignment = regexp.MustCompile(`^([A-Z_]+)=\$\[\[ inputs\.([a-z-]+) \]\] `)

// scriptAssignments splits the variable assignments that start a script line (NAME=VALUE words
// before the command, as a shell reads them) from the rest, and returns them as variable →
// input. Only boolean inputs may be assigned there: their value is true or false, so nothing
// of the user's reaches the shell.
func scriptAssignments(t *testing.T, c *component, line string) (map[string]string, string) {
	t.Helper()
	out, rest, err := splitAssignments(c, line)
	if err != nil {
		t.Error(err)
	}
	return out, rest
}

// splitAssignments is scriptAssignments' parser; it refuses an input that is not boolean.
func splitAssignments(c *component, line string) (map[string]string, string, error) {
	out := map[string]string{}
	for {
		m := assignment.FindStringSubmatch(line)
		if m == nil {
			return out, line, nil
		}
		if in, ok := c.Inputs[m[2]]; !ok || in.Type != "boolean" {
			return nil, "", fmt.Errorf("a script line assigns input %q, which is not a boolean input", m[2])
		}
		out[m[1]] = m[2]
		line = line[len(m[0]):]
	}
}

// TestScriptAssignmentsOnlyBooleans checks the guard itself: a string input assigned on the
// script line would put the user's text into the shell, and is refused.
func TestScriptAssignmentsOnlyBooleans(t *testing.T) {
	t.Parallel()
	c, _ := readTemplate(t)
	for _, tc := range []struct {
		line    string
		wantErr bool
		rest    string
	}{
		{"SIGNET_PRIVATE_REPO_TLOG=$[[ inputs.private-repo-tlog ]] /signet attest", false, "/signet attest"},
		{"SIGNET_SIGSTORE=$[[ inputs.sigstore ]] /signet attest", true, ""},
		{"X=$[[ inputs.no-such-input ]] /signet attest", true, ""},
		{"/signet attest $[[ inputs.subject-path ]]", false, "/signet attest $[[ inputs.subject-path ]]"},
	} {
		_, rest, err := splitAssignments(c, tc.line)
		if (err != nil) != tc.wantErr || (err == nil && rest != tc.rest) {
			t.Errorf("splitAssignments(%q) = %q, %v; want rest %q, error %v", tc.line, rest, err, tc.rest, tc.wantErr)
		}
	}
}

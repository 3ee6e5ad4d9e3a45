package tekton_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tektoncd/pipeline/pkg/apis/config"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/tekton"
)

// taskFiles returns every Task YAML in the catalog layout task/<name>/<version>/<name>.yaml.
func taskFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("task", "*", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no Task YAML under task/<name>/<version>/")
	}
	return files
}

// clusterContext is a complete pipeline config, as a cluster with these feature flags has:
// validation reads it, and SetDefaults dereferences its Defaults.
func clusterContext(t testing.TB, flags map[string]string) context.Context {
	t.Helper()
	cfg := config.FromContextOrDefaults(context.Background()) // fresh copies of every default
	ff, err := config.NewFeatureFlagsFromMap(flags)
	if err != nil {
		t.Fatal(err)
	}
	cfg.FeatureFlags = ff
	return config.ToContext(context.Background(), cfg)
}

// clusterConfigs are the feature-flag sets a portable Task must validate under.
var clusterConfigs = map[string]map[string]string{
	"defaults":                 {},
	"stable only":              {"enable-api-fields": "stable"},
	"sidecar-logs, max result": {"results-from": "sidecar-logs", "max-result-size": "4096"},
}

func readTask(t testing.TB, file string) *v1.Task {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var task v1.Task
	if err := yaml.UnmarshalStrict(b, &task); err != nil {
		t.Fatalf("%s: strict decode as tekton.dev/v1 Task: %v", file, err)
	}
	return &task
}

// TestTaskValidates runs tektoncd/pipeline v1.10.0's own defaulting and validation, as its
// admission webhook does, under several cluster configurations.
func TestTaskValidates(t *testing.T) {
	t.Parallel()
	for _, file := range taskFiles(t) {
		for name, flags := range clusterConfigs {
			t.Run(file+"/"+name, func(t *testing.T) {
				t.Parallel()
				task := readTask(t, file)
				ctx := clusterContext(t, flags)
				task.SetDefaults(ctx)
				if fe := task.Validate(ctx); fe != nil {
					t.Fatalf("%s: tektoncd/pipeline validation: %v", file, fe)
				}
			})
		}
	}
}

// TestTaskSchema validates every Task against the vscode-tekton v1 Task JSON schema.
func TestTaskSchema(t *testing.T) {
	t.Parallel()
	sch := checkout.Schema(t, "tekton-v1_Task.json")
	for _, file := range taskFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(j)))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%s: schema: %v", file, err)
		}
	}
}

// TestTaskCatalogMetadata checks the Artifact Hub catalog conventions Tekton does not validate.
func TestTaskCatalogMetadata(t *testing.T) {
	t.Parallel()
	for _, file := range taskFiles(t) {
		task := readTask(t, file)
		name := filepath.Base(filepath.Dir(filepath.Dir(file)))
		version := filepath.Base(filepath.Dir(file))
		if task.Name != name || filepath.Base(file) != name+".yaml" {
			t.Errorf("%s: metadata.name %q: the catalog wants task/<name>/<version>/<name>.yaml", file, task.Name)
		}
		if got := task.Labels["app.kubernetes.io/version"]; got != version {
			t.Errorf("%s: label app.kubernetes.io/version %q, want the directory's version %q", file, got, version)
		}
		for _, a := range []string{"tekton.dev/pipelines.minVersion", "tekton.dev/categories", "tekton.dev/tags", "tekton.dev/displayName", "tekton.dev/platforms"} {
			if strings.TrimSpace(task.Annotations[a]) == "" {
				t.Errorf("%s: annotation %s missing", file, a)
			}
		}
		if !versionAtLeast(task.Annotations["tekton.dev/pipelines.minVersion"], "0.56.0") {
			t.Errorf("%s: tekton.dev/pipelines.minVersion %q: object results are stable only from 0.56.0", file, task.Annotations["tekton.dev/pipelines.minVersion"])
		}
		if summary, _, _ := strings.Cut(task.Spec.Description, "\n"); summary == "" || len(summary) > 120 {
			t.Errorf("%s: spec.description must start with a one-line summary, got %q", file, summary)
		}
		img := paramDefault(task, "image")
		if want := ":v" + version + "."; !strings.Contains(img, want) {
			t.Errorf("%s: image param default %q: expected the release image tagged v%s.<patch>", file, img, version)
		}
	}
}

func versionAtLeast(got, want string) bool {
	g, w := strings.Split(got, "."), strings.Split(want, ".")
	for i := range w {
		if i >= len(g) {
			return false
		}
		gi, err1 := strconv.Atoi(g[i])
		wi, _ := strconv.Atoi(w[i])
		if err1 != nil {
			return false
		}
		if gi != wi {
			return gi > wi
		}
	}
	return true
}

func paramDefault(task *v1.Task, name string) string {
	for _, p := range task.Spec.Params {
		if p.Name == name && p.Default != nil {
			return p.Default.StringVal
		}
	}
	return ""
}

// varRE matches a Tekton variable reference.
var varRE = regexp.MustCompile(`\$\(([^()]*)\)`)

// stepStrings returns every string of a step Tekton substitutes variables in, with its field.
func stepStrings(s v1.Step) map[string]string {
	out := map[string]string{"image": s.Image, "workingDir": s.WorkingDir, "script": s.Script}
	for i, a := range s.Args {
		out["args["+strconv.Itoa(i)+"]"] = a
	}
	for i, c := range s.Command {
		out["command["+strconv.Itoa(i)+"]"] = c
	}
	for _, e := range s.Env {
		out["env."+e.Name] = e.Value
	}
	return out
}

// TestTaskProjectChecks runs the checks Tekton's validation leaves out on every Task.
func TestTaskProjectChecks(t *testing.T) {
	t.Parallel()
	for _, file := range taskFiles(t) {
		task := readTask(t, file)
		task.SetDefaults(clusterContext(t, nil))
		for _, p := range projectProblems(task) {
			t.Errorf("%s: %s", file, p)
		}
	}
}

// TestProjectChecksCatch shows that each project check fails a Task broken the way it guards
// against, starting from the shipped Task.
func TestProjectChecksCatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*v1.Task)
		want   string
	}{
		{"typo in a result path", func(k *v1.Task) { setEnv(k, tekton.EnvResult("index-path"), "$(results.index_path.path)") }, "$(results.index_path.path)"},
		{"undeclared param in args", func(k *v1.Task) { k.Spec.Steps[0].Args[4] = "$(params.sigstor)" }, "param sigstor is not declared"},
		{"unknown context variable", func(k *v1.Task) { setEnv(k, tekton.EnvTaskRunUID, "$(context.taskrun.uid)") }, "not a Tekton context variable"},
		{"param in a script", func(k *v1.Task) { k.Spec.Steps[0].Script = "signet attest $(params.subject-path)" }, "has a script"},
		{"result not wired", func(k *v1.Task) { setEnv(k, tekton.EnvResult("IMAGES"), "") }, "SIGNET_TEKTON_RESULT_IMAGES"},
		{"missing Chains key", func(k *v1.Task) { delete(k.Spec.Results[0].Properties, "isBuildArtifact") }, "ARTIFACT_OUTPUTS properties"},
		{"hint result of the wrong type", func(k *v1.Task) { k.Spec.Results[1].Type = v1.ResultsTypeArray }, "Chains reads it as a string"},
		{"wrong audience", func(k *v1.Task) { tokenSource(k).Audience = "kubernetes" }, "token volume"},
		{"token mounted with subPath", func(k *v1.Task) { k.Spec.Steps[0].VolumeMounts[0].SubPath = "oidc-token" }, "subPath"},
		{"token path drift", func(k *v1.Task) { setEnv(k, tekton.EnvTokenFile, "/var/run/secrets/token") }, tekton.EnvTokenFile},
		{"wrong command", func(k *v1.Task) { k.Spec.Steps[0].Args[2] = "auto" }, "attest --platform tekton"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			task := readTask(t, taskFiles(t)[0])
			task.SetDefaults(clusterContext(t, nil))
			tt.mutate(task)
			problems := strings.Join(projectProblems(task), "\n")
			if !strings.Contains(problems, tt.want) {
				t.Errorf("problems do not mention %q:\n%s", tt.want, problems)
			}
		})
	}
}

func setEnv(task *v1.Task, name, value string) {
	for i, e := range task.Spec.Steps[0].Env {
		if e.Name == name {
			task.Spec.Steps[0].Env[i].Value = value
		}
	}
}

func tokenSource(task *v1.Task) *corev1.ServiceAccountTokenProjection {
	for _, v := range task.Spec.Volumes {
		if v.Projected != nil {
			return v.Projected.Sources[0].ServiceAccountToken
		}
	}
	return nil
}

// projectProblems lists what is wrong with a (defaulted) Task beyond Tekton's validation.
func projectProblems(task *v1.Task) []string {
	var out []string
	out = append(out, referenceProblems(task)...)
	out = append(out, hintProblems(task)...)
	out = append(out, contractProblems(task)...)
	return out
}

// referenceProblems: every $(results.X.path), $(params.X) and $(workspaces.X.path) in args and
// env is declared, context variables exist, and no step has a script (params are never
// interpolated into one).
func referenceProblems(task *v1.Task) []string {
	var out []string
	params, results, workspaces := declared(task)
	for _, s := range task.Spec.Steps {
		if s.Script != "" {
			out = append(out, fmt.Sprintf("step %s has a script: pass params through args and env instead", s.Name))
		}
		for field, v := range stepStrings(s) {
			for _, m := range varRE.FindAllStringSubmatch(v, -1) {
				if err := checkRef(m[1], params, results, workspaces); err != "" {
					out = append(out, fmt.Sprintf("step %s %s: $(%s): %s", s.Name, field, m[1], err))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func declared(task *v1.Task) (params, results, workspaces map[string]bool) {
	params, results, workspaces = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range task.Spec.Params {
		params[p.Name] = true
	}
	for _, r := range task.Spec.Results {
		results[r.Name] = true
	}
	for _, w := range task.Spec.Workspaces {
		workspaces[w.Name] = true
	}
	return params, results, workspaces
}

var contextVars = []string{"context.taskRun.name", "context.taskRun.namespace", "context.taskRun.uid", "context.task.name", "context.task.retry-count"}

// checkRef returns what is wrong with a variable reference, or "".
func checkRef(ref string, params, results, workspaces map[string]bool) string {
	parts := strings.Split(ref, ".")
	switch parts[0] {
	case "params":
		if name := strings.TrimSuffix(strings.Join(parts[1:], "."), "[*]"); !params[name] {
			return "param " + name + " is not declared"
		}
	case "results":
		if len(parts) != 3 || parts[2] != "path" || !results[parts[1]] {
			return "expected $(results.<declared result>.path)"
		}
	case "workspaces":
		if len(parts) != 3 || !workspaces[parts[1]] {
			return "expected $(workspaces.<declared workspace>.path)"
		}
	case "context":
		if !slices.Contains(contextVars, ref) {
			return "not a Tekton context variable"
		}
	default:
		return "unknown variable"
	}
	return ""
}

// hintProblems checks the results against Tekton Chains' type hints and the adapter.
func hintProblems(task *v1.Task) []string {
	var out []string
	var names []string
	for _, r := range task.Spec.Results {
		names = append(names, r.Name)
		switch {
		case strings.HasSuffix(r.Name, "ARTIFACT_OUTPUTS"):
			out = append(out, artifactOutputsProblems(r)...)
		case r.Name == "IMAGES", strings.HasSuffix(r.Name, "IMAGE_URL"), strings.HasSuffix(r.Name, "IMAGE_DIGEST"):
			if r.Type != v1.ResultsTypeString {
				out = append(out, fmt.Sprintf("result %s is %q; Chains reads it as a string", r.Name, r.Type))
			}
		}
	}
	want := tekton.ResultNames()
	sort.Strings(names)
	sort.Strings(want)
	if diff := cmp.Diff(want, names); diff != "" {
		out = append(out, "results differ from what the adapter writes (-adapter +task):\n"+diff)
	}
	env := stepEnv(task.Spec.Steps[0])
	for _, n := range tekton.ResultNames() {
		if got, want := env[tekton.EnvResult(n)], "$(results."+n+".path)"; got != want {
			out = append(out, fmt.Sprintf("env %s = %q, want %q", tekton.EnvResult(n), got, want))
		}
	}
	return out
}

func artifactOutputsProblems(r v1.TaskResult) []string {
	var out []string
	if r.Type != v1.ResultsTypeObject {
		out = append(out, fmt.Sprintf("result %s is %q, Chains needs an object", r.Name, r.Type))
	}
	var keys []string
	for k, p := range r.Properties {
		keys = append(keys, k)
		if p.Type != v1.ParamTypeString {
			out = append(out, fmt.Sprintf("%s.%s is %q, want string", r.Name, k, p.Type))
		}
	}
	sort.Strings(keys)
	if diff := cmp.Diff(tekton.ArtifactOutputsKeys(), keys); diff != "" {
		out = append(out, fmt.Sprintf("%s properties (-want +got):\n%s", r.Name, diff))
	}
	return out
}

func stepEnv(s v1.Step) map[string]string {
	env := map[string]string{}
	for _, e := range s.Env {
		env[e.Name] = e.Value
	}
	return env
}

// contractProblems checks the step's wiring to the adapter: the command, the TaskRun context,
// the params the issue names, and the projected token where the adapter and cosign read it.
func contractProblems(task *v1.Task) []string {
	if len(task.Spec.Steps) != 1 {
		return []string{fmt.Sprintf("%d steps; the results budget is per step and the adapter assumes one", len(task.Spec.Steps))}
	}
	var out []string
	step := task.Spec.Steps[0]
	if len(step.Args) < 3 || !slices.Equal(step.Args[:3], []string{"attest", "--platform", "tekton"}) {
		out = append(out, fmt.Sprintf("args %q: want attest --platform tekton first", step.Args))
	}
	if last := step.Args[len(step.Args)-1]; last != "$(params.extra-args[*])" {
		out = append(out, fmt.Sprintf("last arg %q, want $(params.extra-args[*])", last))
	}
	env := stepEnv(step)
	want := map[string]string{
		tekton.EnvTaskRunName:      "$(context.taskRun.name)",
		tekton.EnvTaskRunNamespace: "$(context.taskRun.namespace)",
		tekton.EnvTaskRunUID:       "$(context.taskRun.uid)",
		tekton.EnvWorkspace:        "$(workspaces.source.path)",
		tekton.EnvSubjectPath:      "$(params.subject-path)",
		tekton.EnvSubjectChecksums: "$(params.subject-checksums)",
		tekton.EnvGitURL:           "$(params.CHAINS-GIT_URL)",
		tekton.EnvGitCommit:        "$(params.CHAINS-GIT_COMMIT)",
		tekton.EnvStepImage:        "$(params.image)",
		tekton.EnvTokenFile:        tekton.DefaultTokenFile,
		"SIGNET_PLATFORM":          "tekton",
	}
	for k, v := range want {
		if env[k] != v {
			out = append(out, fmt.Sprintf("env %s = %q, want %q", k, env[k], v))
		}
	}
	out = append(out, paramProblems(task)...)
	out = append(out, tokenProblems(task, step)...)
	sort.Strings(out)
	return out
}

func paramProblems(task *v1.Task) []string {
	var out []string
	types := map[string]v1.ParamType{}
	for _, p := range task.Spec.Params {
		types[p.Name] = p.Type
		if p.Default == nil {
			out = append(out, fmt.Sprintf("param %s has no default; every param is optional", p.Name))
		}
	}
	for _, p := range []string{"subject-path", "subject-checksums", "sbom", "sigstore", "output-dir", "CHAINS-GIT_URL", "CHAINS-GIT_COMMIT", "image"} {
		if types[p] != v1.ParamTypeString {
			out = append(out, fmt.Sprintf("param %s: want a string param, got %q", p, types[p]))
		}
	}
	if types["extra-args"] != v1.ParamTypeArray {
		out = append(out, fmt.Sprintf("param extra-args: want an array param, got %q", types["extra-args"]))
	}
	if got := paramDefault(task, "sigstore"); got != "public" {
		out = append(out, fmt.Sprintf("sigstore defaults to %q, want public", got))
	}
	return out
}

// tokenProblems: a projected token for Fulcio, mounted where cosign and the adapter read it.
func tokenProblems(task *v1.Task, step v1.Step) []string {
	var mount *corev1.VolumeMount
	for i, m := range step.VolumeMounts {
		if m.MountPath == path.Dir(tekton.DefaultTokenFile) {
			mount = &step.VolumeMounts[i]
		}
	}
	if mount == nil {
		return []string{"no volume mounted at " + path.Dir(tekton.DefaultTokenFile)}
	}
	var out []string
	if mount.SubPath != "" {
		out = append(out, "the token volume uses subPath, which never sees the kubelet's token refresh")
	}
	for _, v := range task.Spec.Volumes {
		if v.Name != mount.Name {
			continue
		}
		if v.Projected == nil || len(v.Projected.Sources) != 1 || v.Projected.Sources[0].ServiceAccountToken == nil {
			return append(out, "volume "+v.Name+": want a projected serviceAccountToken")
		}
		sat := v.Projected.Sources[0].ServiceAccountToken
		got := map[string]string{"audience": sat.Audience, "path": sat.Path, "expirationSeconds": strconv.FormatInt(ptrVal(sat.ExpirationSeconds), 10)}
		want := map[string]string{"audience": core.Audience, "path": path.Base(tekton.DefaultTokenFile), "expirationSeconds": "600"}
		if diff := cmp.Diff(want, got); diff != "" {
			out = append(out, "token volume (-want +got):\n"+diff)
		}
		return out
	}
	return append(out, "volume "+mount.Name+" is mounted but not declared")
}

func ptrVal(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// TestSamplesValidate decodes every sample strictly and validates it with tektoncd/pipeline.
func TestSamplesValidate(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("task", "*", "*", "samples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples under task/<name>/<version>/samples/ (%v)", err)
	}
	// The catalog's tests/ (tektoncd/catalog applies every file there) must validate too.
	tests, err := filepath.Glob(filepath.Join("task", "*", "*", "tests", "*.yaml"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no catalog tests under task/<name>/<version>/tests/ (%v)", err)
	}
	files = append(files, tests...)
	ctx := clusterContext(t, nil)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(b), "\n---\n") {
			if err := validateSample(ctx, []byte(doc)); err != nil {
				t.Errorf("%s: document %d: %v", file, i+1, err)
			}
		}
	}
}

type validatable interface {
	SetDefaults(context.Context)
	Validate(context.Context) *apis.FieldError
}

func validateSample(ctx context.Context, doc []byte) error {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return err
	}
	var obj any
	switch meta.APIVersion + " " + meta.Kind {
	case "tekton.dev/v1 TaskRun":
		obj = &v1.TaskRun{}
	case "tekton.dev/v1 Pipeline":
		obj = &v1.Pipeline{}
	case "tekton.dev/v1 PipelineRun":
		obj = &v1.PipelineRun{}
	case "v1 ServiceAccount":
		obj = &corev1.ServiceAccount{}
	default:
		return &json.UnsupportedValueError{Str: meta.APIVersion + " " + meta.Kind}
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return err
	}
	// The API server names generateName objects before admission validates them.
	if m, ok := obj.(metav1.Object); ok && m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(m.GetGenerateName() + "x7k2q")
	}
	if v, ok := obj.(validatable); ok {
		v.SetDefaults(ctx)
		if fe := v.Validate(ctx); fe != nil {
			return fe
		}
	}
	return nil
}

// fenceRE matches a fenced YAML block in Markdown.
var fenceRE = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestDocsExamples validates every Kubernetes object in the Tekton guide's YAML blocks as the
// cluster would (fragments without apiVersion and kind are part of the prose).
func TestDocsExamples(t *testing.T) {
	t.Parallel()
	ctx := clusterContext(t, nil)
	n := 0
	for _, doc := range []string{filepath.Join(checkout.Root(t), "docs", "tekton-task.md"), filepath.Join("task", "signet", "0.1", "README.md")} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range fenceRE.FindAllStringSubmatch(string(b), -1) {
			if !strings.Contains(m[1], "apiVersion:") {
				continue
			}
			n++
			if err := validateSample(ctx, []byte(m[1])); err != nil {
				t.Errorf("%s: YAML block %d: %v", doc, i+1, err)
			}
		}
	}
	if n < 3 {
		t.Errorf("found %d Kubernetes objects in the docs, want the guide's ServiceAccount, Pipeline and PipelineRun", n)
	}
}

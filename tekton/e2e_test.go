package tekton_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/result"
	"github.com/tektoncd/pipeline/pkg/termination"

	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/tekton"
)

// The TaskRun the contract test plays: its namespace and service account are the Kubernetes
// preset's, as the projected token of a pod running as that service account says.
const (
	taskRunName    = "release-run-7x2kq-sign"
	taskRunUID     = "4b0b3c9e-6d0a-4f1e-9a57-3f8e2c1d7b60"
	pipelineRun    = "release-run-7x2kq"
	namespace      = "signet-builds"
	serviceAccount = "signet"
	gitURL         = "https://github.com/signet-ci/signet-demo"
	imageRef       = "registry.example.com/signet-demo/app@sha256:a3f1c2d4e5b6a7980123456789abcdef0123456789abcdef0123456789abcdef"
)

// pod is one TaskRun pod as the contract test lays it out: a root directory standing for the
// container's file system (volume mounts, the workspace, /tekton/results).
type pod struct {
	t        *testing.T
	root     string
	ws       string
	results  string
	sigstore *localsigstore.Sigstore
	trust    string // --sigstore DIR
}

func newPod(t *testing.T, s *localsigstore.Sigstore, trust string) *pod {
	t.Helper()
	root := t.TempDir()
	p := &pod{t: t, root: root, ws: filepath.Join(root, "workspace", "source"), results: filepath.Join(root, "tekton", "results"), sigstore: s, trust: trust}
	for _, d := range []string{p.ws, p.results} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// mounted returns where a container path lies in the pod's root.
func (p *pod) mounted(path string) string { return filepath.Join(p.root, filepath.FromSlash(path)) }

// writeToken puts a token where the projected volume would.
func (p *pod) writeToken(tok string) {
	p.t.Helper()
	path := p.mounted(tekton.DefaultTokenFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(tok), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

// step returns the argv, environment and working directory Tekton gives the Task's step for
// these params: every $(...) substituted, array params expanded, mounts rebased into the pod.
func (p *pod) step(task *v1.Task, params map[string][]string) (args, env []string, dir string) {
	p.t.Helper()
	vars := p.variables(task, params)
	s := task.Spec.Steps[0]
	for _, a := range s.Args {
		if m := varRE.FindStringSubmatch(a); m != nil && m[0] == a && strings.HasSuffix(m[1], "[*]") {
			args = append(args, params[strings.TrimSuffix(strings.TrimPrefix(m[1], "params."), "[*]")]...)
			continue
		}
		args = append(args, p.rebase(task, p.subst(a, vars)))
	}
	for _, e := range s.Env {
		v := p.subst(e.Value, vars)
		if e.ValueFrom != nil {
			v = downwardAPI(e.ValueFrom.FieldRef.FieldPath)
		}
		env = append(env, e.Name+"="+p.rebase(task, v))
	}
	return args, env, p.subst(s.WorkingDir, vars)
}

// variables are the values Tekton substitutes, params first from their defaults.
func (p *pod) variables(task *v1.Task, params map[string][]string) map[string]string {
	vars := map[string]string{
		"workspaces.source.path":       p.ws,
		"workspaces.dockerconfig.path": "", // an unbound optional workspace's path is empty
		"context.taskRun.name":         taskRunName,
		"context.taskRun.namespace":    namespace,
		"context.taskRun.uid":          taskRunUID,
	}
	for _, ps := range task.Spec.Params {
		if ps.Default != nil && ps.Type == v1.ParamTypeString {
			vars["params."+ps.Name] = ps.Default.StringVal
		}
	}
	for k, v := range params {
		if len(v) == 1 {
			vars["params."+k] = v[0]
		}
	}
	for _, r := range task.Spec.Results {
		vars["results."+r.Name+".path"] = filepath.Join(p.results, r.Name)
		vars["step.results."+r.Name+".path"] = filepath.Join(p.results, r.Name) // a StepAction's (stepActionTask)
	}
	return vars
}

func (p *pod) subst(s string, vars map[string]string) string {
	p.t.Helper()
	return varRE.ReplaceAllStringFunc(s, func(ref string) string {
		v, ok := vars[ref[2:len(ref)-1]]
		if !ok {
			p.t.Fatalf("the Task uses %s, which the contract test does not provide", ref)
		}
		return v
	})
}

// rebase maps a container path under a volume mount to the pod's root.
func (p *pod) rebase(task *v1.Task, v string) string {
	for _, m := range task.Spec.Steps[0].VolumeMounts {
		if v == m.MountPath || strings.HasPrefix(v, m.MountPath+"/") {
			return p.mounted(v)
		}
	}
	return v
}

// downwardAPI answers the step's fieldRef env vars as the kubelet would for this pod.
func downwardAPI(field string) string {
	switch field {
	case "metadata.labels['tekton.dev/pipelineRun']":
		return pipelineRun
	case "spec.serviceAccountName":
		return serviceAccount
	}
	return ""
}

// run executes the step with exactly the Task's environment.
func (p *pod) run(task *v1.Task, params map[string][]string) (stdout, stderr string, err error) {
	p.t.Helper()
	bin := checkout.BuildSignet(p.t)
	args, env, dir := p.step(task, params)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env, cmd.Dir = env, dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// terminationMessage builds the step's termination message as Tekton's entrypoint does: every
// declared result file that exists, then StartedAt.
func (p *pod) terminationMessage(task *v1.Task) ([]byte, error) {
	var rr []result.RunResult
	for _, r := range task.Spec.Results {
		b, err := os.ReadFile(filepath.Join(p.results, r.Name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		rr = append(rr, result.RunResult{Key: r.Name, Value: string(b), ResultType: result.TaskRunResultType})
	}
	rr = append(rr, result.RunResult{Key: "StartedAt", Value: time.Now().Format("2006-01-02T15:04:05.000Z07:00"), ResultType: result.InternalTektonResultType})
	path := filepath.Join(p.root, "tekton", "termination")
	if err := termination.WriteMessage(path, rr); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

func startSigstore(t *testing.T) (*localsigstore.Sigstore, string) {
	t.Helper()
	s, err := localsigstore.Start(context.Background())
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	dir := t.TempDir()
	if err := s.WriteConfig(dir); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func defaultedTask(t *testing.T) *v1.Task {
	t.Helper()
	task := readTask(t, taskFiles(t)[0])
	task.SetDefaults(clusterContext(t, nil))
	return task
}

// TestTaskRunContract runs the built signet as the Task's step runs it, over 1,000 outputs and
// an image, then checks the results as Tekton and Chains read them and verifies every bundle
// with the Kubernetes identity.
func TestTaskRunContract(t *testing.T) {
	t.Parallel()
	s, trust := startSigstore(t)
	task := defaultedTask(t)
	p := newPod(t, s, trust)
	tok, err := s.Token(localsigstore.PresetKubernetes)
	if err != nil {
		t.Fatal(err)
	}
	p.writeToken(tok)
	files := make([]string, 1000)
	for i := range files {
		files[i] = filepath.Join(p.ws, "dist", fmt.Sprintf("pkg-%04d.tar.gz", i))
		writeBytes(t, files[i], fmt.Sprintf("package %d", i))
	}
	params := map[string][]string{
		"subject-path":      {"dist/"},
		"sigstore":          {trust},
		"CHAINS-GIT_URL":    {gitURL + ".git"},
		"CHAINS-GIT_COMMIT": {localsigstore.DefaultSHA},
		"extra-args":        {"--subject", imageRef},
	}
	start := time.Now()
	stdout, stderr, err := p.run(task, params)
	t.Logf("step took %s:\n%s", time.Since(start).Round(time.Millisecond), lastLines(stdout, 4))
	if err != nil {
		t.Fatalf("the step failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	got := p.checkResults(task)
	if want := imageRef; got[tekton.ResultImages] != want {
		t.Errorf("IMAGES = %q, want %q", got[tekton.ResultImages], want)
	}
	msg, err := p.terminationMessage(task)
	if err != nil {
		t.Fatalf("Tekton would reject the results: %v", err)
	}
	if len(msg) >= tekton.MaxMessageBytes {
		t.Fatalf("termination message %d bytes, want under %d", len(msg), tekton.MaxMessageBytes)
	}
	t.Logf("1,000 files + 1 image: termination message %d of %d bytes; %s", len(msg), tekton.MaxMessageBytes, strings.TrimSpace(stderr))
	p.checkProvenance(got[tekton.ResultBundlePath])
	p.verify(got, files, imageRef[strings.LastIndex(imageRef, "@")+1:])
}

// checkProvenance reads the signed statement in bundle-path: the TaskRun's context, passed as
// the Task's env, must be in it.
func (p *pod) checkProvenance(bundlePath string) {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.ws, bundlePath))
	if err != nil {
		p.t.Fatal(err)
	}
	var bundle struct {
		DSSE struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		p.t.Fatalf("bundle %s: %v", bundlePath, err)
	}
	var st struct {
		Predicate struct {
			BuildDefinition struct {
				BuildType          string `json:"buildType"`
				ExternalParameters struct {
					TaskRun     map[string]string `json:"taskRun"`
					PipelineRun map[string]string `json:"pipelineRun"`
					Source      map[string]string `json:"source"`
				} `json:"externalParameters"`
			} `json:"buildDefinition"`
			RunDetails struct {
				Metadata struct {
					InvocationID string `json:"invocationId"`
				} `json:"metadata"`
			} `json:"runDetails"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(bundle.DSSE.Payload, &st); err != nil {
		p.t.Fatalf("bundle %s: statement: %v", bundlePath, err)
	}
	ext := st.Predicate.BuildDefinition.ExternalParameters
	got := map[string]string{
		"buildType": st.Predicate.BuildDefinition.BuildType, "taskRun": ext.TaskRun["name"], "namespace": ext.TaskRun["namespace"],
		"uid": ext.TaskRun["uid"], "pipelineRun": ext.PipelineRun["name"], "repository": ext.Source["repository"],
		"commit": ext.Source["commit"], "invocationId": st.Predicate.RunDetails.Metadata.InvocationID,
	}
	want := map[string]string{
		"buildType": "https://signet-ci.github.io/buildtypes/tekton/v1", "taskRun": taskRunName, "namespace": namespace,
		"uid": taskRunUID, "pipelineRun": pipelineRun, "repository": gitURL, "commit": localsigstore.DefaultSHA, "invocationId": taskRunUID,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		p.t.Errorf("provenance of the TaskRun (-want +got):\n%s", diff)
	}
}

// checkResults reads every result file: present, exact (no trailing newline), object results
// JSON with exactly the declared keys; paths relative to the workspace and present there.
func (p *pod) checkResults(task *v1.Task) map[string]string {
	p.t.Helper()
	got := map[string]string{}
	for _, r := range task.Spec.Results {
		b, err := os.ReadFile(filepath.Join(p.results, r.Name))
		if err != nil {
			p.t.Fatalf("result %s: %v", r.Name, err)
		}
		got[r.Name] = string(b)
		if strings.HasSuffix(string(b), "\n") {
			p.t.Errorf("result %s ends with a newline, which Tekton keeps", r.Name)
		}
		if r.Type == v1.ResultsTypeObject {
			p.checkObject(r, b)
		}
	}
	for _, n := range []string{tekton.ResultIndexPath, tekton.ResultBundlePath} {
		if filepath.IsAbs(got[n]) {
			p.t.Errorf("%s = %q, want a path relative to the workspace", n, got[n])
		}
		if _, err := os.Stat(filepath.Join(p.ws, got[n])); err != nil {
			p.t.Errorf("%s = %q: %v", n, got[n], err)
		}
	}
	return got
}

func (p *pod) checkObject(r v1.TaskResult, b []byte) {
	p.t.Helper()
	var obj map[string]string
	if err := json.Unmarshal(b, &obj); err != nil {
		p.t.Fatalf("result %s: Tekton parses object results as a JSON object of strings: %v", r.Name, err)
	}
	var keys, declared []string
	for k := range obj {
		keys = append(keys, k)
	}
	for k := range r.Properties {
		declared = append(declared, k)
	}
	sort.Strings(keys)
	sort.Strings(declared)
	if diff := cmp.Diff(declared, keys); diff != "" {
		p.t.Errorf("result %s keys (-declared +written):\n%s", r.Name, diff)
	}
	if obj["isBuildArtifact"] != "true" || !strings.HasPrefix(obj["digest"], "sha256:") || obj["uri"] == "" {
		p.t.Errorf("result %s = %s: want uri, digest sha256:<hex> and isBuildArtifact \"true\"", r.Name, b)
	}
}

// verify runs signet verify with the TaskRun's Kubernetes identity over every output and the
// image digest.
func (p *pod) verify(results map[string]string, files []string, imageDigest string) {
	p.t.Helper()
	bin := checkout.BuildSignet(p.t)
	args := []string{"verify", "--sigstore", p.trust, "--index", filepath.Join(p.ws, results[tekton.ResultIndexPath]),
		"--certificate-identity", "https://kubernetes.io/namespaces/" + namespace + "/serviceaccounts/" + serviceAccount,
		"--certificate-oidc-issuer", p.sigstore.Issuer(localsigstore.PresetKubernetes),
		"--build-type", "https://signet-ci.github.io/buildtypes/tekton/v1"}
	if imageDigest != "" {
		args = append(args, "--digest", imageDigest)
	}
	cmd := exec.Command(bin, append(args, files...)...)
	cmd.Env = []string{"HOME=" + p.t.TempDir()}
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("signet verify refused the TaskRun's bundles: %v\n%s", err, lastLines(string(out), 20))
	}
	p.t.Logf("signet verify: %s", lastLines(string(out), 2))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func writeBytes(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTaskRunContractFailures: each misconfiguration fails the step, writes no result, and
// says what to change.
func TestTaskRunContractFailures(t *testing.T) {
	t.Parallel()
	s, trust := startSigstore(t)
	task := defaultedTask(t)
	goodToken := func(t *testing.T) string { return mustToken(t, s) }
	tests := []struct {
		name    string
		token   func(t *testing.T) string // "" leaves the token file out
		files   []string
		subject string
		want    []string
	}{
		{"missing token file", func(*testing.T) string { return "" }, []string{"dist/app.tar.gz"}, "dist/",
			[]string{"token file", "does not exist", "projected service-account token", `audience "sigstore"`}},
		{"token for the wrong audience", func(t *testing.T) string {
			return mustToken(t, s, localsigstore.WithAudience("https://kubernetes.default.svc"))
		}, []string{"dist/app.tar.gz"}, "dist/", []string{"https://kubernetes.default.svc", "audience: sigstore"}},
		{"workspace with no outputs", goodToken, nil, "dist/", []string{"source workspace", "is empty", "bind the workspace your build task wrote"}},
		{"subject-path matching nothing", goodToken, []string{"README.md"}, "dist/*.tar.gz",
			[]string{"matched no files", "hint:", "check the subject-path"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, s, trust)
			if tok := tt.token(t); tok != "" {
				p.writeToken(tok)
			}
			for _, f := range tt.files {
				writeBytes(t, filepath.Join(p.ws, f), "output "+f)
			}
			_, stderr, err := p.run(task, map[string][]string{"subject-path": {tt.subject}, "sigstore": {trust}})
			if err == nil {
				t.Fatalf("the step succeeded; want a failure mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			if entries, _ := os.ReadDir(p.results); len(entries) != 0 {
				t.Errorf("a failed step wrote %d results", len(entries))
			}
			if slices.ContainsFunc(strings.Split(stderr, "\n"), func(l string) bool { return strings.Count(l, ".") >= 2 && strings.Contains(l, "eyJ") }) {
				t.Error("stderr shows a token")
			}
		})
	}
}

// TestTaskRunContractTooManyImages: a TaskRun given more images than IMAGES can carry fails
// before anything is signed: no Sigstore service is asked anything (not even the issuer's keys
// for the token), no output directory is created, no result is written.
func TestTaskRunContractTooManyImages(t *testing.T) {
	t.Parallel()
	s, trust := startSigstore(t) // its own: the request counters must see only this run
	task := defaultedTask(t)
	p := newPod(t, s, trust)
	p.writeToken(mustToken(t, s))
	writeBytes(t, filepath.Join(p.ws, "dist", "app.tar.gz"), "archive")
	var extra []string
	for i := range 60 {
		extra = append(extra, "--subject", fmt.Sprintf("registry.example.com/team/app-%02d@sha256:%s", i, imageRef[strings.LastIndex(imageRef, ":")+1:]))
	}
	services := []string{localsigstore.ServiceFulcio, localsigstore.ServiceTSA, localsigstore.ServiceOIDC}
	before := map[string]int64{}
	for _, svc := range services {
		before[svc] = s.Requests(svc)
	}
	_, stderr, err := p.run(task, map[string][]string{"subject-path": {"dist/"}, "sigstore": {trust}, "extra-args": extra})
	if err == nil {
		t.Fatal("the step signed 60 images; want a refusal before signing")
	}
	for _, w := range []string{"60 images", "Tekton results too large", "split them over several signet tasks"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, stderr)
		}
	}
	for _, svc := range services {
		if n := s.Requests(svc) - before[svc]; n != 0 {
			t.Errorf("%d %s requests before the refusal, want none", n, svc)
		}
	}
	if _, err := os.Stat(filepath.Join(p.ws, "attestations")); !os.IsNotExist(err) {
		t.Errorf("the output directory exists after the refusal (stat: %v)", err)
	}
	if entries, _ := os.ReadDir(p.results); len(entries) != 0 {
		t.Errorf("a refused step wrote %d results", len(entries))
	}
}

func mustToken(t *testing.T, s *localsigstore.Sigstore, opts ...localsigstore.TokenOption) string {
	t.Helper()
	tok, err := s.Token(localsigstore.PresetKubernetes, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestTaskRunContractSBOM: the sbom param reaches the binary; SBOMs are signed and indexed.
func TestTaskRunContractSBOM(t *testing.T) {
	t.Parallel()
	s, trust := startSigstore(t)
	task := defaultedTask(t)
	p := newPod(t, s, trust)
	p.writeToken(mustToken(t, s))
	for _, f := range []string{"dist/app-linux-amd64", "dist/app-linux-arm64"} {
		writeBytes(t, filepath.Join(p.ws, f), "binary "+f)
	}
	stdout, stderr, err := p.run(task, map[string][]string{"subject-path": {"dist/*"}, "sigstore": {trust}, "sbom": {"spdx-json"}})
	if err != nil {
		t.Fatalf("the step failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	results := p.checkResults(task)
	b, err := os.ReadFile(filepath.Join(p.ws, results[tekton.ResultIndexPath]))
	if err != nil {
		t.Fatal(err)
	}
	var ix struct {
		Attestations []struct {
			PredicateType string `json:"predicateType"`
		} `json:"attestations"`
	}
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range ix.Attestations {
		count[a.PredicateType]++
	}
	if count["https://slsa.dev/provenance/v1"] != 1 || len(ix.Attestations) != 3 {
		t.Errorf("index attestations by predicate type = %v, want one provenance and two SBOMs", count)
	}
	if results[tekton.ResultImages] != "" {
		t.Errorf("IMAGES = %q without image subjects, want empty", results[tekton.ResultImages])
	}
}

// TestMain removes the signet binary the contract tests build.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := checkout.RemoveBuilds(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// TestTaskRunContractSidecarLogs: with the max-result-size param of a cluster whose results
// come from sidecar logs, the 60 images the termination message cannot carry are signed and
// reported in IMAGES.
func TestTaskRunContractSidecarLogs(t *testing.T) {
	t.Parallel()
	s, trust := startSigstore(t)
	task := defaultedTask(t)
	p := newPod(t, s, trust)
	p.writeToken(mustToken(t, s))
	writeBytes(t, filepath.Join(p.ws, "dist", "app.tar.gz"), "archive")
	var extra []string
	for i := range 60 {
		extra = append(extra, "--subject", fmt.Sprintf("registry.example.com/team/app-%02d@sha256:%s", i, imageRef[strings.LastIndex(imageRef, ":")+1:]))
	}
	_, stderr, err := p.run(task, map[string][]string{"subject-path": {"dist/"}, "sigstore": {trust}, "extra-args": extra,
		"max-result-size": {"65536"}})
	if err != nil {
		t.Fatalf("the step failed with max-result-size 65536: %v\n%s", err, stderr)
	}
	images, err := os.ReadFile(filepath.Join(p.results, tekton.ResultImages))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Split(string(images), ",")); n != 60 || len(images) <= tekton.MaxMessageBytes {
		t.Errorf("IMAGES holds %d images in %d bytes; want 60, over the %d-byte termination message", n, len(images), tekton.MaxMessageBytes)
	}
	if !strings.Contains(stderr, "of 65536 allowed") {
		t.Errorf("the step does not report the raised budget:\n%s", stderr)
	}
}

// stepActionTask is a Task whose one step is the signet StepAction as Tekton resolves it: the
// StepAction's params and results, its step from ToStep.
func stepActionTask(t *testing.T) *v1.Task {
	t.Helper()
	sa := readStepAction(t)
	sa.SetDefaults(clusterContext(t, nil))
	step := sa.Spec.ToStep()
	step.Name = "sign"
	task := &v1.Task{Spec: v1.TaskSpec{Params: sa.Spec.Params, Steps: []v1.Step{*step}}}
	for _, r := range sa.Spec.Results {
		task.Spec.Results = append(task.Spec.Results, v1.TaskResult{Name: r.Name, Type: v1.ResultsType(r.Type), Properties: r.Properties})
	}
	return task
}

// TestStepActionContract runs the built signet as the StepAction's step runs it inside a build
// Task (the workspace given as workspace-path, the results as step results), then checks the
// results as Chains reads them and verifies the bundles with the Kubernetes identity.
func TestStepActionContract(t *testing.T) {
	t.Parallel()
	s, trust := startSigstore(t)
	task := stepActionTask(t)
	p := newPod(t, s, trust)
	p.writeToken(mustToken(t, s))
	files := []string{filepath.Join(p.ws, "dist", "app"), filepath.Join(p.ws, "dist", "app.tar.gz")}
	for i, f := range files {
		writeBytes(t, f, fmt.Sprintf("output %d", i))
	}
	stdout, stderr, err := p.run(task, map[string][]string{"workspace-path": {p.ws}, "subject-path": {"dist/app\ndist/app.tar.gz"},
		"sigstore": {trust}, "CHAINS-GIT_URL": {gitURL}, "CHAINS-GIT_COMMIT": {localsigstore.DefaultSHA}})
	if err != nil {
		t.Fatalf("the step failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	got := p.checkResults(task)
	if got[tekton.ResultImages] != "" {
		t.Errorf("IMAGES = %q, want empty (no image subject)", got[tekton.ResultImages])
	}
	p.checkProvenance(got[tekton.ResultBundlePath])
	p.verify(got, files, "")
}

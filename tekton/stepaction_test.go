package tekton_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

const stepActionFile = "stepaction/signet/0.1/signet.yaml"

func readStepAction(t testing.TB) *v1beta1.StepAction {
	t.Helper()
	b, err := os.ReadFile(stepActionFile)
	if err != nil {
		t.Fatal(err)
	}
	var sa v1beta1.StepAction
	if err := yaml.UnmarshalStrict(b, &sa); err != nil {
		t.Fatalf("%s: strict decode as tekton.dev/v1beta1 StepAction: %v", stepActionFile, err)
	}
	return &sa
}

// TestStepActionValidates runs tektoncd/pipeline v1.10.0's own defaulting and validation of
// the StepAction, and of the sample build Task that uses it, under every cluster
// configuration the Task is checked under.
func TestStepActionValidates(t *testing.T) {
	t.Parallel()
	for name, flags := range clusterConfigs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := clusterContext(t, flags)
			sa := readStepAction(t)
			sa.SetDefaults(ctx)
			if fe := sa.Validate(ctx); fe != nil {
				t.Fatalf("%s: tektoncd/pipeline validation: %v", stepActionFile, fe)
			}
			sample := readTask(t, filepath.Join("stepaction", "signet", "0.1", "samples", "build-task.yaml"))
			sample.SetDefaults(ctx)
			if fe := sample.Validate(ctx); fe != nil {
				t.Fatalf("sample build Task: tektoncd/pipeline validation: %v", fe)
			}
		})
	}
}

// TestStepActionMatchesTask: the StepAction passes signet the same environment, arguments,
// results and params as the Task (the Task's workspace becomes the workspace-path param, its
// token volume the token-volume param), so both run the same signet attest.
func TestStepActionMatchesTask(t *testing.T) {
	t.Parallel()
	sa := readStepAction(t).Spec
	task := readTask(t, filepath.Join("task", "signet", "0.1", "signet.yaml")).Spec
	step := task.Steps[0]
	envNames := func(env []corev1.EnvVar) []string {
		var out []string
		for _, e := range env {
			if !slices.Contains([]string{"HOME", "XDG_CACHE_HOME", "TMPDIR"}, e.Name) {
				out = append(out, e.Name)
			}
		}
		return out
	}
	if d := cmp.Diff(envNames(step.Env), envNames(sa.Env)); d != "" {
		t.Errorf("environment variables (-task +stepaction):\n%s", d)
	}
	if d := cmp.Diff([]string(step.Args), []string(sa.Args)); d != "" {
		t.Errorf("args (-task +stepaction):\n%s", d)
	}
	if d := cmp.Diff(step.Command, sa.Command); d != "" || len(sa.Command) == 0 {
		t.Errorf("command (-task +stepaction):\n%s", d)
	}
	var taskResults, saResults []string
	for _, r := range task.Results {
		taskResults = append(taskResults, r.Name+":"+string(r.Type))
	}
	for _, r := range sa.Results {
		saResults = append(saResults, r.Name+":"+string(r.Type))
	}
	if d := cmp.Diff(taskResults, saResults); d != "" {
		t.Errorf("results (-task +stepaction):\n%s", d)
	}
	var taskParams, saParams []string
	for _, p := range task.Params {
		taskParams = append(taskParams, p.Name)
	}
	for _, p := range sa.Params {
		// The Task's workspaces are the StepAction's paths: its source, and the dockerconfig.
		if p.Name != "workspace-path" && p.Name != "token-volume" && p.Name != "docker-config" {
			saParams = append(saParams, p.Name)
		}
	}
	if d := cmp.Diff(taskParams, saParams); d != "" {
		t.Errorf("params (-task +stepaction, less workspace-path, token-volume and docker-config):\n%s", d)
	}
	for _, e := range sa.Env {
		if strings.Contains(e.Value, "$(results.") || strings.Contains(e.Value, "$(workspaces.") {
			t.Errorf("env %s=%q: a StepAction has no Task results or workspaces; use $(step.results.*) and params", e.Name, e.Value)
		}
	}
}

// TestRestrictedV2 checks the Task's and the StepAction's security contexts against what
// OpenShift's restricted-v2 SCC (and Kubernetes' restricted Pod Security Standard) admit: no
// fixed UID or GID (restricted-v2 assigns them from the namespace's range), runAsNonRoot, no
// privilege escalation, every capability dropped, seccomp RuntimeDefault, no host access and
// no privileged mode; and that the step names its command, so the controller need not fetch
// the image's configuration.
func TestRestrictedV2(t *testing.T) {
	t.Parallel()
	task := readTask(t, filepath.Join("task", "signet", "0.1", "signet.yaml"))
	sa := readStepAction(t)
	cases := map[string]struct {
		sc      *corev1.SecurityContext
		command []string
	}{
		"Task step " + task.Spec.Steps[0].Name: {task.Spec.Steps[0].SecurityContext, task.Spec.Steps[0].Command},
		"StepAction":                           {sa.Spec.SecurityContext, sa.Spec.Command},
	}
	if task.Spec.StepTemplate != nil && task.Spec.StepTemplate.SecurityContext != nil {
		t.Error("the Task's stepTemplate sets a securityContext: keep it on the step, where this test reads it")
	}
	for _, v := range task.Spec.Volumes {
		if v.HostPath != nil {
			t.Errorf("volume %s is a hostPath: restricted-v2 refuses it", v.Name)
		}
	}
	for name, c := range cases {
		sc := c.sc
		if sc == nil {
			t.Errorf("%s: no securityContext", name)
			continue
		}
		if sc.RunAsUser != nil || sc.RunAsGroup != nil {
			t.Errorf("%s: runAsUser %v runAsGroup %v: a fixed UID/GID is outside an OpenShift namespace's range", name, sc.RunAsUser, sc.RunAsGroup)
		}
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: runAsNonRoot is not true", name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: allowPrivilegeEscalation is not false", name)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("%s: privileged", name)
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
			t.Errorf("%s: capabilities %+v, want drop [ALL] and nothing added", name, sc.Capabilities)
		}
		if sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: seccompProfile %+v, want RuntimeDefault", name, sc.SeccompProfile)
		}
		if sc.SELinuxOptions != nil || sc.ProcMount != nil {
			t.Errorf("%s: SELinux options or procMount set: restricted-v2 assigns them", name)
		}
		if len(c.command) == 0 || c.command[0] != "/signet" {
			t.Errorf("%s: command %q, want [/signet] (the image's entrypoint, so the controller need not look it up)", name, c.command)
		}
	}
}

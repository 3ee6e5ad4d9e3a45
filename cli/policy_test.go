package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyExport drives signet policy export: the verify policy flags and --policy FILE are
// read as verify reads them, and a refusal names the flag (and the file's key) at fault.
func TestPolicyExport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte("identity:\n  github: org/app\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gh := []string{"--certificate-oidc-issuer", "https://token.actions.githubusercontent.com",
		"--signer-workflow", "org/app/.github/workflows/release.yml@refs/tags/v*"}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		notInOut string
	}{
		{"policy-controller", append([]string{"--format", "policy-controller", "--image", "ghcr.io/org/app*"}, gh...), 0,
			`subjectRegExp: ^https://github\.com/org/app/\.github/workflows/release\.yml@refs/tags/v[^/@]*$`, "", ""},
		{"kyverno from a policy file", []string{"--format", "kyverno", "--image", "ghcr.io/org/app", "--policy", "policy.yaml",
			"--signer-workflow", ".github/workflows/release.yml", "--source-ref", "main"}, 0, "githubWorkflowRepository: org/app", "", ""},
		{"type flag", append([]string{"--format", "kyverno", "--image", "a", "--type", "https://example.com/predicate/v1"}, gh...), 0,
			"type: https://example.com/predicate/v1", "", "slsa.dev"},
		{"flag refused", []string{"--format", "policy-controller", "--image", "a", "--github", "org/app"}, 2, "",
			"--github cannot be expressed", ""},
		{"file key refused", []string{"--format", "policy-controller", "--image", "a", "--policy", "policy.yaml"}, 2, "",
			"--github (identity.github in --policy) cannot be expressed", ""},
		{"glob ref refused by kyverno", []string{"--format", "kyverno", "--image", "a", "--github", "org/app", "--source-ref", "refs/tags/v*"}, 2, "",
			"--source-ref cannot be expressed", ""},
		{"empty policy", []string{"--format", "kyverno", "--image", "a"}, 2, "", "no identity policy", ""},
		{"no image", append([]string{"--format", "kyverno"}, gh...), 2, "", "--image: none given", ""},
		{"bad format", append([]string{"--format", "gatekeeper", "--image", "a"}, gh...), 2, "", `--format: "gatekeeper"`, ""},
		{"bad name", append([]string{"--format", "kyverno", "--image", "a", "--name", "Bad_Name"}, gh...), 2, "", `--name: "Bad_Name"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := run(t, dir, nil, append([]string{"policy", "export"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) ||
				tc.notInOut != "" && strings.Contains(out, tc.notInOut) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stdout with %q, stderr with %q", code, tc.code, out, errOut, tc.stdout, tc.stderr)
			}
			if tc.code != 0 && out != "" {
				t.Errorf("a refused export printed:\n%s", out)
			}
		})
	}
}

// TestPolicyExportOutput writes --output atomically, and writes nothing when refused.
func TestPolicyExportOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	args := []string{"policy", "export", "--format", "kyverno", "--image", "a", "--output", "out/policy.yaml",
		"--certificate-oidc-issuer", "https://accounts.example.com", "--certificate-identity", "release@example.com"}
	if err := os.Mkdir(filepath.Join(dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := run(t, dir, nil, args...); code != 0 || out != "" {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "policy.yaml"))
	if err != nil || !strings.Contains(string(b), `subjectRegExp: ^release@example\.com$`) {
		t.Fatalf("--output: %v\n%s", err, b)
	}
	refused := append(args[:len(args):len(args)], "--runner-environment", "github-hosted", "--output", "out/refused.yaml")
	if _, errOut, code := run(t, dir, nil, refused...); code != 2 || !strings.Contains(errOut, "--runner-environment cannot be expressed") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "refused.yaml")); !os.IsNotExist(err) {
		t.Errorf("a refused export left a file: %v", err)
	}
}

package gitlab_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/gitlab"
	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/localsigstore"
)

// TestJobContract runs the signet binary the way a GitLab runner runs the component's job:
// the template rendered with the job's inputs gives the variables and the script line; the
// environment holds GITLAB_CI=true, the predefined CI_* variables of the job and
// SIGSTORE_ID_TOKEN, a GitLab-shaped token minted by localsigstore's issuer; the job starts in
// CI_PROJECT_DIR, where the build's artifacts and the private Sigstore's files are. The
// bundles must pass signet verify with the job's GitLab identity, the reports must read back
// under GitLab's rules, and the token must appear nowhere.
func TestJobContract(t *testing.T) {
	t.Parallel()
	bin := checkout.BuildSignet(t)
	ss, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	c, _ := readTemplate(t)
	claims := ss.DefaultClaims(localsigstore.PresetGitLab)
	identity := "https://" + claims["ci_config_ref_uri"].(string)

	t.Run("signs, reports and verifies", func(t *testing.T) {
		t.Parallel()
		j := newJob(t, c, ss, map[string]any{"subject-path": "dist/app-linux-amd64 dist/*.tar.gz", "sbom": "spdx-json"})
		res := j.run(t, bin, j.script...)
		if res.code != 0 {
			t.Fatalf("the job failed (exit %d)\nlog:\n%s%s", res.code, res.stdout, res.stderr)
		}
		if !strings.Contains(res.stderr, "\x1b[0Ksection_start:") || !strings.Contains(res.stderr, ":signet_summary[collapsed=true]\r\x1b[0K") ||
			!strings.Contains(res.stderr, "\x1b[0Ksection_end:") {
			t.Errorf("the job log has no collapsed signet_summary section:\n%q", res.stderr)
		}
		vars, err := parseGitLabDotenv(readFile(t, j.path(gitlab.VarDotenv)), gitlab.DotenvMaxBytes, gitlab.DotenvMaxVariables)
		if err != nil {
			t.Fatalf("GitLab would refuse the dotenv report: %v", err)
		}
		if vars[gitlab.KeySubjectCount] != "2" || vars[gitlab.KeyIdentity] != identity || vars[gitlab.KeyIssuer] != ss.Issuer(localsigstore.PresetGitLab) {
			t.Errorf("dotenv variables %v", vars)
		}
		checkAnnotations(t, readFile(t, j.path(gitlab.VarAnnotations)), 3)
		checkMetricsReport(t, j.path(gitlab.VarMetricsFile), "success", "")
		for _, p := range []string{vars[gitlab.KeyIndex], vars[gitlab.KeyBundle]} {
			if !strings.HasPrefix(p, j.vars[gitlab.VarOutputDir]+"/") {
				t.Errorf("report path %q is not inside the artifacts path %s/", p, j.vars[gitlab.VarOutputDir])
			}
		}
		j.assertNoToken(t, res)

		verify := []string{"verify", "--sigstore", ".sigstore", "--index", vars[gitlab.KeyIndex],
			"--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetGitLab), "--certificate-identity"}
		files := []string{"dist/app-linux-amd64", "dist/app.tar.gz"}
		if v := j.run(t, bin, append(append(verify, identity), files...)...); v.code != 0 {
			t.Errorf("signet verify rejected the bundles (exit %d):\n%s\n%s", v.code, v.stdout, v.stderr)
		}
		other := "https://gitlab.com/signet-ci/other//.gitlab-ci.yml@refs/heads/main"
		if v := j.run(t, bin, append(append(verify, other), files...)...); v.code == 0 {
			t.Errorf("signet verify accepted the bundles for another identity:\n%s", v.stdout)
		}
	})

	t.Run("subject by name and digest and a custom predicate", func(t *testing.T) {
		t.Parallel()
		digest := "sha256:" + strings.Repeat("5e", 32)
		j := newJob(t, c, ss, map[string]any{"subject-name": "registry.example.com/app", "subject-digest": digest,
			"predicate-type": "https://example.com/test-result/v1", "predicate-path": "result.json"})
		writeFiles(t, j.dir, map[string]string{"result.json": `{"passed": 42}`})
		res := j.run(t, bin, j.script...)
		if res.code != 0 {
			t.Fatalf("the job failed (exit %d)\nlog:\n%s%s", res.code, res.stdout, res.stderr)
		}
		vars, err := parseGitLabDotenv(readFile(t, j.path(gitlab.VarDotenv)), gitlab.DotenvMaxBytes, gitlab.DotenvMaxVariables)
		if err != nil {
			t.Fatal(err)
		}
		if vars[gitlab.KeySubjectCount] != "1" {
			t.Errorf("dotenv %s=%q, want 1 (the subject given by digest)", gitlab.KeySubjectCount, vars[gitlab.KeySubjectCount])
		}
		index := string(readFile(t, filepath.Join(j.dir, vars[gitlab.KeyIndex])))
		for _, want := range []string{"registry.example.com/app", strings.TrimPrefix(digest, "sha256:"), "https://example.com/test-result/v1"} {
			if !strings.Contains(index, want) {
				t.Errorf("index.json lacks %q:\n%s", want, index)
			}
		}
		j.assertNoToken(t, res)
	})

	// Each failure ends the job log with the command's error and, where the cause is in the
	// job's configuration, a hint saying what to change in .gitlab-ci.yml before it.
	failures := []struct {
		name   string
		inputs map[string]any
		env    map[string]string
		token  []localsigstore.TokenOption
		says   []string
		hint   []string
		// reason is the failure reason the metrics report counts; "" when the job failed
		// reading its inputs, before the run (and its record) started.
		reason string
	}{
		{name: "missing id_tokens", env: map[string]string{gitlab.TokenVariable: "-"},
			says: []string{"no OIDC identity token", "set SIGSTORE_ID_TOKEN"}, hint: []string{"`id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`"}, reason: "token"},
		{name: "wrong audience", token: []localsigstore.TokenOption{localsigstore.WithAudience("vault")},
			says: []string{`SIGSTORE_ID_TOKEN is for audience ["vault"]`}, hint: []string{"declare `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore` in the job signet-attest"}, reason: "token"},
		{name: "expired", token: []localsigstore.TokenOption{localsigstore.WithExpiry(-time.Minute)},
			says: []string{"SIGSTORE_ID_TOKEN expired at"}, hint: []string{"job's timeout", "`signet-attest: {timeout: 2h}`"}, reason: "token"},
		{name: "null ci_config_ref_uri", token: []localsigstore.TokenOption{localsigstore.WithClaims(map[string]any{"ci_config_ref_uri": nil})},
			says: []string{"ci_config_ref_uri (the claim is null)", "https://<nil>"},
			hint: []string{"the ci_config_ref_uri claim of SIGSTORE_ID_TOKEN is null", "project's own .gitlab-ci.yml"}, reason: "other"},
		{name: "absent ci_config_ref_uri", token: []localsigstore.TokenOption{localsigstore.WithoutClaims("ci_config_ref_uri")},
			says: []string{"ci_config_ref_uri (the claim is absent)"}, hint: []string{"does not carry the claim at all"}, reason: "other"},
		{name: "child pipeline", env: map[string]string{"CI_PIPELINE_SOURCE": "parent_pipeline"},
			token: []localsigstore.TokenOption{localsigstore.WithClaims(map[string]any{"ci_config_ref_uri": nil, "pipeline_source": "parent_pipeline"})},
			says:  []string{"ci_config_ref_uri"},
			hint:  []string{"because this job runs in a child pipeline", "include signet's component in the parent pipeline's own configuration"}, reason: "other"},
		{name: "sigstore local", inputs: map[string]any{"sigstore": "local"},
			says: []string{"input sigstore (SIGNET_SIGSTORE)", "cannot read GitLab's ID token"}},
		{name: "a subject matching nothing", inputs: map[string]any{"subject-path": "dist/*.zip"},
			says: []string{`"dist/*.zip"`, "matched no files"}, hint: []string{"needs: [build]"}, reason: "input"},
		{name: "no subject", inputs: map[string]any{"subject-path": ""},
			says: []string{"no subjects"}, hint: []string{"subject-path input"}, reason: "input"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inputs := map[string]any{"subject-path": "dist/app-linux-amd64"}
			maps.Copy(inputs, tt.inputs)
			j := newJob(t, c, ss, inputs, tt.token...)
			j.setEnv(tt.env)
			res := j.run(t, bin, j.script...)
			if res.code == 0 {
				t.Fatalf("the job succeeded; want it to fail\n%s", res.stdout)
			}
			errLine := lastLine(res.stderr)
			if !strings.HasPrefix(errLine, "signet: ") {
				t.Errorf("the job log ends with %q, want the error after \"signet: \"", errLine)
			}
			for _, s := range tt.says {
				if !strings.Contains(errLine, s) {
					t.Errorf("the error lacks %q:\n%s", s, errLine)
				}
			}
			hints := hintLines(res.stderr)
			if len(hints) > 1 || len(hints) != min(len(tt.hint), 1) {
				t.Errorf("the job log has %d hints, want %d:\n%s", len(hints), min(len(tt.hint), 1), res.stderr)
			}
			for _, h := range tt.hint {
				if len(hints) == 0 || !strings.Contains(hints[0], h) {
					t.Errorf("the job log lacks the hint %q:\n%s", h, res.stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(j.dir, j.vars[gitlab.VarOutputDir], "index.json")); err == nil {
				t.Error("a failed job wrote an index")
			}
			if tt.reason != "" {
				checkMetricsReport(t, j.path(gitlab.VarMetricsFile), "failure", tt.reason)
			} else if _, err := os.Stat(j.path(gitlab.VarMetricsFile)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a job refused at its inputs left %s: %v", j.vars[gitlab.VarMetricsFile], err)
			}
			if _, err := os.Stat(filepath.Join(j.dir, j.vars[gitlab.VarOutputDir])); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a failed job left its output directory %s (written whole or not at all): %v", j.vars[gitlab.VarOutputDir], err)
			}
			j.assertNoToken(t, res)
		})
	}
}

// job is one simulated GitLab job: its project directory, environment and script.
type job struct {
	dir    string
	env    map[string]string
	vars   map[string]string // the rendered job's variables
	script []string          // signet's arguments from the rendered script line
	token  string
}

// newJob renders the component with inputs (sigstore: the project's .sigstore directory) and
// prepares the project directory and the job's environment.
func newJob(t *testing.T, c *component, ss *localsigstore.Sigstore, inputs map[string]any, opts ...localsigstore.TokenOption) *job {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"dist/app-linux-amd64": "\x7fELF app", "dist/app.tar.gz": "tarball", "README.md": "source"})
	if err := ss.WriteConfig(filepath.Join(dir, ".sigstore")); err != nil {
		t.Fatal(err)
	}
	given := map[string]any{"sigstore": ".sigstore"}
	maps.Copy(given, inputs)
	jobs, err := c.render(given)
	if err != nil {
		t.Fatal(err)
	}
	rendered := decodeJob(t, jobs["signet-attest"].(map[string]any))
	if len(rendered.Script) != 1 {
		t.Fatalf("script %q, want one line", rendered.Script)
	}
	args := strings.Fields(rendered.Script[0])
	assigned := map[string]string{} // NAME=VALUE words before the command, as the shell reads them
	for len(args) > 0 && strings.Contains(args[0], "=") {
		k, v, _ := strings.Cut(args[0], "=")
		assigned[k] = v
		args = args[1:]
	}
	if len(args) == 0 || args[0] != "/signet" {
		t.Fatalf("script line %q does not run /signet", rendered.Script[0])
	}
	token, err := ss.Token(localsigstore.PresetGitLab, opts...)
	if err != nil {
		t.Fatal(err)
	}
	j := &job{dir: dir, script: args[1:], token: token, vars: map[string]string{}}
	for k, v := range rendered.Variables {
		j.vars[k] = fmt.Sprint(v)
	}
	maps.Copy(j.vars, assigned)
	j.env = predefined(ss, dir)
	maps.Copy(j.env, j.vars)
	j.env[gitlab.TokenVariable] = token
	return j
}

// predefined is what the runner sets for the job described by the GitLab preset's claims.
func predefined(ss *localsigstore.Sigstore, dir string) map[string]string {
	c := ss.DefaultClaims(localsigstore.PresetGitLab)
	s := func(k string) string { return fmt.Sprint(c[k]) }
	project := "https://gitlab.com/" + s("project_path")
	return map[string]string{
		"GITLAB_CI": "true", "CI": "true", "CI_PROJECT_DIR": dir, "CI_BUILDS_DIR": filepath.Dir(dir),
		"CI_SERVER_URL": "https://gitlab.com", "CI_SERVER_FQDN": "gitlab.com", "CI_SERVER_HOST": "gitlab.com",
		"CI_PROJECT_PATH": s("project_path"), "CI_PROJECT_ID": s("project_id"), "CI_PROJECT_URL": project,
		"CI_PROJECT_NAMESPACE": s("namespace_path"), "CI_PROJECT_NAMESPACE_ID": s("namespace_id"),
		"CI_PROJECT_VISIBILITY": s("project_visibility"), "CI_COMMIT_SHA": s("sha"), "CI_COMMIT_REF_NAME": s("ref"),
		"CI_COMMIT_BRANCH": s("ref"), "CI_CONFIG_PATH": ".gitlab-ci.yml", "CI_PIPELINE_ID": s("pipeline_id"),
		"CI_PIPELINE_SOURCE": s("pipeline_source"), "CI_PIPELINE_URL": project + "/-/pipelines/" + s("pipeline_id"),
		"CI_JOB_ID": s("job_id"), "CI_JOB_NAME": "signet-attest", "CI_JOB_URL": project + "/-/jobs/" + s("job_id"),
		"CI_JOB_STARTED_AT": time.Now().UTC().Format(time.RFC3339), "CI_RUNNER_ID": s("runner_id"),
		"CI_RUNNER_VERSION": "18.3.0", "GITLAB_USER_LOGIN": s("user_login"),
		"HOME": filepath.Join(dir, ".home"), "XDG_CACHE_HOME": filepath.Join(dir, ".cache"),
	}
}

// setEnv overrides the job's environment; "-" removes a variable.
func (j *job) setEnv(over map[string]string) {
	for k, v := range over {
		if v == "-" {
			delete(j.env, k)
			continue
		}
		j.env[k] = v
	}
}

// path is a file the job names by variable, relative to the project directory.
func (j *job) path(variable string) string { return filepath.Join(j.dir, j.vars[variable]) }

type result struct {
	code           int
	stdout, stderr string
}

// run runs signet in the project directory with exactly the job's environment.
func (j *job) run(t *testing.T, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = j.dir
	for _, k := range slices.Sorted(maps.Keys(j.env)) {
		cmd.Env = append(cmd.Env, k+"="+j.env[k])
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// assertNoToken fails if the token, or its signature alone, is in the log or any file of the
// project directory (where the artifacts come from).
func (j *job) assertNoToken(t *testing.T, res result) {
	t.Helper()
	sig := j.token[strings.LastIndex(j.token, ".")+1:]
	for _, secret := range []string{j.token, sig} {
		if strings.Contains(res.stdout, secret) || strings.Contains(res.stderr, secret) {
			t.Error("the job log contains the token")
		}
	}
	err := filepath.WalkDir(j.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(sig)) {
			t.Errorf("%s contains the token", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// hintLines are the lines of the job log that are hints.
func hintLines(log string) []string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "signet: hint: ") {
			out = append(out, l)
		}
	}
	return out
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMain removes the signet binary the contract test builds.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := checkout.RemoveBuilds(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

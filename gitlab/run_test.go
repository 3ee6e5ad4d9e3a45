package gitlab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/cli"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/gitlab"
	"github.com/signet-ci/signet/localsigstore"

	"github.com/signet-ci/signet/internal/shellwords"
)

// These tests run the component's job in process (cli.Run, as the job's script line runs the
// binary), with a GitLab-shaped token from localsigstore and the project's own private
// Sigstore, and check what the job tells its user against what the user's tools do with it.

// startSigstore starts a localsigstore for one test.
func startSigstore(t *testing.T) *localsigstore.Sigstore {
	t.Helper()
	ss, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	return ss
}

// runCLI runs signet in process in dir with exactly the environment env.
func runCLI(t *testing.T, dir string, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := cli.Run(ctx, args, cli.Env{Getenv: envOf(env), Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Dir: dir})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// runJobInProcess runs the rendered job's script line in process and requires it to pass.
func runJobInProcess(t *testing.T, j *job) result {
	t.Helper()
	res := runCLI(t, j.dir, j.env, j.script...)
	if res.code != 0 {
		t.Fatalf("the job failed (exit %d)\nlog:\n%s%s", res.code, res.stdout, res.stderr)
	}
	return res
}

// TestSummaryVerifyCommandPasses copies the verify command the job log prints, as a user
// would from the job page into a shell, and runs it from the project directory (where the
// job's artifacts and the project's files are) with nothing of the job's environment. With
// sigstore: set to the project's own Sigstore the command must name it, and names that need
// quoting must arrive as the files they are.
func TestSummaryVerifyCommandPasses(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	c, _ := readTemplate(t)
	j := newJob(t, c, ss, map[string]any{"subject-path": "dist/"})
	writeFiles(t, j.dir, map[string]string{"dist/app v2.tar.gz": "spaced", "dist/it's.bin": "quoted"})
	res := runJobInProcess(t, j)

	text := summaryCommand(t, res.stderr, "signet verify")
	words, err := shellwords.Split(text)
	if err != nil {
		t.Fatalf("the printed verify command is not one a shell runs as printed: %v", err)
	}
	for _, f := range []string{"dist/app v2.tar.gz", "dist/it's.bin", "dist/app-linux-amd64"} {
		if !slices.Contains(words, f) {
			t.Errorf("the verify command does not name %q:\n%s", f, text)
		}
	}
	if words[0] != "signet" {
		t.Fatalf("the printed command %q does not run signet", text)
	}
	home := t.TempDir()
	releaseManager := map[string]string{"HOME": home, "XDG_CACHE_HOME": filepath.Join(home, ".cache")}
	if v := runCLI(t, j.dir, releaseManager, words[1:]...); v.code != 0 {
		t.Fatalf("the printed verify command failed (exit %d):\n%s\n%s\n%s", v.code, text, v.stdout, v.stderr)
	}
	// The same command must reject a file that changed after signing: it verifies the files.
	writeFiles(t, j.dir, map[string]string{"dist/it's.bin": "tampered"})
	if v := runCLI(t, j.dir, releaseManager, words[1:]...); v.code == 0 {
		t.Errorf("the printed verify command accepted a tampered file:\n%s", v.stdout)
	}
}

// TestDotenvBundleIsProvenance checks that with SBOMs on, SIGNET_BUNDLE names the bundle
// holding the SLSA provenance, the one later jobs hand to gh or cosign as the provenance.
func TestDotenvBundleIsProvenance(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	c, _ := readTemplate(t)
	j := newJob(t, c, ss, map[string]any{"subject-path": "dist/app-linux-amd64 dist/app.tar.gz", "sbom": "spdx-json,cyclonedx-json"})
	runJobInProcess(t, j)

	vars, err := parseGitLabDotenv(readFile(t, j.path(gitlab.VarDotenv)), gitlab.DotenvMaxBytes, gitlab.DotenvMaxVariables)
	if err != nil {
		t.Fatalf("GitLab would refuse the dotenv report: %v", err)
	}
	var ix core.Index
	if err := json.Unmarshal(readFile(t, filepath.Join(j.dir, vars[gitlab.KeyIndex])), &ix); err != nil {
		t.Fatal(err)
	}
	if len(ix.Attestations) != 5 {
		t.Fatalf("%d bundles, want 1 provenance and 2 SBOMs of each of 2 files", len(ix.Attestations))
	}
	types := map[string]string{}
	for _, a := range ix.Attestations {
		types[filepath.ToSlash(filepath.Join(j.vars[gitlab.VarOutputDir], a.Bundle))] = a.PredicateType
	}
	if got := types[vars[gitlab.KeyBundle]]; got != ci.ProvenanceType {
		t.Errorf("%s=%s holds %q, want the provenance (%s); bundles: %v", gitlab.KeyBundle, vars[gitlab.KeyBundle], got, ci.ProvenanceType, types)
	}
}

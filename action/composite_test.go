package action_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/release"
	"github.com/signet-ci/signet/localsigstore"
)

// composite is the part of a composite action.yml the emulated runner runs.
type composite struct {
	Inputs map[string]struct {
		Default *string `json:"default"`
	} `json:"inputs"`
	Outputs map[string]struct {
		Value string `json:"value"`
	} `json:"outputs"`
	Runs struct {
		Using string `json:"using"`
		Steps []struct {
			ID    string            `json:"id"`
			Shell string            `json:"shell"`
			Run   string            `json:"run"`
			If    string            `json:"if"`
			Env   map[string]string `json:"env"`
		} `json:"steps"`
	} `json:"runs"`
}

// runner emulates the Actions runner running one composite action: the step environment, the
// expression contexts action.yml uses (inputs, steps.*.outputs, github.action_ref, github.token, env), a
// GITHUB_OUTPUT file per step, bash as the runner calls it, and the stop at the first failing
// step.
type runner struct {
	actionPath string            // GITHUB_ACTION_PATH: a copy of the action at the tested ref
	env        map[string]string // the job's environment
	with       map[string]string // the workflow's with:
	actionRef  string
	token      string // github.token: the job's GITHUB_TOKEN
	ws         string
}

// runResult is what one action run left behind.
type runResult struct {
	ran     []string          // ids of the steps that ran
	failed  string            // id of the failing step
	log     string            // stdout and stderr of all steps
	outputs map[string]string // the action's outputs
	took    []time.Duration   // each step's wall time, in the order of ran
}

var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// eval evaluates the ${{ }} expressions of s; any form the emulation does not know fails the
// test, so action.yml cannot use an expression the test does not check.
func (r *runner) eval(t testing.TB, c composite, s string, steps map[string]map[string]string) string {
	t.Helper()
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		e := exprRE.FindStringSubmatch(m)[1]
		if name, ok := strings.CutPrefix(e, "inputs."); ok {
			if _, declared := c.Inputs[name]; !declared {
				t.Fatalf("action.yml uses undeclared input %q", name)
			}
			if v, ok := r.with[name]; ok {
				return v
			}
			if d := c.Inputs[name].Default; d != nil {
				return r.eval(t, c, *d, steps) // a default may be an expression (${{ github.token }})
			}
			return ""
		}
		if rest, ok := strings.CutPrefix(e, "steps."); ok {
			id, out, ok := strings.Cut(rest, ".outputs.")
			if !ok {
				t.Fatalf("expression %q: want steps.ID.outputs.NAME", e)
			}
			return steps[id][out]
		}
		if e == "github.action_ref" {
			return r.actionRef
		}
		if e == "github.token" {
			return r.token
		}
		if m := regexp.MustCompile(`^env\.([A-Z_]+) \|\| '([^']*)'$`).FindStringSubmatch(e); m != nil {
			if v := r.env[m[1]]; v != "" {
				return v
			}
			return m[2]
		}
		t.Fatalf("the emulated runner does not know the expression %q", e)
		return ""
	})
}

// run runs the action's steps.
func (r *runner) run(t testing.TB) runResult {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.actionPath, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composite
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", c.Runs.Using)
	}
	res := runResult{outputs: map[string]string{}}
	steps := map[string]map[string]string{}
	var log bytes.Buffer
	for i, st := range c.Runs.Steps {
		if st.Shell != "bash" || st.If != "" {
			t.Fatalf("step %s: shell %q if %q: the emulation runs bash steps without conditions", st.ID, st.Shell, st.If)
		}
		outFile := filepath.Join(r.env["RUNNER_TEMP"], fmt.Sprintf("_runner_file_commands/set_output_%d", i))
		if err := os.MkdirAll(filepath.Dir(outFile), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(outFile, nil, 0o644)
		env := map[string]string{}
		for k, v := range r.env {
			env[k] = v
		}
		env["GITHUB_ACTION_PATH"] = r.actionPath
		env["GITHUB_OUTPUT"] = outFile
		for k, v := range st.Env {
			env[k] = r.eval(t, c, v, steps)
		}
		script := filepath.Join(r.env["RUNNER_TEMP"], fmt.Sprintf("step_%d.sh", i))
		if err := os.WriteFile(script, []byte(r.eval(t, c, st.Run, steps)), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", script) // the runner's shell: bash
		cmd.Dir = r.ws
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stdout, cmd.Stderr = &log, &log
		start := time.Now()
		err := cmd.Run()
		res.took = append(res.took, time.Since(start))
		cancel()
		res.ran = append(res.ran, st.ID)
		if err != nil {
			res.failed = st.ID
			break
		}
		steps[st.ID] = parseOutputs(t, outFile)
	}
	res.log = log.String()
	if res.failed == "" {
		for name, o := range c.Outputs {
			res.outputs[name] = r.eval(t, c, o.Value, steps)
		}
	}
	return res
}

// releaseServer serves release assets on loopback, counting downloads.
type releaseServer struct {
	*httptest.Server
	assets    map[string][]byte // path → body
	downloads atomic.Int32
}

func newReleaseServer(t testing.TB, assets map[string][]byte) *releaseServer {
	s := &releaseServer{assets: assets}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := s.assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		s.downloads.Add(1)
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func sumOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// releaseBinary builds signet for linux/amd64 with the release build's own command
// (internal/release), through the shared test build cache.
func releaseBinary(t testing.TB) []byte {
	t.Helper()
	env, args := release.BuildArgs(release.Target{OS: "linux", Arch: "amd64"}, "v0.1.0", "/signet")
	b, err := os.ReadFile(checkout.BuildCommand(t, env, args, "/signet"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// actionAt copies the action (action.yml with pins set to sums, action/install.sh) into a
// new directory, as the runner downloads it at a ref.
func actionAt(t testing.TB, version string, sums map[string]string) string {
	t.Helper()
	root := checkout.Root(t)
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err = release.RewritePins("action.yml", b, release.Pins{Version: version, Sums: sums}); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"action.yml": string(b), "action/install.sh": string(checkout.Read(t, "action/install.sh"))})
	return dir
}

// TestCompositeAction runs action.yml's steps under the emulated runner against release
// assets on loopback: a good download signs (cold and warm tool cache, a tampered cache is
// replaced); a checksum mismatch, a platform without a pin, a failed download, a tag that is
// not the pinned version and a plain-http mirror each stop before signet runs, with an error
// that names the problem (both digests for a mismatch).
func TestCompositeAction(t *testing.T) {
	t.Parallel()
	bin := releaseBinary(t)
	good := sumOf(bin)
	other := append([]byte("not signet "), bin[:64]...)
	srv := newReleaseServer(t, map[string][]byte{
		"/v0.1.0/signet-linux-amd64":       bin,
		"/v0.1.0/signet-windows-amd64.exe": bin, // a Linux binary under the Windows name: the emulation runs on Linux
		"/v0.1.0/signet-linux-arm64":       other,
	})
	pins := map[string]string{"signet-linux-amd64": good, "signet-windows-amd64.exe": good,
		"signet-linux-arm64": good /* the server's differs */, "signet-darwin-amd64": good /* not served */}
	actionPath := actionAt(t, "v0.1.0", pins)

	ss, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	ep := newTokenEndpoint(t, ss)
	_, meta := readActionYAML(t)
	claims := localsigstore.DefaultClaims(localsigstore.PresetGitHub)

	newRunner := func(t *testing.T, toolCache string, set map[string]string) *runner {
		st := newStep(t, ss, ep, meta, claims, nil)
		env := map[string]string{}
		for k, v := range st.env {
			if !strings.HasPrefix(k, "INPUT_") { // composite actions get inputs through their steps' env
				env[k] = v
			}
		}
		env["PATH"] = os.Getenv("PATH")
		env["RUNNER_TOOL_CACHE"] = toolCache
		env["SIGNET_RELEASE_URL"] = srv.URL
		for k, v := range set {
			env[k] = v
		}
		return &runner{actionPath: actionPath, env: env, ws: st.ws, actionRef: "v0.1.0", token: st.env["INPUT_GITHUB-TOKEN"],
			with: map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore"}}
	}

	t.Run("signs; the warm tool cache downloads nothing; a tampered cache is replaced", func(t *testing.T) {
		cache := t.TempDir()
		before := srv.downloads.Load()
		for i, tamper := range []bool{false, false, true} {
			r := newRunner(t, cache, nil)
			if tamper {
				p := filepath.Join(cache, "signet", "0.1.0", "x64", "signet")
				if err := os.WriteFile(p, []byte("#!/bin/sh\necho tampered; exit 0\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			res := r.run(t)
			if res.failed != "" {
				t.Fatalf("run %d: step %s failed:\n%s", i, res.failed, res.log)
			}
			checkOutputs(t, r.ws, res.outputs, 1)
			ep.assertNeverShown(t, res.log)
		}
		if got := srv.downloads.Load() - before; got != 2 {
			t.Errorf("%d downloads for a cold, a warm and a tampered cache; want 2", got)
		}
		if b, err := os.ReadFile(filepath.Join(cache, "signet", "0.1.0", "x64", "signet")); err != nil || sumOf(b) != good {
			t.Errorf("the cached binary is not the pinned one (%v)", err)
		}
	})

	t.Run("Windows runner layout", func(t *testing.T) {
		cache := t.TempDir()
		r := newRunner(t, cache, map[string]string{"RUNNER_OS": "Windows"})
		res := r.run(t)
		if res.failed != "" {
			t.Fatalf("step %s failed:\n%s", res.failed, res.log)
		}
		if _, err := os.Stat(filepath.Join(cache, "signet", "0.1.0", "x64", "signet.exe")); err != nil {
			t.Errorf("no signet.exe in the tool cache: %v", err)
		}
	})

	failures := []struct {
		name string
		set  map[string]string
		ref  string
		says []string
	}{
		{name: "checksum mismatch", set: map[string]string{"RUNNER_ARCH": "ARM64"},
			says: []string{"SHA-256 mismatch for signet-linux-arm64", "sha256:" + good, "sha256:" + sumOf(other), "refusing to run it"}},
		{name: "no pin for the platform", set: map[string]string{"RUNNER_OS": "macOS", "RUNNER_ARCH": "ARM64"},
			says: []string{"pins no SHA-256 for signet-darwin-arm64"}},
		{name: "an architecture signet is not released for", set: map[string]string{"RUNNER_ARCH": "X86"},
			says: []string{`RUNNER_ARCH "X86"`}},
		{name: "an OS signet is not released for", set: map[string]string{"RUNNER_OS": "FreeBSD"},
			says: []string{`RUNNER_OS "FreeBSD"`}},
		{name: "download failure", set: map[string]string{"RUNNER_OS": "macOS"},
			says: []string{"downloading " + srv.URL + "/v0.1.0/signet-darwin-amd64 failed"}},
		{name: "unreachable mirror", set: map[string]string{"SIGNET_RELEASE_URL": "http://127.0.0.1:1"},
			says: []string{"downloading http://127.0.0.1:1/v0.1.0/signet-linux-amd64 failed"}},
		{name: "plain http mirror", set: map[string]string{"SIGNET_RELEASE_URL": "http://mirror.example.com/signet"},
			says: []string{`want an https:// URL`}},
		{name: "look-alike loopback host", set: map[string]string{"SIGNET_RELEASE_URL": "http://127.0.0.1.evil.example/x"},
			says: []string{`want an https:// URL`}},
		{name: "a tag that is not the pinned version", ref: "v0.2.0",
			says: []string{"used at v0.2.0 but its action.yml pins signet v0.1.0"}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cache := t.TempDir()
			r := newRunner(t, cache, tt.set)
			if tt.ref != "" {
				r.actionRef = tt.ref
			}
			res := r.run(t)
			if res.failed != "install" || len(res.ran) != 1 {
				t.Fatalf("steps ran %q, failed %q; want the install step to stop the action\n%s", res.ran, res.failed, res.log)
			}
			for _, s := range tt.says {
				if !strings.Contains(res.log, s) {
					t.Errorf("the log should say %q:\n%s", s, res.log)
				}
			}
			if !strings.Contains(res.log, "::error title=signet install::") {
				t.Errorf("no error annotation:\n%s", res.log)
			}
			if _, err := os.Stat(filepath.Join(r.ws, "attestations")); err == nil {
				t.Error("signet ran: attestations/ exists")
			}
			if m, _ := filepath.Glob(filepath.Join(cache, "signet", "*", "*", "signet*")); len(m) > 0 {
				t.Errorf("a refused binary is in the tool cache: %q", m)
			}
		})
	}
}

// TestCompositeInputsMapped checks that the run step passes every input, and only inputs, as
// the INPUT_* variable the adapter reads (the runner's name rule: upper case, hyphens kept).
func TestCompositeInputsMapped(t *testing.T) {
	t.Parallel()
	b, _ := readActionYAML(t)
	var c composite
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	var attest map[string]string
	for _, st := range c.Runs.Steps {
		if st.ID == "attest" {
			attest = st.Env
		}
	}
	seen := map[string]bool{}
	for k, v := range attest {
		name, ok := strings.CutPrefix(k, "INPUT_")
		if !ok {
			continue
		}
		in := strings.ToLower(name)
		if want := "${{ inputs." + in + " }}"; v != want || strings.ToUpper(in) != name {
			t.Errorf("env %s: %q, want %q", k, v, want)
		}
		seen[in] = true
	}
	for name := range c.Inputs {
		if !seen[name] {
			t.Errorf("input %s does not reach signet: no INPUT_%s in the attest step's env", name, strings.ToUpper(name))
		}
	}
	for name, o := range c.Outputs {
		if want := "${{ steps.attest.outputs." + name + " }}"; o.Value != want {
			t.Errorf("output %s: value %q, want %q", name, o.Value, want)
		}
	}
}

// BenchmarkCompositeWarmCache measures the action as a job sees it with a warm tool cache: from
// the install step's start to the first signed bundle (the attest step's end), in the emulated
// runner against the in-process Sigstore. install-ms is the install step alone (a SHA-256 of
// the cached binary). Compare with the Docker action's per-job image build (docs/benchmarks.md).
func BenchmarkCompositeWarmCache(b *testing.B) {
	bin := releaseBinary(b)
	srv := newReleaseServer(b, map[string][]byte{"/v0.1.0/signet-linux-amd64": bin})
	actionPath := actionAt(b, "v0.1.0", map[string]string{"signet-linux-amd64": sumOf(bin)})
	ss, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ss.Close() })
	ep := newTokenEndpoint(b, ss)
	_, meta := readActionYAML(b)
	claims := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	cache := b.TempDir()
	newRunner := func() *runner {
		st := newStep(b, ss, ep, meta, claims, nil)
		env := map[string]string{"PATH": os.Getenv("PATH"), "RUNNER_TOOL_CACHE": cache, "SIGNET_RELEASE_URL": srv.URL}
		for k, v := range st.env {
			if !strings.HasPrefix(k, "INPUT_") {
				env[k] = v
			}
		}
		return &runner{actionPath: actionPath, env: env, ws: st.ws, actionRef: "v0.1.0", token: st.env["INPUT_GITHUB-TOKEN"],
			with: map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore"}}
	}
	if res := newRunner().run(b); res.failed != "" { // warm the tool cache
		b.Fatalf("step %s failed:\n%s", res.failed, res.log)
	}
	var install, total time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		r := newRunner()
		b.StartTimer()
		res := r.run(b)
		if res.failed != "" || res.outputs["bundle-path"] == "" {
			b.Fatalf("step %s failed:\n%s", res.failed, res.log)
		}
		install += res.took[0]
		total += res.took[0] + res.took[1]
	}
	if n := srv.downloads.Load(); n != 1 {
		b.Fatalf("%d downloads: the warm cache should need none after the first", n)
	}
	b.ReportMetric(float64(install.Milliseconds())/float64(b.N), "install-ms")
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "steps-ms")
}

// TestInstallPaths checks how the install step maps the runner's paths: on Windows, drive
// letters and either separator become Git Bash's form; elsewhere a path is kept as it is (a
// backslash is a file name character there).
func TestInstallPaths(t *testing.T) {
	t.Parallel()
	script := filepath.Join(checkout.Root(t), "action", "install.sh")
	tests := []struct{ os, in, want string }{
		{"Windows", `C:\hostedtoolcache\windows`, "/c/hostedtoolcache/windows"},
		{"Windows", `C:/hostedtoolcache/windows`, "/c/hostedtoolcache/windows"},
		{"Windows", `D:\a\_temp\mixed/sep`, "/d/a/_temp/mixed/sep"},
		{"Windows", `d:\a\with space\x`, "/d/a/with space/x"},
		{"Windows", `E:`, "/e"},
		{"Windows", `CC:\x`, "CC:/x"}, // not a drive letter
		{"Windows", `/c/already/unix`, "/c/already/unix"},
		{"Windows", `relative\dir`, "relative/dir"},
		{"Linux", `/home/runner/_work/_tool`, "/home/runner/_work/_tool"},
		{"Linux", `/tmp/odd\name`, `/tmp/odd\name`},
		{"Linux", `C:\not\a\drive`, `C:\not\a\drive`},
		{"macOS", `/Users/runner/hostedtoolcache`, "/Users/runner/hostedtoolcache"},
	}
	for _, tt := range tests {
		t.Run(tt.os+" "+tt.in, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("bash", "--noprofile", "--norc", "-c", `source "$1" && unix_path "$2"`, "bash", script, tt.in)
			cmd.Env = []string{"RUNNER_OS=" + tt.os, "PATH=" + os.Getenv("PATH")}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if got := strings.TrimSuffix(string(out), "\n"); got != tt.want {
				t.Errorf("unix_path(%q) on %s = %q, want %q", tt.in, tt.os, got, tt.want)
			}
		})
	}
}

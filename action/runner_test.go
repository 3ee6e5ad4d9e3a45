package action_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/ghapi/ghapitest"
	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/release"
	"github.com/signet-ci/signet/localsigstore"
)

// TestRunnerContract builds signet with the release's own build command, checks that the
// binary is static, and runs it the way the Actions runner runs the container: INPUT_*
// variables with hyphens (action.yml defaults merged in), GITHUB_* variables, the file-command
// files, the workspace as working directory, and a loopback token endpoint serving GitHub-shaped
// tokens minted by localsigstore's issuer.
func TestRunnerContract(t *testing.T) {
	t.Parallel()
	bin := buildLikeRelease(t)
	t.Run("static binary", func(t *testing.T) { checkStatic(t, bin) })

	ss, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	ep := newTokenEndpoint(t, ss)
	_, meta := readActionYAML(t)
	claims := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	identity := "https://github.com/" + claims["job_workflow_ref"].(string)

	t.Run("signs, publishes and verifies", func(t *testing.T) {
		t.Parallel()
		st := newStep(t, ss, ep, meta, claims, map[string]string{
			"subject-path":   "dist/app-linux-amd64\ndist/*.tar.gz",
			"subject-name":   "ghcr.io/signet-ci/app",
			"subject-digest": "sha256:" + strings.Repeat("ab", 32),
			"sigstore":       "sigstore",
		})
		res := st.run(t, bin, "attest")
		if res.code != 0 {
			t.Fatalf("attest exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
		}
		outs := parseOutputs(t, st.env["GITHUB_OUTPUT"])
		checkOutputs(t, st.ws, outs, 3)
		summary, err := os.ReadFile(st.env["GITHUB_STEP_SUMMARY"])
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"| subject | digest | bundle |", "<code>dist/app-linux-amd64</code>", "<code>dist/app.tar.gz</code>",
			"<code>ghcr.io/signet-ci/app</code>", "```mermaid", "signet verify", "gh attestation verify", "cosign verify-blob-attestation",
			identity} {
			if !bytes.Contains(summary, []byte(want)) {
				t.Errorf("summary lacks %q:\n%s", want, summary)
			}
		}
		if !strings.Contains(res.stdout, "::add-mask::") {
			t.Errorf("stdout has no ::add-mask:: command for the token:\n%s", res.stdout)
		}
		ep.assertNeverShown(t, res.stdout, res.stderr, string(summary), readFile(t, st.env["GITHUB_OUTPUT"]))
		checkStored(t, st, outs, string(summary))
		for what, s := range map[string]string{"stdout": displayed(res.stdout), "stderr": res.stderr, "summary": string(summary),
			"outputs": readFile(t, st.env["GITHUB_OUTPUT"]), "index.json": readFile(t, filepath.Join(st.ws, outs["index-path"]))} {
			if strings.Contains(s, jobToken) {
				t.Errorf("the github-token input shows in %s", what)
			}
		}

		// The commands the summary offers a release manager, run as printed with the release
		// image's binary (built without the embedded Sigstore): signet verify, signet sigstore
		// trusted-root, and gh's through the emulation of gh v2.83.0.
		ran := 0
		for _, c := range summaryCommands(t, string(summary)) {
			switch c[0] {
			case "signet":
				if v := st.run(t, bin, c[1:]...); v.code != 0 {
					t.Errorf("%q, as the summary prints it, failed (exit %d):\n%s\n%s", c, v.code, v.stdout, v.stderr)
				}
				ran++
			case "gh":
				if err := ghVerify(st.ws, c); err != nil {
					t.Errorf("%q, as the summary prints it, fails as gh v2.83.0: %v", c, err)
				}
				ran++
			}
		}
		if ran != 3 {
			t.Errorf("ran %d commands of the summary, want signet verify, signet sigstore trusted-root and gh", ran)
		}
		other := []string{"verify", "--sigstore", "sigstore", "--index", outs["index-path"], "--certificate-oidc-issuer",
			ss.Issuer(localsigstore.PresetGitHub), "--certificate-identity",
			"https://github.com/signet-ci/other/.github/workflows/release.yml@refs/heads/main", "dist/app.tar.gz"}
		if v := st.run(t, bin, other...); v.code == 0 {
			t.Errorf("signet verify accepted the bundles for another identity:\n%s", v.stdout)
		}
	})

	t.Run("metrics-file", func(t *testing.T) { t.Parallel(); checkRunnerMetrics(t, bin, ss, ep, meta, claims) })

	failures := []struct {
		name      string
		with      map[string]string
		noTokenOK bool // the job lacks id-token: write
		title     string
		says      []string
	}{
		{name: "missing id-token permission", with: map[string]string{"subject-path": "dist/app.tar.gz"}, noTokenOK: true,
			title: "signet%3A id-token%3A write permission missing", says: []string{"permissions: id-token: write"}},
		{name: "a glob matching nothing", with: map[string]string{"subject-path": "dist/*.zip"},
			title: "signet%3A input subject-path", says: []string{`"dist/*.zip" matched no files`, "relative to the workspace"}},
		{name: "a path matching nothing", with: map[string]string{"subject-path": "dist/app.zip"},
			title: "signet%3A input subject-path", says: []string{`"dist/app.zip" matched nothing in the workspace`}},
		{name: "a malformed digest", with: map[string]string{"subject-name": "app", "subject-digest": "sha256:12ab"},
			title: "signet%3A input subject-digest", says: []string{"sha256 needs 64 hex digits, got 4", "sha256:<64 hex digits>"}},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.with["sigstore"] = "sigstore"
			st := newStep(t, ss, ep, meta, claims, tt.with)
			if tt.noTokenOK {
				delete(st.env, "ACTIONS_ID_TOKEN_REQUEST_URL")
				delete(st.env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
			}
			res := st.run(t, bin, "attest")
			if res.code == 0 {
				t.Fatalf("attest succeeded; want the step to fail\n%s", res.stdout)
			}
			prefix := "::error file=.github/workflows/release.yml,title=" + tt.title + "::"
			var annotation string
			for _, l := range strings.Split(res.stdout, "\n") {
				if strings.HasPrefix(l, prefix) {
					annotation = l
				}
			}
			if annotation == "" {
				t.Fatalf("stdout lacks an annotation starting %q:\n%s", prefix, res.stdout)
			}
			for _, s := range tt.says {
				if !strings.Contains(annotation, s) {
					t.Errorf("the annotation should say %q:\n%s", s, annotation)
				}
			}
			if !strings.Contains(res.stderr, "signet: ") || !strings.Contains(res.stderr, tt.says[0]) {
				t.Errorf("stderr should say %q:\n%s", tt.says[0], res.stderr)
			}
			if b, err := os.ReadFile(st.env["GITHUB_OUTPUT"]); err == nil && len(b) > 0 {
				t.Errorf("a failed step wrote outputs:\n%s", b)
			}
			ep.assertNeverShown(t, res.stdout, res.stderr)
		})
	}

	t.Run("missing attestations: write permission", func(t *testing.T) {
		t.Parallel()
		st := newStep(t, ss, ep, meta, claims, map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore"})
		st.store.ReadOnly(st.env["GITHUB_REPOSITORY"])
		res := st.run(t, bin, "attest")
		if res.code == 0 {
			t.Fatalf("attest succeeded; want the step to fail\n%s", res.stdout)
		}
		want := "::error file=.github/workflows/release.yml,title=signet%3A attestations%3A write permission missing::"
		if !strings.Contains(res.stdout, want) || !strings.Contains(res.stdout, `add "attestations: write" to the job's permissions`) {
			t.Errorf("stdout lacks the annotation naming the permission:\n%s", res.stdout)
		}
		outs := parseOutputs(t, st.env["GITHUB_OUTPUT"])
		checkOutputs(t, st.ws, outs, 1) // the files and their outputs come first
		if outs["attestation-id"] != "" {
			t.Errorf("attestation-id %q after a refused upload", outs["attestation-id"])
		}
		ep.assertNeverShown(t, res.stdout, res.stderr)
		for _, s := range []string{displayed(res.stdout), res.stderr, readFile(t, st.env["GITHUB_OUTPUT"])} {
			if strings.Contains(s, jobToken) {
				t.Error("the github-token input is shown")
			}
		}
	})
}

// buildLikeRelease runs the release build's command for this machine's Linux binary
// (release.BuildArgs: static, nolocalsigstore, stripped), through the shared test build (one
// build per source state for every test process of a go test run).
func buildLikeRelease(t *testing.T) string {
	t.Helper()
	const placeholder = "/signet"
	env, args := release.BuildArgs(release.Target{OS: "linux", Arch: runtime.GOARCH}, "v0.0.0-test", placeholder)
	return checkout.BuildCommand(t, env, args, placeholder)
}

// checkStatic fails unless bin is an ELF executable with no interpreter and no shared libraries.
func checkStatic(t *testing.T, bin string) {
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %s program header: not statically linked", bin, p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("%s needs shared libraries %q (%v)", bin, libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s has a symbol table: -ldflags=\"-s -w\" should strip it", bin)
	}
}

// tokenEndpoint plays the runner's ID-token service on loopback: it checks the bearer and the
// audience and serves a fresh GitHub-shaped token from localsigstore's issuer each time.
type tokenEndpoint struct {
	*httptest.Server
	bearer string
	mu     sync.Mutex
	issued []string
}

func newTokenEndpoint(t testing.TB, ss *localsigstore.Sigstore) *tokenEndpoint {
	t.Helper()
	ep := &tokenEndpoint{bearer: "runner-bearer-" + strings.Repeat("x", 24)}
	ep.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer "+ep.bearer {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		aud := r.URL.Query().Get("audience")
		if aud != "sigstore" || r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "want audience=sigstore and the original query", http.StatusBadRequest)
			return
		}
		tok, err := ss.Token(localsigstore.PresetGitHub, localsigstore.WithAudience(aud))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		ep.mu.Lock()
		ep.issued = append(ep.issued, tok)
		ep.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"value": tok})
	}))
	t.Cleanup(ep.Close)
	return ep
}

// assertNeverShown fails if any issued token, or the request bearer, appears in texts.
func (ep *tokenEndpoint) assertNeverShown(t *testing.T, texts ...string) {
	t.Helper()
	ep.mu.Lock()
	secrets := append([]string{ep.bearer}, ep.issued...)
	ep.mu.Unlock()
	for i, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("text %d (stdout, stderr, summary, outputs in that order) shows a secret", i)
			}
		}
	}
}

// displayed is stdout as the runner shows it in the log: it consumes ::add-mask:: commands
// (which must carry the secret they mask) instead of printing them.
func displayed(stdout string) string {
	var b strings.Builder
	for l := range strings.Lines(stdout) {
		if !strings.HasPrefix(l, "::add-mask::") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// step is one action step's environment and workspace.
type step struct {
	ws    string
	env   map[string]string
	store *ghapitest.Server // the emulated GitHub REST API the step uploads to
}

// newStep makes a workspace with build outputs and the Sigstore config, and the environment
// the runner gives the container: action.yml's defaults merged under with.
func newStep(t testing.TB, ss *localsigstore.Sigstore, ep *tokenEndpoint, meta actionMetadata, claims map[string]any, with map[string]string) *step {
	t.Helper()
	ws := newWorkspace(t)
	writeFiles(t, ws, map[string]string{"dist/app-linux-amd64": "\x7fELF binary", "dist/app.tar.gz": "archive", "dist/notes.txt": "n"})
	if err := ss.WriteConfig(filepath.Join(ws, "sigstore")); err != nil {
		t.Fatal(err)
	}
	c := func(k string) string { return fmt.Sprint(claims[k]) }
	runner := filepath.Dir(ws)
	env := map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true", "HOME": filepath.Join(runner, "home"), "RUNNER_TEMP": runner,
		"GITHUB_WORKSPACE": ws, "GITHUB_OUTPUT": filepath.Join(runner, "set_output"), "GITHUB_STEP_SUMMARY": filepath.Join(runner, "step_summary"),
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": c("repository"), "GITHUB_REPOSITORY_ID": c("repository_id"),
		"GITHUB_REPOSITORY_OWNER": c("repository_owner"), "GITHUB_REPOSITORY_OWNER_ID": c("repository_owner_id"),
		"GITHUB_SHA": c("sha"), "GITHUB_REF": c("ref"), "GITHUB_REF_TYPE": c("ref_type"), "GITHUB_EVENT_NAME": c("event_name"),
		"GITHUB_WORKFLOW": c("workflow"), "GITHUB_WORKFLOW_REF": c("workflow_ref"), "GITHUB_WORKFLOW_SHA": c("workflow_sha"),
		"GITHUB_RUN_ID": c("run_id"), "GITHUB_RUN_NUMBER": c("run_number"), "GITHUB_RUN_ATTEMPT": c("run_attempt"),
		"GITHUB_ACTOR": c("actor"), "GITHUB_ACTOR_ID": c("actor_id"), "RUNNER_ENVIRONMENT": c("runner_environment"),
		"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
		"ACTIONS_ID_TOKEN_REQUEST_URL": ep.URL + "/idtoken?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ep.bearer,
	}
	store := ghapitest.New(jobToken, c("repository"))
	t.Cleanup(store.Close)
	env["GITHUB_API_URL"] = store.URL
	for name, in := range meta.Inputs {
		if in.Default != nil {
			v := *in.Default
			if v == "${{ github.token }}" { // the runner evaluates the expression
				v = jobToken
			}
			env["INPUT_"+strings.ToUpper(name)] = v
		}
	}
	for name, v := range with {
		if _, ok := meta.Inputs[name]; !ok {
			t.Fatalf("with: %s is not an input of action.yml", name)
		}
		env["INPUT_"+strings.ToUpper(name)] = v
	}
	if err := os.MkdirAll(env["HOME"], 0o755); err != nil {
		t.Fatal(err)
	}
	return &step{ws: ws, env: env, store: store}
}

type result struct {
	stdout, stderr string
	code           int
}

// run executes the binary with exactly the step's environment, in the workspace.
func (s *step) run(t *testing.T, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = s.ws
	for k, v := range s.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// checkOutputs checks the step outputs against the files they name.
func checkOutputs(t testing.TB, ws string, outs map[string]string, subjects int) {
	t.Helper()
	if outs["index-path"] != "attestations/index.json" {
		t.Errorf("index-path %q, want attestations/index.json (workspace-relative)", outs["index-path"])
	}
	if outs["subject-count"] != fmt.Sprint(subjects) {
		t.Errorf("subject-count %q, want %d", outs["subject-count"], subjects)
	}
	ix, err := core.ReadIndex(filepath.Join(ws, outs["index-path"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Subjects) != subjects || len(ix.Attestations) == 0 {
		t.Fatalf("index lists %d subjects and %d bundles", len(ix.Subjects), len(ix.Attestations))
	}
	var prov string
	for _, a := range ix.Attestations {
		if a.PredicateType == "https://slsa.dev/provenance/v1" && prov == "" {
			prov = "attestations/" + a.Bundle
		}
	}
	if prov == "" || outs["bundle-path"] != prov {
		t.Errorf("bundle-path %q, want the provenance bundle %q", outs["bundle-path"], prov)
	}
	ids := strings.Split(outs["bundle-digests"], "\n")
	if len(ids) != len(ix.Attestations) {
		t.Fatalf("bundle-digests has %d lines for %d bundles", len(ids), len(ix.Attestations))
	}
	for i, a := range ix.Attestations {
		sum := sha256.Sum256([]byte(readFile(t, filepath.Join(ws, "attestations", a.Bundle))))
		if want := "sha256:" + hex.EncodeToString(sum[:]); ids[i] != want {
			t.Errorf("bundle-digests line %d = %q, want %q", i+1, ids[i], want)
		}
	}
}

// checkStored checks that every bundle went to the emulated attestation store, byte for byte,
// and that the outputs, the index and the summary name the store's ids as actions/attest does.
func checkStored(t *testing.T, st *step, outs map[string]string, summary string) {
	t.Helper()
	ix, err := core.ReadIndex(filepath.Join(st.ws, outs["index-path"]))
	if err != nil {
		t.Fatal(err)
	}
	stored := st.store.Stored()
	if len(stored) != len(ix.Attestations) {
		t.Fatalf("%d bundles in the store, %d in the index", len(stored), len(ix.Attestations))
	}
	for i, a := range ix.Attestations {
		if a.Store == nil || a.Store.ID != fmt.Sprint(stored[i].ID) {
			t.Errorf("index.json: %s records %+v, want id %d", a.Bundle, a.Store, stored[i].ID)
			continue
		}
		if !strings.Contains(summary, "[attestation "+a.Store.ID+"]("+a.Store.URL+")") {
			t.Errorf("summary does not link attestation %s", a.Store.ID)
		}
	}
	wantURL := "https://github.com/" + st.env["GITHUB_REPOSITORY"] + "/attestations/" + fmt.Sprint(stored[0].ID)
	if outs["attestation-id"] != fmt.Sprint(stored[0].ID) || outs["attestation-url"] != wantURL {
		t.Errorf("attestation-id %q, attestation-url %q; want %d, %s", outs["attestation-id"], outs["attestation-url"], stored[0].ID, wantURL)
	}
}

func readFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

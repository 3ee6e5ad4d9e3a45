package tekton

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/provenance"
)

// taskEnv is the environment signet's Task gives its step, with the token at tokenFile and
// the results in resultsDir.
func taskEnv(ws, tokenFile, resultsDir string) map[string]string {
	vars := map[string]string{
		EnvWorkspace:        ws,
		EnvSubjectPath:      "dist/",
		EnvTokenFile:        tokenFile,
		EnvTaskRunName:      "release-run-7x2kq-sign",
		EnvTaskRunNamespace: "signet-builds",
		EnvTaskRunUID:       "4b0b3c9e-6d0a-4f1e-9a57-3f8e2c1d7b60",
	}
	for _, n := range ResultNames() {
		vars[EnvResult(n)] = filepath.Join(resultsDir, n)
	}
	return vars
}

func tokenAt(t *testing.T, opts ...localsigstore.TokenOption) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "oidc-token")
	if err := os.WriteFile(p, []byte(mint(t, opts...)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/app.tar.gz")
	tok := tokenAt(t)
	a := New(envOf(taskEnv(ws, tok, t.TempDir())), nil)
	ref := "registry.example.com/demo/app@sha256:" + hexA
	plan, err := a.Prepare(context.Background(), Request{Inputs: core.Inputs{Refs: []string{ref, "notes.txt@sha256:" + hexA}}})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Dir != ws {
		t.Errorf("Dir = %q, want the workspace %q", plan.Dir, ws)
	}
	wantIn := core.Inputs{Paths: []string{"dist/"}, Refs: []string{ref, "notes.txt@sha256:" + hexA}}
	if diff := cmp.Diff(wantIn, plan.Inputs); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}
	tf, ok := plan.Tokens.(*TokenFile)
	if !ok || tf.Path() != tok {
		t.Errorf("Tokens = %#v, want the token file %q", plan.Tokens, tok)
	}
	want := provenance.TektonParams{TaskRunName: "release-run-7x2kq-sign", Namespace: "signet-builds", UID: "4b0b3c9e-6d0a-4f1e-9a57-3f8e2c1d7b60"}
	if diff := cmp.Diff(want, plan.TaskRun); diff != "" {
		t.Errorf("TaskRun (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"registry.example.com/demo/app": true}, a.images); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
}

func TestPrepareIdentity(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/app.tar.gz")
	moved := tokenAt(t)
	tests := []struct {
		name     string
		req      Request
		wantPath string // "" means no token source
	}{
		{"the Task's token", Request{}, "task"},
		{"--identity-token-file moves it", Request{TokenFile: moved}, moved},
		{"own identity", Request{OwnIdentity: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			taskTok := tokenAt(t)
			plan, err := New(envOf(taskEnv(ws, taskTok, t.TempDir())), nil).Prepare(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(tt.wantPath, "task", taskTok, 1)
			got := ""
			if tf, ok := plan.Tokens.(*TokenFile); ok {
				got = tf.Path()
			}
			if got != want {
				t.Errorf("token file = %q, want %q", got, want)
			}
		})
	}
}

// TestPrepareFailures: each failure says what to change, and Prepare reports them all at once.
func TestPrepareFailures(t *testing.T) {
	t.Parallel()
	full := workspaceWith(t, "dist/app.tar.gz")
	empty := t.TempDir()
	good := tokenAt(t)
	wrongAud := tokenAt(t, localsigstore.WithAudience("https://kubernetes.default.svc.cluster.local"))
	missing := filepath.Join(t.TempDir(), "var/run/sigstore/cosign/oidc-token")
	var manyImages []string
	for i := range 60 {
		manyImages = append(manyImages, fmt.Sprintf("registry.example.com/team/app-%02d@sha256:%s", i, hexA))
	}
	tests := []struct {
		name    string
		ws, tok string
		unset   string
		refs    []string
		want    []error
		wantMsg []string
	}{
		{"missing token file", full, missing, "", nil, []error{ErrNoToken}, []string{"does not exist", "projected service-account token"}},
		{"token for the wrong audience", full, wrongAud, "", nil, []error{ErrTokenAudience}, []string{"audience: sigstore"}},
		{"workspace with no outputs", empty, good, "", nil, []error{ErrWorkspace}, []string{"is empty", "bind the workspace your build task wrote"}},
		{"nothing named", full, good, EnvSubjectPath, nil, []error{ErrNothingToSign}, []string{"subject-path param", "extra-args"}},
		{"all at once", empty, missing, "", nil, []error{ErrWorkspace, ErrNoToken}, nil},
		{"too many images for IMAGES", full, good, "", manyImages, []error{ErrResultsTooLarge}, []string{"60 images", "split them"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := taskEnv(tt.ws, tt.tok, t.TempDir())
			delete(vars, tt.unset)
			_, err := New(envOf(vars), nil).Prepare(context.Background(), Request{Inputs: core.Inputs{Refs: tt.refs}})
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Prepare error = %v, want %v", err, w)
				}
			}
			for _, m := range tt.wantMsg {
				if err == nil || !strings.Contains(err.Error(), m) {
					t.Errorf("error %v does not mention %q", err, m)
				}
			}
		})
	}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/app.tar.gz")
	results := t.TempDir()
	var log bytes.Buffer
	a := New(envOf(taskEnv(ws, tokenAt(t), results)), &log)
	run := sampleRun(ws)
	if _, err := a.Prepare(context.Background(), Request{Inputs: core.Inputs{Refs: []string{
		"registry.example.com/demo/app@sha256:" + hexA, "localhost:5000/demo/tool:v1@sha256:" + strings.Repeat("b", 64)}}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	want, err := BuildResults(run, ws, sampleImages)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range want {
		b, err := os.ReadFile(filepath.Join(results, r.Name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != r.Value {
			t.Errorf("%s = %q, want %q", r.Name, b, r.Value)
		}
	}
	if !strings.Contains(log.String(), "wrote 4 results") {
		t.Errorf("log = %q, want a note of the results written", log.String())
	}
}

func TestPublishOutsideTask(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(DefaultResultsDir); err == nil {
		t.Fatalf("%s exists on this machine: this test needs a machine that is not a TaskRun pod", DefaultResultsDir)
	}
	var log bytes.Buffer
	a := New(envOf(nil), &log)
	if err := a.Publish(context.Background(), sampleRun("/ws")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "results not written") {
		t.Errorf("log = %q", log.String())
	}
}

func TestFailHints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"glob matched nothing", fmt.Errorf("subject glob %q %w", "dist/*.zip", core.ErrNoMatch), "check the subject-path and subject-checksums params"},
		{"empty directory", fmt.Errorf("subject directory %q: %w", "dist", core.ErrEmptyDir), "binds the same workspace"},
		{"missing checksums file", fmt.Errorf("reading checksums file %q: %w", "SUMS", fs.ErrNotExist), "subject-checksums"},
		{"outside the workspace", fmt.Errorf("subject %q: %w", "/etc/passwd", core.ErrOutsideBase), "relative to the source workspace"},
		{"service account mismatch", fmt.Errorf("Tekton provenance: %w", provenance.ErrEnvMismatch), "service account"},
		{"token missing: its own message suffices", fmt.Errorf("%w: %w", ErrNoToken, fs.ErrNotExist), ""},
		{"anything else", errors.New("Fulcio said no"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			New(envOf(nil), &log).Fail(tt.err)
			if tt.want == "" {
				if log.Len() != 0 {
					t.Errorf("Fail printed %q, want nothing", log.String())
				}
				return
			}
			if !strings.Contains(log.String(), tt.want) {
				t.Errorf("Fail printed %q, want a hint mentioning %q", log.String(), tt.want)
			}
		})
	}
}

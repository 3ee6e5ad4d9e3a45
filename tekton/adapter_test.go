package tekton

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/ci"
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

func TestPlan(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/app.tar.gz", "SHA256SUMS")
	tok := tokenAt(t)
	vars := taskEnv(ws, tok, t.TempDir())
	vars[EnvSubjectChecksums] = "SHA256SUMS"
	plan, err := New(envOf(vars), nil).Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if plan.Dir != ws {
		t.Errorf("Dir = %q, want the workspace %q", plan.Dir, ws)
	}
	if diff := cmp.Diff(core.Inputs{Paths: []string{"dist/"}, ChecksumFiles: []string{"SHA256SUMS"}}, plan.Subjects); diff != "" {
		t.Errorf("Subjects (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ci.Settings{}, plan.Settings); diff != "" {
		t.Errorf("Settings (-want +got): the Task passes its other params as flags\n%s", diff)
	}
	if tf, ok := plan.Token.(*TokenFile); !ok || tf.Path() != tok {
		t.Errorf("Token = %#v, want the token file %q", plan.Token, tok)
	}
	if !strings.Contains(plan.TokenFrom, tok) {
		t.Errorf("TokenFrom = %q, want it to name %q", plan.TokenFrom, tok)
	}
	want := provenance.TektonParams{TaskRunName: "release-run-7x2kq-sign", Namespace: "signet-builds", UID: "4b0b3c9e-6d0a-4f1e-9a57-3f8e2c1d7b60"}
	if diff := cmp.Diff(want, plan.TaskRun); diff != "" {
		t.Errorf("TaskRun (-want +got):\n%s", diff)
	}
}

// TestPlanTokenFile: SIGNET_TEKTON_TOKEN_FILE moves the Task's token; the plan never reads it
// (the command decides whether the Task's token is the identity at all).
func TestPlanTokenFile(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/app.tar.gz")
	moved := filepath.Join(t.TempDir(), "elsewhere", "token")
	tests := []struct{ name, env, want string }{
		{"the Task's path", "", DefaultTokenFile},
		{"moved", moved, moved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := taskEnv(ws, tt.env, t.TempDir())
			if tt.env == "" {
				delete(vars, EnvTokenFile)
			}
			plan, err := New(envOf(vars), nil).Plan(context.Background())
			if err != nil {
				t.Fatalf("Plan read the token file (missing here): %v", err)
			}
			if got := plan.Token.(*TokenFile).Path(); got != tt.want {
				t.Errorf("token file = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPlanFailures: each failure says what to change, and Plan reports them all at once.
func TestPlanFailures(t *testing.T) {
	t.Parallel()
	full := workspaceWith(t, "dist/app.tar.gz")
	empty := t.TempDir()
	tests := []struct {
		name    string
		ws      string
		vars    map[string]string
		want    []error
		wantMsg []string
	}{
		{"workspace with no outputs", empty, nil, []error{ErrWorkspace}, []string{"is empty", "bind the workspace your build task wrote"}},
		{"subject-path not written", full, map[string]string{EnvSubjectPath: "build/app.zip"}, []error{fs.ErrNotExist},
			[]string{"input subject-path (SIGNET_TEKTON_SUBJECT_PATH)", `"build/app.zip"`}},
		{"all at once", empty, map[string]string{EnvGitCommit: "5d3c6e0f2b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d"}, []error{ErrWorkspace, fs.ErrNotExist},
			[]string{"is empty", "input subject-path", "input CHAINS-GIT_URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := taskEnv(tt.ws, tokenAt(t), t.TempDir())
			maps.Copy(vars, tt.vars)
			plan, err := New(envOf(vars), nil).Plan(context.Background())
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Plan error = %v, want %v", err, w)
				}
			}
			for _, m := range tt.wantMsg {
				if err == nil || !strings.Contains(err.Error(), m) {
					t.Errorf("error %v does not mention %q", err, m)
				}
			}
			if plan.Token != nil || len(plan.Subjects.Paths) != 0 {
				t.Errorf("a failed Plan returned %+v, want nothing", plan)
			}
		})
	}
}

// images returns n image subjects named like real registry repositories.
func images(n int) []core.Subject {
	var out []core.Subject
	for i := range n {
		out = append(out, core.Subject{Name: fmt.Sprintf("registry.example.com/team/app-%02d", i), Digest: map[string]string{"sha256": hexA}})
	}
	return out
}

// TestCheck: the IMAGES budget is checked on the digested subjects before anything is signed;
// only digest-only subjects whose names read as image repositories count.
func TestCheck(t *testing.T) {
	t.Parallel()
	file := core.Subject{Name: "dist/app.tar.gz", Digest: map[string]string{"sha256": hexA}, Path: "/ws/dist/app.tar.gz"}
	notImages := images(60)
	for i := range notImages {
		notImages[i].Name = fmt.Sprintf("release/notes-%02d.txt", i) // a digest-only subject, not an image
	}
	filesNamedLikeImages := images(60)
	for i := range filesNamedLikeImages {
		filesNamedLikeImages[i].Path = "/ws/" + filesNamedLikeImages[i].Name
	}
	longName := core.Subject{Name: "dist/" + strings.Repeat("n", 4000), Digest: map[string]string{"sha256": hexA}, Path: "/ws/x"}
	tests := []struct {
		name     string
		subjects []core.Subject
		wantMsg  []string // nil: accepted
	}{
		{"a few images", append([]core.Subject{file}, images(10)...), nil},
		{"too many images for IMAGES", append([]core.Subject{file}, images(60)...), []string{"60 images", "split them", "IMAGES"}},
		{"too many images, no file", images(60), []string{"60 images"}},
		{"digest-only subjects that are not images", append([]core.Subject{file}, notImages...), nil},
		{"files named like images", filesNamedLikeImages, nil},
		{"a primary artifact name too long for ARTIFACT_OUTPUTS", []core.Subject{longName}, []string{"primary artifact", "4005 bytes", "ARTIFACT_OUTPUTS"}},
		{"none: core refuses those", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := New(envOf(nil), nil).Check(tt.subjects)
			if tt.wantMsg == nil {
				if err != nil {
					t.Fatalf("Check refused it: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrResultsTooLarge) {
				t.Fatalf("Check error = %v, want ErrResultsTooLarge", err)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

// TestCheckAgreesWithPublish: every run Check accepts with short paths, Publish can write; the
// largest image count Check accepts is the largest Tekton's writer accepts with the paths.
func TestCheckAgreesWithPublish(t *testing.T) {
	t.Parallel()
	file := core.Subject{Name: "dist/app.tar.gz", Digest: map[string]string{"sha256": hexA}, Path: "/ws/dist/app.tar.gz"}
	n := 0
	for ; n < 200; n++ {
		if New(envOf(nil), nil).Check(append([]core.Subject{file}, images(n+1)...)) != nil {
			break
		}
	}
	if n == 0 || n == 200 {
		t.Fatalf("Check accepts up to %d images", n)
	}
	out := ci.Outcome{Dir: "/ws", OutputDir: "/ws/attestations", Subjects: append([]core.Subject{file}, images(n)...)}
	out.Index = sampleIndex(out.Subjects)
	res, err := BuildResults(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tektonMessage(t, res); err != nil {
		t.Errorf("Check accepted %d images, but Tekton rejects the results: %v", n, err)
	}
	t.Logf("Check accepts %d images of %d bytes each", n, len(images(1)[0].Name)+len("@sha256:")+64)
}

func TestPublish(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/app.tar.gz")
	results := t.TempDir()
	var log bytes.Buffer
	a := New(envOf(taskEnv(ws, tokenAt(t), results)), &log)
	if _, err := a.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	run := sampleRun(ws)
	if err := a.Check(run.Subjects); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(context.Background(), run); err != nil {
		t.Fatal(err)
	}
	want, err := BuildResults(run)
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
	if !strings.Contains(log.String(), "wrote 5 results") {
		t.Errorf("log = %q, want a note of the results written", log.String())
	}
}

// TestPublishOverBudget: results that do not fit are not written, and the error says where the
// bundles are.
func TestPublishOverBudget(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/app.tar.gz")
	results := t.TempDir()
	a := New(envOf(taskEnv(ws, tokenAt(t), results)), nil)
	if _, err := a.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := ci.Outcome{Dir: ws, OutputDir: filepath.Join(ws, strings.Repeat("d", 3000)), Subjects: images(20)}
	out.Index = sampleIndex(out.Subjects)
	err := a.Publish(context.Background(), out)
	if !errors.Is(err, ErrResultsTooLarge) || !strings.Contains(err.Error(), "the bundles and index are in "+out.OutputDir) {
		t.Fatalf("Publish error = %v, want ErrResultsTooLarge naming the output directory", err)
	}
	if entries, _ := os.ReadDir(results); len(entries) != 0 {
		t.Errorf("%d results written despite the overflow", len(entries))
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

// TestFailHints: the hint fits the failure and the stage it came from. Token hints appear only
// when the run's identity came from the Task's token file; subject hints only before the
// subjects were collected.
func TestFailHints(t *testing.T) {
	t.Parallel()
	const (
		planned   = iota // Plan ran
		collected        // then Check: the subjects were resolved; the identity came from elsewhere
		tokenRead        // then the command read the Task's token file
	)
	tests := []struct {
		name  string
		stage int
		err   error
		want  []string // "" : no hint
	}{
		{"no subjects at all", planned, fmt.Errorf("%w: give files", core.ErrNoSubjects), []string{"subject-path param", "subject-checksums", "--subject NAME@sha256:HEX in extra-args"}},
		{"glob matched nothing", planned, fmt.Errorf("subject glob %q %w", "dist/*.zip", core.ErrNoMatch), []string{"check the subject-path and subject-checksums params"}},
		{"empty directory", planned, fmt.Errorf("subject directory %q: %w", "dist", core.ErrEmptyDir), []string{"binds the same workspace"}},
		{"missing checksums file", planned, fmt.Errorf("reading checksums file %q: %w", "SUMS", fs.ErrNotExist), []string{"subject-checksums"}},
		{"outside the workspace", planned, fmt.Errorf("subject %q: %w", "/etc/passwd", core.ErrOutsideBase), []string{"relative to the source workspace"}},
		{"service account mismatch", collected, fmt.Errorf("Tekton provenance: %w", provenance.ErrEnvMismatch), []string{"service account"}},
		{"wrong audience of the Task's token", tokenRead, fmt.Errorf("%w: the projected token file is for audience x", core.ErrTokenAudience),
			[]string{"serviceAccountToken", "audience: sigstore"}},
		{"expired Task token", tokenRead, fmt.Errorf("%w: expired at", core.ErrTokenExpired), []string{"never with subPath", "refreshes"}},
		{"malformed Task token", tokenRead, fmt.Errorf("%w: 1 part", core.ErrTokenMalformed), []string{EnvTokenFile, DefaultTokenFile}},
		{"Task token missing: its own message suffices", tokenRead, fmt.Errorf("%w: the token file does not exist", core.ErrNoToken), nil},
		{"wrong audience of --identity-token-file: not the Task's business", collected, fmt.Errorf("%w: --identity-token-file", core.ErrTokenAudience), nil},
		{"expired SIGSTORE_ID_TOKEN", collected, fmt.Errorf("%w: SIGSTORE_ID_TOKEN expired", core.ErrTokenExpired), nil},
		{"a missing --identity-token-file is no subject", collected, fmt.Errorf("reading the identity token: no token: %w", fs.ErrNotExist), nil},
		{"too many images: the error says it", collected, fmt.Errorf("60 images: %w", ErrResultsTooLarge), nil},
		{"anything else", collected, errors.New("Fulcio said no"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := workspaceWith(t, "dist/app.tar.gz")
			tok := tokenAt(t)
			var log bytes.Buffer
			a := New(envOf(taskEnv(ws, tok, t.TempDir())), &log)
			plan, err := a.Plan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tt.stage >= collected { // Plan, Check, then the command reads the identity token
				if err := a.Check(sampleRun(ws).Subjects); err != nil {
					t.Fatal(err)
				}
			}
			if tt.stage == tokenRead {
				if _, err := plan.Token.Token(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			a.Fail(tt.err)
			if tt.want == nil {
				if log.Len() != 0 {
					t.Errorf("Fail printed %q, want nothing", log.String())
				}
				return
			}
			if !strings.HasPrefix(log.String(), "tekton: hint: ") {
				t.Errorf("Fail printed %q, want a hint line", log.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(log.String(), w) {
					t.Errorf("Fail printed %q, want a hint mentioning %q", log.String(), w)
				}
			}
		})
	}
}

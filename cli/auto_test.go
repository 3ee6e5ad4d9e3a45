package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/provenance"
)

// TestAutoSigstore: --sigstore auto picks GitHub's instance for private and internal GitHub
// repositories and public-good for public ones, from the verified token (localsigstore's
// GitHub tokens with repository_visibility changed); other platforms' tokens, whatever they
// say of visibility, and a token claiming GitHub's shape without its claims, get public-good.
func TestAutoSigstore(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	tests := []struct {
		preset localsigstore.Preset
		claims map[string]any
		want   string
	}{
		{localsigstore.PresetGitHub, map[string]any{"repository_visibility": "public"}, "public"},
		{localsigstore.PresetGitHub, map[string]any{"repository_visibility": "private"}, "github"},
		{localsigstore.PresetGitHub, map[string]any{"repository_visibility": "internal"}, "github"},
		{localsigstore.PresetGitHub, map[string]any{"repository_visibility": "Private"}, "public"}, // not GitHub's spelling
		{localsigstore.PresetGitLab, map[string]any{"project_visibility": "private"}, "public"},
		{localsigstore.PresetGitLab, map[string]any{"project_visibility": "internal", "repository_visibility": "private"}, "public"},
		{localsigstore.PresetEmail, map[string]any{"repository_visibility": "private"}, "public"},
		{localsigstore.PresetKubernetes, nil, "public"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %v", tt.preset, tt.claims), func(t *testing.T) {
			t.Parallel()
			raw, err := ss.Token(tt.preset, localsigstore.WithClaims(tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			claims, err := provenance.VerifyToken(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := autoSigstore(claims); got != tt.want {
				t.Errorf("auto chose %q, want %q", got, tt.want)
			}
		})
	}
	if got := autoSigstore(nil); got != "public" {
		t.Errorf("no claims (a key): %q", got)
	}
}

// TestGitHubRefusalAdvice: a Fulcio error of GitHub's instance says what to do; other errors
// and other instances are left alone.
func TestGitHubRefusalAdvice(t *testing.T) {
	t.Parallel()
	refused := fmt.Errorf("%w: 403 Forbidden", sigstore.ErrFulcio)
	if err := withSigstoreAdvice("github", refused); !errors.Is(err, sigstore.ErrFulcio) ||
		!strings.Contains(err.Error(), "GitHub Enterprise Cloud") || !strings.Contains(err.Error(), "--sigstore DIR") {
		t.Errorf("advice: %v", err)
	}
	for _, used := range []string{"public", "local", "/dir"} {
		if err := withSigstoreAdvice(used, refused); err != refused {
			t.Errorf("%s: %v", used, err)
		}
	}
	if other := errors.New("x"); withSigstoreAdvice("github", other) != other {
		t.Error("a non-Fulcio error got the advice")
	}
}

// TestGitHubInstanceCommands: a run on GitHub's instance prints verify commands that name it:
// signet verify --sigstore github, gh with no custom trusted root (gh ships GitHub's), and
// cosign with the trusted root signet writes.
func TestGitHubInstanceCommands(t *testing.T) {
	t.Parallel()
	out := ci.Outcome{Index: &core.Index{Signer: &core.Identity{Subject: "https://github.com/o/r/.github/workflows/w.yml@refs/heads/main",
		Issuer: provenance.GitHubIssuer}}, Dir: "/ws", OutputDir: "/ws/attestations", Sigstore: sigstoreUsed("github")}
	v, _ := out.VerifyCommand(5)
	if got := v.Lines(" "); !strings.Contains(got, "--sigstore github") {
		t.Errorf("signet verify: %s", got)
	}
	gh := out.GhCommand("f", "attestations/b.json", "o/r").Lines(" ")
	if strings.Contains(gh, "--custom-trusted-root") {
		t.Errorf("gh: %s", gh)
	}
	root, ok := out.TrustedRootCommand()
	if !ok || !strings.Contains(root.Lines(" "), "--sigstore github") {
		t.Errorf("trusted root command: %v %v", root, ok)
	}
}

// TestAutoSigstoreRun follows --sigstore auto through whole runs, with a local Sigstore behind
// both instance names (GitHub's and public-good's are not reachable here): private and
// internal GitHub tokens sign on "github", public ones on "public", and the report's verify
// command names the instance the run used.
func TestAutoSigstoreRun(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	local := func(name string, used *[]string) func(context.Context, string, ...sigstore.PublicOption) (*sigstore.Material, error) {
		return func(context.Context, string, ...sigstore.PublicOption) (*sigstore.Material, error) {
			*used = append(*used, name)
			return sigstore.LoadDir(ss.Dir)
		}
	}
	for _, tt := range []struct{ visibility, want string }{{"private", "github"}, {"internal", "github"}, {"public", "public"}} {
		t.Run(tt.visibility, func(t *testing.T) {
			t.Parallel()
			dir := workspace(t)
			var used []string
			cfg := attestConfig{Inputs: core.Inputs{Paths: []string{"dist/app.tar.gz"}}, Dir: dir, Algorithm: core.SHA256,
				MaxSubjects: 10, OutputDir: "attestations", Sigstore: "auto", Platform: "local", platformAuto: true,
				TokenFile: ss.tokenFile(t, localsigstore.PresetGitHub, localsigstore.WithClaims(map[string]any{"repository_visibility": tt.visibility})),
				instances: instances{public: local("public", &used), github: local("github", &used)}}
			env := Env{Getenv: func(string) string { return "" }, Stdout: io.Discard, Stderr: io.Discard, Dir: dir}
			res, err := runAttest(context.Background(), env, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(used) != 1 || used[0] != tt.want || res.Sigstore != tt.want {
				t.Fatalf("loaded %v, outcome on %q; want %s", used, res.Sigstore, tt.want)
			}
			cmd, _ := res.VerifyCommand(5)
			if named := strings.Contains(cmd.Lines(" "), "--sigstore github"); named != (tt.want == "github") {
				t.Errorf("verify command %q", cmd.Lines(" "))
			}
			if res.Visibility != tt.visibility {
				t.Errorf("outcome visibility %q", res.Visibility)
			}
		})
	}
}

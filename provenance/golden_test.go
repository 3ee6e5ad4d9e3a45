package provenance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	provenancev1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	"github.com/signet-ci/signet/core"
	"google.golang.org/protobuf/encoding/protojson"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// fixture is one realistic build: token claims and environment (CI), Task params (Tekton) or a
// git repository to create (local), plus what the run adds.
type fixture struct {
	Comment     string            `json:"comment"`
	Claims      map[string]any    `json:"claims"`
	Env         map[string]string `json:"env"`
	Tekton      *TektonParams     `json:"tekton"`
	Git         *gitFixture       `json:"git"`
	ToolVersion string            `json:"toolVersion"`
	Materials   []string          `json:"materials"`
	Run         struct {
		StartedOn  time.Time      `json:"startedOn"`
		FinishedOn time.Time      `json:"finishedOn"`
		Byproducts []core.Subject `json:"byproducts"`
	} `json:"run"`
	WantErr string `json:"wantErr"`
	WantMsg string `json:"wantMsg"`
}

type gitFixture struct {
	Remote   string `json:"remote"`
	Branch   string `json:"branch"`
	Dirty    bool   `json:"dirty"`
	Detached bool   `json:"detached"`
}

var sentinels = map[string]error{
	"ErrEnvMismatch": ErrEnvMismatch, "ErrNoConfigRef": ErrNoConfigRef, "ErrClaim": ErrClaim,
	"ErrParam": ErrParam, "ErrMaterial": ErrMaterial,
}

// golden is one fixture file and the platform its directory names.
type golden struct {
	platform Platform
	name     string
	path     string
	fx       fixture
}

func loadFixtures(t *testing.T) []golden {
	t.Helper()
	var out []golden
	for _, p := range []Platform{GitHub, GitLab, Tekton, Local} {
		files, err := filepath.Glob(filepath.Join("testdata", string(p), "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, ".golden.json") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			dec.DisallowUnknownFields()
			var fx fixture
			if err := dec.Decode(&fx); err != nil {
				t.Fatalf("fixture %s: %v", f, err)
			}
			out = append(out, golden{platform: p, name: strings.TrimSuffix(filepath.Base(f), ".json"), path: f, fx: fx})
		}
	}
	if len(out) < 16 {
		t.Fatalf("found %d fixtures under testdata/, expected at least 16", len(out))
	}
	return out
}

// verifiedClaims signs the fixture's claims with the test issuer and verifies them as
// signet would, so every golden predicate is built from a really verified token.
func verifiedClaims(t *testing.T, ti *testIssuer, raw map[string]any) *Claims {
	t.Helper()
	c := map[string]any{"aud": "sigstore", "iat": tokenNow.Unix(), "nbf": tokenNow.Add(-5 * time.Second).Unix(),
		"exp": tokenNow.Add(5 * time.Minute).Unix()}
	for k, v := range raw {
		c[k] = v
	}
	iss, _ := c["iss"].(string)
	claims, err := VerifyToken(context.Background(), ti.sign(t, c), WithIssuer(iss), WithHTTPClient(ti.redirectClient()),
		WithNow(func() time.Time { return tokenNow.Add(time.Minute) }))
	if err != nil {
		t.Fatalf("verifying the fixture's token: %v", err)
	}
	return claims
}

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// buildContext makes the fixture's build context; claims is nil for local builds.
func buildContext(t *testing.T, g golden, claims *Claims) (BuildContext, error) {
	t.Helper()
	var bc BuildContext
	var err error
	switch g.platform {
	case GitHub:
		bc, err = NewGitHub(claims, envFunc(g.fx.Env))
	case GitLab:
		bc, err = NewGitLab(claims, envFunc(g.fx.Env))
	case Tekton:
		bc, err = NewTekton(claims, *g.fx.Tekton)
	case Local:
		bc, err = localContext(t, g.fx)
	}
	if err != nil {
		return nil, err
	}
	var ms []Material
	for _, s := range g.fx.Materials {
		m, err := ParseMaterial(s)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	bc.WithMaterials(ms)
	return bc, nil
}

func localContext(t *testing.T, fx fixture) (*LocalContext, error) {
	dir := t.TempDir()
	if fx.Git != nil {
		makeRepo(t, dir, *fx.Git)
	}
	l, err := NewLocal(t.Context(), dir, fx.ToolVersion)
	if err != nil {
		return nil, err
	}
	l.OS, l.Arch = "linux", "amd64"
	return l, nil
}

// makeRepo creates a git repository with one commit whose hash is fixed by its content,
// author and dates; git must be installed (the local tests fail without it).
func makeRepo(t *testing.T, dir string, g gitFixture) {
	t.Helper()
	env := []string{"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + dir,
		"GIT_AUTHOR_NAME=Signet Test", "GIT_AUTHOR_EMAIL=test@signet.invalid", "GIT_AUTHOR_DATE=2026-08-20T09:00:00Z",
		"GIT_COMMITTER_NAME=Signet Test", "GIT_COMMITTER_EMAIL=test@signet.invalid", "GIT_COMMITTER_DATE=2026-08-20T09:00:00Z"}
	run := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q", "-b", g.Branch)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "main.go")
	run("commit", "-q", "--no-gpg-sign", "-m", "initial commit")
	if g.Remote != "" {
		run("remote", "add", "origin", g.Remote)
	}
	if g.Detached {
		run("checkout", "-q", "--detach")
	}
	if g.Dirty {
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { panic(1) }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGolden builds a predicate for every fixture under testdata/<platform>/ and compares it
// with <name>.golden.json (go test -update rewrites them), after validating it with in-toto's
// own provenance types and checking it against the certificate Fulcio would issue.
func TestGolden(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	for _, g := range loadFixtures(t) {
		t.Run(string(g.platform)+"/"+g.name, func(t *testing.T) {
			t.Parallel()
			var claims *Claims
			if g.platform != Local {
				claims = verifiedClaims(t, ti, g.fx.Claims)
			}
			bc, err := buildContext(t, g, claims)
			if g.fx.WantErr != "" {
				assertFixtureError(t, g, err)
				return
			}
			if err != nil {
				t.Fatalf("building the %s context: %v", g.platform, err)
			}
			if bc.Platform() != g.platform {
				t.Errorf("Platform() = %q, want %q", bc.Platform(), g.platform)
			}
			run := core.Run{StartedOn: g.fx.Run.StartedOn, FinishedOn: g.fx.Run.FinishedOn, Byproducts: g.fx.Run.Byproducts}
			pred, err := bc.Provenance(t.Context(), run)
			if err != nil {
				t.Fatalf("Provenance: %v", err)
			}
			validateInToto(t, pred)
			if claims != nil {
				if err := CheckConsistency(pred, ExpectedExtensions(claims)); err != nil {
					t.Errorf("predicate contradicts the expected certificate: %v", err)
				}
			}
			compareGolden(t, strings.TrimSuffix(g.path, ".json")+".golden.json", pred.JSON)
			checkFacts(t, g, pred, claims)
		})
	}
}

func assertFixtureError(t *testing.T, g golden, err error) {
	t.Helper()
	want, ok := sentinels[g.fx.WantErr]
	if !ok {
		t.Fatalf("fixture wantErr %q is not a known sentinel", g.fx.WantErr)
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
	if !strings.Contains(err.Error(), g.fx.WantMsg) {
		t.Errorf("error %q\ndoes not say %q", err, g.fx.WantMsg)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error leaks a credential: %v", err)
	}
}

// validateInToto decodes the predicate with in-toto attestation's SLSA v1 proto and validates it.
func validateInToto(t *testing.T, pred core.Predicate) {
	t.Helper()
	if pred.Type != "https://slsa.dev/provenance/v1" {
		t.Errorf("predicate type %q", pred.Type)
	}
	var pb provenancev1.Provenance
	if err := protojson.Unmarshal(pred.JSON, &pb); err != nil {
		t.Fatalf("in-toto provenance v1 cannot decode the predicate: %v", err)
	}
	if err := pb.Validate(); err != nil {
		t.Fatalf("in-toto provenance v1 rejects the predicate: %v", err)
	}
	if _, err := core.Statements([]core.Subject{{Name: "app", Digest: map[string]string{"sha256": strings.Repeat("ab", 32)}}}, pred, 1); err != nil {
		t.Fatalf("core cannot make a statement of the predicate: %v", err)
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatal(err)
	}
	pretty, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	pretty = append(pretty, '\n')
	if *update {
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test ./provenance -update to create it): %v", err)
	}
	var w any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden file %s: %v", path, err)
	}
	if diff := cmp.Diff(w, v); diff != "" {
		t.Errorf("predicate differs from %s (-want +got):\n%s", path, diff)
	}
}

// checkFacts reads the facts back from a statement and compares them with <name>.facts.golden.json,
// which also holds the certificate extensions ExpectedExtensions computes for the token.
func checkFacts(t *testing.T, g golden, pred core.Predicate, claims *Claims) {
	t.Helper()
	st, err := core.Statements([]core.Subject{{Name: "app", Digest: map[string]string{"sha256": strings.Repeat("cd", 32)}}}, pred, 1)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := ExtractFacts(st[0])
	if err != nil {
		t.Fatalf("ExtractFacts: %v", err)
	}
	if facts.Platform != g.platform {
		t.Errorf("facts platform %q, want %q", facts.Platform, g.platform)
	}
	record := map[string]any{"facts": facts}
	if claims != nil {
		record["certificateExtensions"] = ExpectedExtensions(claims)
		record["visibility"] = claims.Visibility()
		record["private"] = claims.IsPrivate()
	}
	b, err := json.Marshal(record)
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, strings.TrimSuffix(g.path, ".json")+".facts.golden.json", b)
}

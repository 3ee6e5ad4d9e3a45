package gitlab_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/gitlab"
	"github.com/signet-ci/signet/internal/golden"
	"github.com/signet-ci/signet/provenance"
)

// unsignedJWT builds a JWT-shaped string with the given claims and a dummy signature: the
// adapter reads payloads only to explain, never to trust, so no signature is needed here.
func unsignedJWT(t testing.TB, claims map[string]any) string {
	t.Helper()
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(p) + "." + enc([]byte("not-a-signature-"+t.Name()))
}

func gitlabClaims(over map[string]any) map[string]any {
	c := map[string]any{
		"iss": "https://gitlab.com", "aud": "sigstore", "exp": time.Now().Add(time.Hour).Unix(),
		"project_path": "group/app", "ci_config_ref_uri": "gitlab.com/group/app//.gitlab-ci.yml@refs/heads/main",
	}
	maps.Copy(c, over)
	return c
}

// jobEnv is a GitLab job's environment, with the component's variables at their defaults.
func jobEnv(dir string, over map[string]string) map[string]string {
	env := map[string]string{
		"GITLAB_CI": "true", "CI": "true", "CI_PROJECT_DIR": dir, "CI_SERVER_URL": "https://gitlab.com",
		"CI_PROJECT_PATH": "group/app", "CI_CONFIG_PATH": ".gitlab-ci.yml", "CI_PIPELINE_SOURCE": "push",
		"CI_PIPELINE_URL": "https://gitlab.com/group/app/-/pipelines/42", "CI_JOB_ID": "4242", "CI_JOB_NAME": "signet-attest",
		"CI_JOB_URL": "https://gitlab.com/group/app/-/jobs/4242", "CI_COMMIT_SHA": strings.Repeat("c", 40), "CI_COMMIT_REF_NAME": "main",
		gitlab.VarSigstore: "public", gitlab.VarOutputDir: "attestations", gitlab.VarMaxSubjects: "1024",
		gitlab.VarPrivateRepoTlog: "false", gitlab.VarDotenv: "attestations/signet.env",
		gitlab.VarAnnotations: "attestations/signet-annotations.json",
	}
	maps.Copy(env, over)
	for k, v := range over {
		if v == "-" {
			delete(env, k)
		}
	}
	return env
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	dir := "/builds/group/app"
	tests := []struct {
		name    string
		env     map[string]string
		claims  map[string]any // nil: no token
		req     gitlab.Request
		want    gitlab.Plan
		wantIs  []error
		wantErr []string
	}{
		{name: "component inputs", claims: gitlabClaims(nil),
			env: map[string]string{gitlab.VarSubjectPath: "dist/a, dist/b\ndist/**/*.tar.gz", gitlab.VarSubjectChecksums: "SUMS",
				gitlab.VarSBOM: "spdx-json,cyclonedx-json", gitlab.VarSigstore: ".sigstore", gitlab.VarMaxSubjects: "10",
				gitlab.VarPrivateRepoTlog: "true"},
			req: gitlab.Request{Inputs: core.Inputs{Paths: []string{"bin/x"}, Refs: []string{"img@sha256:" + strings.Repeat("a", 64)}}},
			want: gitlab.Plan{Dir: dir, Inputs: core.Inputs{Paths: []string{"bin/x", "dist/a", "dist/b", "dist/**/*.tar.gz"},
				ChecksumFiles: []string{"SUMS"}, Refs: []string{"img@sha256:" + strings.Repeat("a", 64)}},
				Settings: gitlab.Inputs{SubjectPaths: []string{"dist/a", "dist/b", "dist/**/*.tar.gz"}, ChecksumFiles: []string{"SUMS"},
					SBOMFormats: []string{"cyclonedx-json", "spdx-json"}, Sigstore: dir + "/.sigstore", OutputDir: "attestations",
					MaxSubjects: 10, PrivateRepoTlog: true}}},
		{name: "own identity needs no token", env: map[string]string{gitlab.VarSubjectPath: "dist/"},
			req:  gitlab.Request{OwnIdentity: true},
			want: gitlab.Plan{Dir: dir, Inputs: core.Inputs{Paths: []string{"dist/"}}, Settings: gitlab.Inputs{SubjectPaths: []string{"dist/"}, Sigstore: "public", OutputDir: "attestations", MaxSubjects: 1024}}},
		{name: "no id_tokens", wantIs: []error{gitlab.ErrNoIDToken},
			wantErr: []string{"SIGSTORE_ID_TOKEN is not set", "`id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`"}},
		{name: "wrong audience", claims: gitlabClaims(map[string]any{"aud": []string{"vault"}}), wantIs: []error{gitlab.ErrTokenAudience},
			wantErr: []string{`audience ["vault"]`, "aud: sigstore"}},
		{name: "expired", claims: gitlabClaims(map[string]any{"exp": 1700000000}), wantIs: []error{gitlab.ErrTokenExpired},
			wantErr: []string{"expired at 2023-11-14T22:13:20Z", "job's timeout"}},
		{name: "null ci_config_ref_uri", claims: gitlabClaims(map[string]any{"ci_config_ref_uri": nil}),
			wantIs:  []error{provenance.ErrNoConfigRef},
			wantErr: []string{"ci_config_ref_uri claim of SIGSTORE_ID_TOKEN is null", `project "group/app"`, "https://<nil>", "own .gitlab-ci.yml"}},
		{name: "child pipeline", claims: gitlabClaims(map[string]any{"ci_config_ref_uri": nil}),
			env:    map[string]string{"CI_PIPELINE_SOURCE": "parent_pipeline"},
			wantIs: []error{provenance.ErrNoConfigRef}, wantErr: []string{"child pipeline", "parent pipeline's own configuration"}},
		{name: "configuration in another project", claims: gitlabClaims(map[string]any{"ci_config_ref_uri": nil}),
			env:    map[string]string{"CI_CONFIG_PATH": "ci/app.yml@platform/pipelines"},
			wantIs: []error{provenance.ErrNoConfigRef}, wantErr: []string{`CI_CONFIG_PATH "ci/app.yml@platform/pipelines"`}},
		{name: "absent ci_config_ref_uri", claims: map[string]any{"aud": "sigstore", "project_path": "group/app"},
			wantIs: []error{provenance.ErrNoConfigRef}, wantErr: []string{"SIGSTORE_ID_TOKEN is absent", "does not carry the claim"}},
		{name: "not a JWT", env: map[string]string{gitlab.TokenVariable: "abc.def"}, wantIs: []error{gitlab.ErrTokenMalformed},
			wantErr: []string{"2 dot-separated part(s)"}},
		{name: "outside a job", claims: gitlabClaims(nil), env: map[string]string{"CI_PROJECT_DIR": "-", "CI_JOB_URL": "ftp://x"},
			wantIs: []error{gitlab.ErrNotInJob}, wantErr: []string{"CI_PROJECT_DIR is not set", `CI_JOB_URL "ftp://x"`}},
		{name: "bad inputs", claims: gitlabClaims(nil), env: map[string]string{gitlab.VarSBOM: "spdx", gitlab.VarSigstore: "local",
			gitlab.VarOutputDir: "../out", gitlab.VarMaxSubjects: "0", gitlab.VarPrivateRepoTlog: "yes"},
			wantIs: []error{gitlab.ErrInput}, wantErr: []string{"input sbom (SIGNET_SBOM): \"spdx\"", "input sigstore (SIGNET_SIGSTORE)",
				"input output-dir (SIGNET_OUTPUT_DIR): \"../out\"", "input max-subjects (SIGNET_MAX_SUBJECTS): \"0\"",
				"input private-repo-tlog (SIGNET_PRIVATE_REPO_TLOG): \"yes\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := jobEnv(dir, tt.env)
			token := env[gitlab.TokenVariable]
			if tt.claims != nil {
				token = unsignedJWT(t, tt.claims)
				env[gitlab.TokenVariable] = token
			}
			plan, err := gitlab.New(envOf(env), nil).Prepare(context.Background(), tt.req)
			if len(tt.wantIs)+len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if (plan.Tokens == nil) != tt.req.OwnIdentity {
					t.Errorf("Tokens %v with OwnIdentity %v", plan.Tokens, tt.req.OwnIdentity)
				}
				plan.Tokens = nil
				if diff := cmpDiff(tt.want, plan); diff != "" {
					t.Errorf("plan (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatal("Prepare succeeded; want an error")
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("error is not %v: %v", target, err)
				}
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q:\n%v", s, err)
				}
			}
			if token != "" && strings.Contains(err.Error(), token) {
				t.Errorf("error contains the token: %v", err)
			}
		})
	}
}

// TestTokenSourceRereads checks that the token source reads the variable at each call.
func TestTokenSourceRereads(t *testing.T) {
	t.Parallel()
	env := jobEnv("/builds/g/p", nil)
	ts := gitlab.NewTokenSource(envOf(env), gitlab.Job{})
	env[gitlab.TokenVariable] = unsignedJWT(t, gitlabClaims(nil))
	got, err := ts.Token(context.Background())
	if err != nil || got != env[gitlab.TokenVariable] {
		t.Fatalf("Token() = %q, %v", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ts.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token(canceled) error %v, want context.Canceled", err)
	}
}

// sampleIndex is an index as attest writes it: two files and an image, provenance and SBOM.
func sampleIndex() *core.Index {
	ts := time.Date(2026, 8, 21, 9, 30, 0, 0, time.UTC)
	d := func(c string) map[string]string { return map[string]string{"sha256": strings.Repeat(c, 64)} }
	return &core.Index{
		MediaType: core.IndexMediaType,
		Signer:    &core.Identity{Subject: "https://gitlab.com/group/app//.gitlab-ci.yml@refs/heads/main", Issuer: "https://gitlab.com"},
		Tlog:      core.TlogDecision{Used: true},
		Attestations: []core.IndexAttestation{
			{Bundle: "provenance.sigstore.json", PredicateType: core.ProvenancePredicateType, SubjectCount: 3,
				LogEntry: &core.LogEntry{URL: "https://rekor.sigstore.dev", Index: 123456789}, Timestamps: []time.Time{ts}},
			{Bundle: "sbom/app.spdx.sigstore.json", PredicateType: "https://spdx.dev/Document/v2.3", SubjectCount: 1,
				LogEntry: &core.LogEntry{URL: "https://rekor.example.com", Index: 7}},
		},
		Subjects: []core.IndexSubject{
			{Name: "dist/app", Digest: d("a"), Bundles: []string{"provenance.sigstore.json", "sbom/app.spdx.sigstore.json"}},
			{Name: "dist/app v2.tar.gz", Digest: d("b"), Bundles: []string{"provenance.sigstore.json"}},
			{Name: "ghcr.io/group/app", Digest: d("d"), Bundles: []string{"provenance.sigstore.json"}},
		},
	}
}

var sectionTime = regexp.MustCompile(`section_(start|end):\d+:`)

// TestPublish checks the job-log summary, the dotenv report (read back with GitLab's rules)
// and the annotations report against golden files.
func TestPublish(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "attestations")
	for _, d := range []string{out, filepath.Join(dir, "dist")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "dist", "app"), []byte("app"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := jobEnv(dir, nil)
	env[gitlab.TokenVariable] = unsignedJWT(t, gitlabClaims(nil))
	var log bytes.Buffer
	a := gitlab.New(envOf(env), &log)
	if _, err := a.Prepare(context.Background(), gitlab.Request{Inputs: core.Inputs{Paths: []string{"dist"}}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(context.Background(), gitlab.Run{Index: sampleIndex(), OutputDir: out}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "summary.log"), sectionTime.ReplaceAll(log.Bytes(), []byte("section_$1:TIME:")))

	dotenv := readFile(t, filepath.Join(dir, env[gitlab.VarDotenv]))
	golden.Check(t, filepath.Join("testdata", "signet.env"), dotenv)
	vars, err := parseGitLabDotenv(dotenv, gitlab.DotenvMaxBytes, gitlab.DotenvMaxVariables)
	if err != nil {
		t.Fatalf("GitLab would refuse the dotenv report: %v", err)
	}
	if vars[gitlab.KeyIndex] != "attestations/index.json" || vars[gitlab.KeySubjectCount] != "3" || vars[gitlab.KeyLogIndex] != "123456789" {
		t.Errorf("dotenv variables %v", vars)
	}
	ann := readFile(t, filepath.Join(dir, env[gitlab.VarAnnotations]))
	golden.Check(t, filepath.Join("testdata", "signet-annotations.json"), ann)
	checkAnnotations(t, ann, 4)
	if strings.Contains(string(ann), "rekor.example.com") {
		t.Error("annotations link a private log's entry; only search.sigstore.dev pages are known to exist")
	}
	if strings.Contains(log.String()+string(dotenv)+string(ann), env[gitlab.TokenVariable]) {
		t.Error("the token appears in the log or a report")
	}
}

// checkAnnotations decodes an annotations report strictly in the documented shape.
func checkAnnotations(t *testing.T, b []byte, minLinks int) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var rep map[string][]struct {
		ExternalLink struct {
			Label string `json:"label"`
			URL   string `json:"url"`
		} `json:"external_link"`
	}
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("annotations report is not {section: [{external_link: {label, url}}]}: %v\n%s", err, b)
	}
	links := rep[gitlab.AnnotationSection]
	if len(rep) != 1 || len(links) < minLinks || len(links) > gitlab.MaxLinks {
		t.Fatalf("annotations report has sections %d and %d links in %q, want 1 section with %d to %d:\n%s",
			len(rep), len(links), gitlab.AnnotationSection, minLinks, gitlab.MaxLinks, b)
	}
	for _, l := range links {
		if l.ExternalLink.Label == "" || !strings.HasPrefix(l.ExternalLink.URL, "https://") && !strings.HasPrefix(l.ExternalLink.URL, "http://") {
			t.Errorf("annotation %+v: want a label and an http(s) URL", l)
		}
	}
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPublishRefusesUnreadableDotenv checks that an output directory GitLab's dotenv cannot
// carry fails with the variable, the reason, and where the bundles are.
func TestPublishRefusesUnreadableDotenv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := jobEnv(dir, nil)
	a := gitlab.New(envOf(env), nil)
	if _, err := a.Prepare(context.Background(), gitlab.Request{OwnIdentity: true}); err != nil {
		t.Fatal(err)
	}
	err := a.Publish(context.Background(), gitlab.Run{Index: sampleIndex(), OutputDir: filepath.Join(dir, "my attestations")})
	if !errors.Is(err, gitlab.ErrDotenv) || !strings.Contains(err.Error(), "SIGNET_DOTENV") || !strings.Contains(err.Error(), "my attestations") {
		t.Errorf("Publish error %v, want ErrDotenv naming SIGNET_DOTENV and the output directory", err)
	}
}

func TestSection(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	now := time.Unix(1755768600, 0)
	if err := gitlab.Section(&b, now, "signet_summary", "signet: header", "line 1\nline 2", false); err != nil {
		t.Fatal(err)
	}
	want := "\x1b[0Ksection_start:1755768600:signet_summary[collapsed=true]\r\x1b[0Ksignet: header\nline 1\nline 2\n" +
		"\x1b[0Ksection_end:1755768600:signet_summary\r\x1b[0K\n"
	if diff := cmpDiff(want, b.String()); diff != "" {
		t.Errorf("Section (-want +got):\n%s", diff)
	}
}

func TestFailHints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("subject %q: %w", "dist/*.zip", core.ErrNoMatch), "`signet-attest: {needs: [build]}`"},
		{fmt.Errorf("x: %w", core.ErrNoSubjects), "subject-path input"},
		{fmt.Errorf("x: %w", core.ErrOutsideBase), "relative to the project directory (/builds/group/app)"},
		{fmt.Errorf("x: %w", core.ErrExists), "its own output-dir"},
		{fmt.Errorf("x: %w", provenance.ErrEnvMismatch), "predefined CI_* variables"},
		{errors.New("other"), ""},
	}
	for _, tt := range tests {
		var log bytes.Buffer
		a := gitlab.New(envOf(jobEnv("/builds/group/app", nil)), &log)
		if _, err := a.Prepare(context.Background(), gitlab.Request{OwnIdentity: true}); err != nil {
			t.Fatal(err)
		}
		a.Fail(tt.err)
		if tt.want == "" {
			if log.Len() != 0 {
				t.Errorf("Fail(%v) wrote %q, want nothing", tt.err, log.String())
			}
			continue
		}
		if !strings.HasPrefix(log.String(), "signet: hint: ") || !strings.Contains(log.String(), tt.want) {
			t.Errorf("Fail(%v) wrote %q, want a hint containing %q", tt.err, log.String(), tt.want)
		}
	}
}

func TestJob(t *testing.T) {
	t.Parallel()
	j, err := gitlab.ReadJob(envOf(map[string]string{"CI_PROJECT_DIR": "/builds/g/p", "CI_JOB_URL": "https://gl.example.com/g/p/-/jobs/9/"}))
	if err != nil {
		t.Fatal(err)
	}
	if j.ServerURL != gitlab.DefaultServerURL || j.ConfigPath != ".gitlab-ci.yml" {
		t.Errorf("defaults: server %q, config %q", j.ServerURL, j.ConfigPath)
	}
	tests := []struct{ in, rel, url string }{
		{"/builds/g/p/attestations/index.json", "attestations/index.json", "https://gl.example.com/g/p/-/jobs/9/artifacts/file/attestations/index.json"},
		{"/builds/g/p/a b/#1.json", "a b/#1.json", "https://gl.example.com/g/p/-/jobs/9/artifacts/file/a%20b/%231.json"},
		{"/tmp/x.json", "/tmp/x.json", ""},
	}
	for _, tt := range tests {
		if got := j.Rel(tt.in); got != tt.rel {
			t.Errorf("Rel(%q) = %q, want %q", tt.in, got, tt.rel)
		}
		if tt.url != "" {
			if got := j.ArtifactURL(j.Rel(tt.in)); got != tt.url {
				t.Errorf("ArtifactURL(%q) = %q, want %q", tt.rel, got, tt.url)
			}
		}
		if in := j.InProject(tt.in); in != (tt.url != "") {
			t.Errorf("InProject(%q) = %v", tt.in, in)
		}
	}
}

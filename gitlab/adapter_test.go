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

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/gitlab"
	"github.com/signet-ci/signet/internal/golden"
	"github.com/signet-ci/signet/provenance"

	"github.com/signet-ci/signet/internal/shellwords"
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
		gitlab.VarAnnotations: "attestations/signet-annotations.json", gitlab.VarMetricsFile: "signet-metrics.txt",
	}
	maps.Copy(env, over)
	for k, v := range over {
		if v == "-" {
			delete(env, k)
		}
	}
	return env
}

// sigstoreDir writes a private Sigstore's two files into dir/name.
func sigstoreDir(t *testing.T, dir, name string) {
	t.Helper()
	writeFiles(t, dir, map[string]string{name + "/trusted_root.json": "{}", name + "/signing_config.json": "{}"})
}

// TestPlan reads the component's inputs in GitLab's syntax through ci.Reader: lists split on
// spaces, commas and newlines, booleans spelled true or false, paths against CI_PROJECT_DIR,
// and every bad input at once, each a *ci.InputError naming the input and its variable.
func TestPlan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sigstoreDir(t, dir, ".sigstore")
	writeFiles(t, dir, map[string]string{"half/trusted_root.json": "{}", "pred.json": `{"ok":true}`, "keys/release.pem": "not read by Plan"})
	defaults := ci.Settings{Sigstore: "public", OutputDir: "attestations", MaxSubjects: 1024, MetricsFile: filepath.Join(dir, "signet-metrics.txt")}
	with := func(f func(*ci.Settings)) ci.Settings { s := defaults; f(&s); return s }
	type bad struct{ input, variable, says string }
	tests := []struct {
		name     string
		env      map[string]string
		subjects core.Inputs
		settings ci.Settings
		bad      []bad
	}{
		{name: "defaults", settings: defaults},
		{name: "lists split on spaces, commas, tabs and newlines",
			env:      map[string]string{gitlab.VarSubjectPath: " dist/a, dist/b\n\tdist/**/*.tar.gz,,\r\n", gitlab.VarSubjectChecksums: "SUMS other/SUMS"},
			subjects: core.Inputs{Paths: []string{"dist/a", "dist/b", "dist/**/*.tar.gz"}, ChecksumFiles: []string{"SUMS", "other/SUMS"}},
			settings: defaults},
		{name: "every setting", env: map[string]string{gitlab.VarSBOM: "spdx-json,cyclonedx-json spdx-json", gitlab.VarSigstore: ".sigstore",
			gitlab.VarOutputDir: "out/./att/", gitlab.VarMaxSubjects: " 10 ", gitlab.VarPrivateRepoTlog: "true"},
			settings: ci.Settings{SBOMFormats: []string{"cyclonedx-json", "spdx-json"}, Sigstore: filepath.Join(dir, ".sigstore"),
				OutputDir: "out/att", MaxSubjects: 10, PrivateRepoTlog: true, MetricsFile: filepath.Join(dir, "signet-metrics.txt")}},
		{name: "absolute sigstore directory", env: map[string]string{gitlab.VarSigstore: filepath.Join(dir, ".sigstore") + "/"},
			settings: with(func(s *ci.Settings) { s.Sigstore = filepath.Join(dir, ".sigstore") })},
		{name: "unset inputs leave the flags alone", env: map[string]string{gitlab.VarSigstore: "-", gitlab.VarOutputDir: "-",
			gitlab.VarMaxSubjects: "-", gitlab.VarPrivateRepoTlog: "-", gitlab.VarMetricsFile: "-"}},
		{name: "an output-dir the dotenv cannot carry is fine without a dotenv report",
			env:      map[string]string{gitlab.VarOutputDir: "my attestations", gitlab.VarDotenv: "-"},
			settings: with(func(s *ci.Settings) { s.OutputDir = "my attestations" })},
		{name: "look-alike variables are not inputs", env: map[string]string{"SIGNET_SUBJECT-PATH": "x", "signet_subject_path": "y",
			"INPUT_SUBJECT-PATH": "z", "SIGNET_SUBJECT_PATHS": "w", "SIGNET_PRIVATE_REPO_TLOG ": "true",
			"signet_key": "awskms:///alias/x", "SIGNET_KEYS": "awskms:///alias/x", "INPUT_KEY": "awskms:///alias/x", "SIGNET_TEKTON_KEY": "awskms:///alias/x"}, settings: defaults},
		{name: "booleans are GitLab's true and false only", env: map[string]string{gitlab.VarPrivateRepoTlog: "True"},
			bad: []bad{{"private-repo-tlog", gitlab.VarPrivateRepoTlog, `"True": expected "true" or "false"`}}},
		{name: "yes is no boolean", env: map[string]string{gitlab.VarPrivateRepoTlog: "yes"},
			bad: []bad{{"private-repo-tlog", gitlab.VarPrivateRepoTlog, `"yes"`}}},
		{name: "sbom format", env: map[string]string{gitlab.VarSBOM: "spdx-json SPDX-JSON"},
			bad: []bad{{"sbom", gitlab.VarSBOM, `"SPDX-JSON": expected spdx-json or cyclonedx-json`}}},
		{name: "sigstore local is refused with the reason", env: map[string]string{gitlab.VarSigstore: "local"},
			bad: []bad{{"sigstore", gitlab.VarSigstore, "cannot read GitLab's ID token"}}},
		{name: "sigstore case variants", env: map[string]string{gitlab.VarSigstore: "Public"},
			bad: []bad{{"sigstore", gitlab.VarSigstore, "write a directory of that name as ./Public"}}},
		{name: "sigstore directory without its files", env: map[string]string{gitlab.VarSigstore: "half"},
			bad: []bad{{"sigstore", gitlab.VarSigstore, `"half": the directory has no signing_config.json`}}},
		{name: "sigstore directory missing", env: map[string]string{gitlab.VarSigstore: "nowhere"},
			bad: []bad{{"sigstore", gitlab.VarSigstore, `"nowhere": the directory has no trusted_root.json`}}},
		{name: "output-dir outside the project", env: map[string]string{gitlab.VarOutputDir: "../out"},
			bad: []bad{{"output-dir", gitlab.VarOutputDir, `"../out": expected a directory inside the project directory`}}},
		{name: "output-dir absolute", env: map[string]string{gitlab.VarOutputDir: "/tmp/out"},
			bad: []bad{{"output-dir", gitlab.VarOutputDir, "no absolute path"}}},
		{name: "output-dir is the project", env: map[string]string{gitlab.VarOutputDir: "a/.."},
			bad: []bad{{"output-dir", gitlab.VarOutputDir, "a directory of its own"}}},
		{name: "output-dir the dotenv report cannot carry", env: map[string]string{gitlab.VarOutputDir: "my $HOME"},
			bad: []bad{{"output-dir", gitlab.VarOutputDir, "SIGNET_DOTENV"}}},
		{name: "subject by name and digest", env: map[string]string{gitlab.VarSubjectName: "registry.example.com/app",
			gitlab.VarSubjectDigest: "sha256:" + strings.Repeat("ab", 32)},
			subjects: core.Inputs{Refs: []string{"registry.example.com/app@sha256:" + strings.Repeat("ab", 32)},
				RefsFrom: "input subject-name (SIGNET_SUBJECT_NAME)"}, settings: defaults},
		{name: "custom predicate", env: map[string]string{gitlab.VarPredicateType: "https://example.com/t/v1", gitlab.VarPredicatePath: "pred.json"},
			settings: with(func(s *ci.Settings) {
				s.PredicateType, s.PredicatePath = "https://example.com/t/v1", filepath.Join(dir, "pred.json")
			})},
		{name: "subject-name without digest", env: map[string]string{gitlab.VarSubjectName: "app"},
			bad: []bad{{"subject-digest", gitlab.VarSubjectDigest, "subject-name"}}},
		{name: "subject-digest too short", env: map[string]string{gitlab.VarSubjectName: "app", gitlab.VarSubjectDigest: "sha256:abc"},
			bad: []bad{{"subject-digest", gitlab.VarSubjectDigest, "sha256:abc"}}},
		{name: "subject-digest of another algorithm", env: map[string]string{gitlab.VarSubjectName: "app", gitlab.VarSubjectDigest: "md5:" + strings.Repeat("ab", 16)},
			bad: []bad{{"subject-digest", gitlab.VarSubjectDigest, "md5:"}}},
		{name: "predicate-type without path", env: map[string]string{gitlab.VarPredicateType: "https://example.com/t/v1"},
			bad: []bad{{"predicate-path", gitlab.VarPredicatePath, "predicate-type"}}},
		{name: "predicate-path outside the project", env: map[string]string{gitlab.VarPredicateType: "https://example.com/t/v1", gitlab.VarPredicatePath: "../pred.json"},
			bad: []bad{{"predicate-path", gitlab.VarPredicatePath, "inside the project directory"}}},
		{name: "predicate-path missing", env: map[string]string{gitlab.VarPredicateType: "https://example.com/t/v1", gitlab.VarPredicatePath: "nope.json"},
			bad: []bad{{"predicate-path", gitlab.VarPredicatePath, "there is no such file"}}},
		{name: "a key file relative to the project directory", env: map[string]string{gitlab.VarKey: "keys/release.pem"},
			settings: with(func(s *ci.Settings) {
				s.Key, s.KeyFrom = filepath.Join(dir, "keys/release.pem"), "input key (SIGNET_KEY)"
			})},
		{name: "a KMS key as given", env: map[string]string{gitlab.VarKey: "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k"},
			settings: with(func(s *ci.Settings) {
				s.Key, s.KeyFrom = "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "input key (SIGNET_KEY)"
			})},
		{name: "a key file missing", env: map[string]string{gitlab.VarKey: "keys/none.pem"},
			bad: []bad{{"key", gitlab.VarKey, `"keys/none.pem": there is no file "` + filepath.Join(dir, "keys/none.pem")}}},
		{name: "a key directory", env: map[string]string{gitlab.VarKey: "keys"},
			bad: []bad{{"key", gitlab.VarKey, "not a regular file"}}},
		{name: "a key of a scheme in another case", env: map[string]string{gitlab.VarKey: "HashiVault://release"},
			bad: []bad{{"key", gitlab.VarKey, "must be written in lowercase"}}},
		{name: "a pkcs11 key's PIN is never shown", env: map[string]string{gitlab.VarKey: "pkcs11:token=t;object=k?module-path=lib.so&pin-value=s3cr3tpin"},
			bad: []bad{{"key", gitlab.VarKey, "module-path"}}},
		{name: "max-subjects", env: map[string]string{gitlab.VarMaxSubjects: "1e3"},
			bad: []bad{{"max-subjects", gitlab.VarMaxSubjects, `"1e3": expected a positive whole number`}}},
		{name: "every bad input at once", env: map[string]string{gitlab.VarSBOM: "spdx", gitlab.VarSigstore: "local",
			gitlab.VarOutputDir: "../out", gitlab.VarMaxSubjects: "0", gitlab.VarPrivateRepoTlog: "1"},
			bad: []bad{{"sbom", gitlab.VarSBOM, `"spdx"`}, {"sigstore", gitlab.VarSigstore, `"local"`},
				{"output-dir", gitlab.VarOutputDir, `"../out"`}, {"max-subjects", gitlab.VarMaxSubjects, `"0"`},
				{"private-repo-tlog", gitlab.VarPrivateRepoTlog, `"1"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan, err := gitlab.New(envOf(jobEnv(dir, tt.env)), nil).Plan(context.Background())
			if len(tt.bad) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				want := ci.Plan{Dir: dir, Subjects: tt.subjects, Settings: tt.settings}
				if diff := cmpDiff(want, plan); diff != "" {
					t.Errorf("plan (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil {
				t.Fatalf("Plan succeeded with %+v; want errors", plan)
			}
			var got []bad
			for _, e := range unjoin(err) {
				var ie *ci.InputError
				if !errors.As(e, &ie) {
					t.Fatalf("error %v is not a *ci.InputError", e)
				}
				got = append(got, bad{ie.Input, ie.Source, ""})
				if !strings.HasPrefix(e.Error(), fmt.Sprintf("input %s (%s): ", ie.Input, ie.Source)) {
					t.Errorf("error %q does not start with the input and its variable", e)
				}
			}
			if strings.Contains(err.Error(), "s3cr3tpin") {
				t.Errorf("an error shows the PIN: %v", err)
			}
			var want []bad
			for _, b := range tt.bad {
				want = append(want, bad{b.input, b.variable, ""})
				if !strings.Contains(err.Error(), b.says) {
					t.Errorf("the errors lack %q:\n%v", b.says, err)
				}
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(bad{})); diff != "" {
				t.Errorf("bad inputs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanMetricsFile reads SIGNET_METRICS_FILE, which the template sets to the file its
// artifacts:reports:metrics names: a file of the project, outside the output directory (each
// run writes that whole or not at all), made absolute.
func TestPlanMetricsFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"reports/keep": "", "attestations2/keep": ""})
	tests := []struct {
		name, file, outDir string
		want               string // "" for an error
		says               string
	}{
		{name: "the template's file", file: "signet-metrics.txt", outDir: "attestations", want: filepath.Join(dir, "signet-metrics.txt")},
		{name: "a subdirectory", file: " reports/signet.prom ", outDir: "attestations", want: filepath.Join(dir, "reports/signet.prom")},
		{name: "absolute inside the project", file: filepath.Join(dir, "m.txt"), outDir: "attestations", want: filepath.Join(dir, "m.txt")},
		{name: "outside the project", file: "../m.txt", outDir: "attestations", says: `"../m.txt": expected a file inside the workspace`},
		{name: "absolute outside", file: "/tmp/m.txt", outDir: "attestations", says: "expected a file inside the workspace"},
		{name: "the project itself", file: "a/..", outDir: "attestations", says: "expected a file inside the workspace"},
		{name: "inside the output directory", file: "attestations/m.txt", outDir: "attestations", says: "outside the output directory"},
		{name: "inside it, spelled otherwise", file: "./x/../attestations//m.txt", outDir: "attestations/", says: "outside the output directory"},
		{name: "the output directory itself", file: "attestations", outDir: "attestations", says: "outside the output directory"},
		{name: "a directory the project lacks", file: "nowhere/m.txt", outDir: "attestations", says: "does not exist in the workspace"},
		{name: "a look-alike of the output directory", file: "attestations2/m.txt", outDir: "attestations", want: filepath.Join(dir, "attestations2/m.txt")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan, err := gitlab.New(envOf(jobEnv(dir, map[string]string{gitlab.VarMetricsFile: tt.file, gitlab.VarOutputDir: tt.outDir})), nil).Plan(context.Background())
			if tt.want != "" {
				if err != nil || plan.Settings.MetricsFile != tt.want {
					t.Errorf("metrics file %q, %v; want %q", plan.Settings.MetricsFile, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "job variable "+gitlab.VarMetricsFile) {
				t.Errorf("Plan error %v; want one naming %s and saying %q", err, gitlab.VarMetricsFile, tt.says)
			}
		})
	}
}

// unjoin returns the errors errors.Join joined, however nested, or err alone.
func unjoin(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, unjoin(e)...)
	}
	return out
}

// TestPlanOutsideJob reports the job's unusable variables together with the bad inputs.
func TestPlanOutsideJob(t *testing.T) {
	t.Parallel()
	env := jobEnv("", map[string]string{"CI_PROJECT_DIR": "-", "CI_JOB_URL": "ftp://x", gitlab.VarMaxSubjects: "many"})
	_, err := gitlab.New(envOf(env), nil).Plan(context.Background())
	var ie *ci.InputError
	if !errors.Is(err, gitlab.ErrNotInJob) || !errors.As(err, &ie) || ie.Input != "max-subjects" {
		t.Fatalf("Plan error %v, want ErrNotInJob and the max-subjects input", err)
	}
	for _, s := range []string{"CI_PROJECT_DIR is not set", `CI_JOB_URL "ftp://x"`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the error lacks %q:\n%v", s, err)
		}
	}
}

// TestPlanLeavesTheTokenToTheCommand: GitLab's token is SIGSTORE_ID_TOKEN, which the command
// reads by the one identity rule; the plan neither needs nor carries it.
func TestPlanLeavesTheTokenToTheCommand(t *testing.T) {
	t.Parallel()
	env := jobEnv(t.TempDir(), map[string]string{gitlab.TokenVariable: unsignedJWT(t, gitlabClaims(map[string]any{"aud": "vault"}))})
	plan, err := gitlab.New(envOf(env), nil).Plan(context.Background())
	if err != nil || plan.Token != nil || plan.TokenFrom != "" {
		t.Fatalf("Plan() = token %v from %q, %v; want no token and no error", plan.Token, plan.TokenFrom, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := gitlab.New(envOf(env), nil).Plan(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Plan(canceled) error %v, want context.Canceled", err)
	}
}

// sampleIndex is an index as attest writes it: two files and an image, an SBOM bundle listed
// before the provenance bundle (the dotenv report must still name the provenance).
func sampleIndex() *core.Index {
	ts := time.Date(2026, 8, 21, 9, 30, 0, 0, time.UTC)
	d := func(c string) map[string]string {
		return map[string]string{"sha512": strings.Repeat(c, 128), "sha256": strings.Repeat(c, 64)}
	}
	return &core.Index{
		MediaType: core.IndexMediaType,
		Signer:    &core.Identity{Subject: "https://gitlab.com/group/app//.gitlab-ci.yml@refs/heads/main", Issuer: "https://gitlab.com"},
		Tlog:      core.TlogDecision{Used: true},
		Attestations: []core.IndexAttestation{
			{Bundle: "sbom/app.spdx.sigstore.json", PredicateType: "https://spdx.dev/Document/v2.3", SubjectCount: 1,
				LogEntry: &core.LogEntry{URL: "https://rekor.example.com", Index: 7}},
			{Bundle: "provenance.sigstore.json", PredicateType: core.ProvenancePredicateType, SubjectCount: 3,
				LogEntry: &core.LogEntry{URL: "https://rekor.sigstore.dev", Index: 123456789}, Timestamps: []time.Time{ts}},
		},
		Subjects: []core.IndexSubject{
			{Name: "dist/app", Digest: d("a"), Bundles: []string{"provenance.sigstore.json", "sbom/app.spdx.sigstore.json"}},
			{Name: "dist/app v2.tar.gz", Digest: d("b"), Bundles: []string{"provenance.sigstore.json"}},
			{Name: "ghcr.io/group/app", Digest: d("d"), Bundles: []string{"provenance.sigstore.json"}},
		},
	}
}

var sectionTime = regexp.MustCompile(`section_(start|end):\d+:`)

// project is a project directory holding dist/app, with the job's environment over it.
func project(t *testing.T) (dir string, env map[string]string) {
	t.Helper()
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{"dist/app": "app", "attestations/index.json": "{}"})
	return dir, jobEnv(dir, nil)
}

// TestPublish checks the job-log summary, the dotenv report (read back with GitLab's rules)
// and the annotations report against golden files.
func TestPublish(t *testing.T) {
	t.Parallel()
	dir, env := project(t)
	env[gitlab.TokenVariable] = unsignedJWT(t, gitlabClaims(nil))
	var log bytes.Buffer
	a := gitlab.New(envOf(env), &log)
	if _, err := a.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := ci.Outcome{Index: sampleIndex(), Dir: dir, OutputDir: filepath.Join(dir, "attestations"), Sigstore: "public"}
	if err := a.Publish(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "summary.log"), sectionTime.ReplaceAll(log.Bytes(), []byte("section_$1:TIME:")))

	dotenv := readFile(t, filepath.Join(dir, env[gitlab.VarDotenv]))
	golden.Check(t, filepath.Join("testdata", "signet.env"), dotenv)
	vars, err := parseGitLabDotenv(dotenv, gitlab.DotenvMaxBytes, gitlab.DotenvMaxVariables)
	if err != nil {
		t.Fatalf("GitLab would refuse the dotenv report: %v", err)
	}
	want := map[string]string{gitlab.KeyIndex: "attestations/index.json", gitlab.KeyBundle: "attestations/provenance.sigstore.json",
		gitlab.KeySubjectCount: "3", gitlab.KeyLogIndex: "123456789"}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("dotenv %s=%q, want %q", k, vars[k], v)
		}
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

// TestPublishSummaryCommand checks the verify command the summary prints for each Sigstore:
// a private one is named relative to the project (or absolute outside it), and every word
// reads back through a shell as the value it stands for.
func TestPublishSummaryCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sigstore string // relative to the project directory, or absolute
		want     []string
	}{
		{"public", nil},
		{"", nil},
		{".sigstore", []string{"--sigstore", ".sigstore"}},
		{"trust/it's mine", []string{"--sigstore", "trust/it's mine"}},
		{"/etc/signet trust", []string{"--sigstore", "/etc/signet trust"}},
	}
	for _, tt := range tests {
		t.Run(tt.sigstore, func(t *testing.T) {
			t.Parallel()
			dir, env := project(t)
			var log bytes.Buffer
			a := gitlab.New(envOf(env), &log)
			out := ci.Outcome{Index: sampleIndex(), Dir: dir, OutputDir: filepath.Join(dir, "attestations"), Sigstore: tt.sigstore}
			if tt.sigstore != "public" && tt.sigstore != "" && !filepath.IsAbs(tt.sigstore) {
				out.Sigstore = filepath.Join(dir, tt.sigstore)
			}
			if err := a.Publish(context.Background(), out); err != nil {
				t.Fatal(err)
			}
			words, err := shellwords.Split(summaryCommand(t, log.String(), "signet verify"))
			if err != nil {
				t.Fatal(err)
			}
			want := append([]string{"signet", "verify"}, tt.want...)
			want = append(want, "--index", "attestations/index.json",
				"--certificate-identity", "https://gitlab.com/group/app//.gitlab-ci.yml@refs/heads/main",
				"--certificate-oidc-issuer", "https://gitlab.com",
				"dist/app", "dist/app v2.tar.gz@sha256:"+strings.Repeat("b", 64), "ghcr.io/group/app@sha256:"+strings.Repeat("d", 64))
			if diff := cmpDiff(want, words); diff != "" {
				t.Errorf("verify command (-want +got):\n%s", diff)
			}
		})
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

// TestAnnotationsOutsideProject links no artifact when the output directory is not in the
// project (GitLab only keeps artifacts from inside it), but still the public log entries.
func TestAnnotationsOutsideProject(t *testing.T) {
	t.Parallel()
	dir, env := project(t)
	a := gitlab.New(envOf(env), nil)
	out := ci.Outcome{Index: sampleIndex(), Dir: dir, OutputDir: filepath.Join(t.TempDir(), "attestations")}
	err := a.Publish(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	ann := readFile(t, filepath.Join(dir, env[gitlab.VarAnnotations]))
	if strings.Contains(string(ann), "/artifacts/file/") || !strings.Contains(string(ann), "https://search.sigstore.dev/?logIndex=123456789") {
		t.Errorf("annotations for an output directory outside the project:\n%s", ann)
	}
}

// TestAnnotationsBounded gives at most MaxLinks links for a run with many bundles.
func TestAnnotationsBounded(t *testing.T) {
	t.Parallel()
	dir, env := project(t)
	ix := sampleIndex()
	for i := range 2 * gitlab.MaxLinks {
		ix.Attestations = append(ix.Attestations, core.IndexAttestation{Bundle: fmt.Sprintf("provenance-%d.sigstore.json", i),
			PredicateType: core.ProvenancePredicateType, SubjectCount: 1, LogEntry: &core.LogEntry{URL: "https://rekor.sigstore.dev", Index: int64(i)}})
	}
	if err := gitlab.New(envOf(env), nil).Publish(context.Background(), ci.Outcome{Index: ix, Dir: dir, OutputDir: filepath.Join(dir, "att")}); err != nil {
		t.Fatal(err)
	}
	checkAnnotations(t, readFile(t, filepath.Join(dir, env[gitlab.VarAnnotations])), gitlab.MaxLinks)
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
	dir, env := project(t)
	a := gitlab.New(envOf(env), nil)
	err := a.Publish(context.Background(), ci.Outcome{Index: sampleIndex(), Dir: dir, OutputDir: filepath.Join(dir, "my attestations")})
	if !errors.Is(err, gitlab.ErrDotenv) || !strings.Contains(err.Error(), "SIGNET_DOTENV") || !strings.Contains(err.Error(), "my attestations") {
		t.Errorf("Publish error %v, want ErrDotenv naming SIGNET_DOTENV and the output directory", err)
	}
	if err := a.Publish(context.Background(), ci.Outcome{Dir: dir}); err == nil {
		t.Error("Publish without an index succeeded")
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

// TestFailHints checks the hint Fail adds to the job log for each failure whose cause is in
// the job's configuration: the token sentinels of core (whoever found them), a token without
// ci_config_ref_uri explained from the job's variables, and the subject errors.
func TestFailHints(t *testing.T) {
	t.Parallel()
	null := gitlabClaims(map[string]any{"ci_config_ref_uri": nil})
	absent := gitlabClaims(nil)
	delete(absent, "ci_config_ref_uri")
	noRef := fmt.Errorf("GitLab provenance: %w (the claim is null): ...", provenance.ErrNoConfigRef)
	tests := []struct {
		name   string
		err    error
		env    map[string]string
		claims map[string]any // SIGSTORE_ID_TOKEN's payload; nil: unset
		want   []string       // nil: no hint
	}{
		{name: "no token", err: fmt.Errorf("reading the identity token: SIGSTORE_ID_TOKEN: %w: the token is empty", core.ErrNoToken),
			want: []string{"`id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`", "`signet-attest: {id_tokens: {SIGSTORE_ID_TOKEN: {aud: sigstore}}}`"}},
		{name: "malformed", err: fmt.Errorf("x: %w", core.ErrTokenMalformed), want: []string{"do not set a variable of that name"}},
		{name: "audience", err: fmt.Errorf("x: %w", core.ErrTokenAudience), env: map[string]string{"CI_JOB_NAME": "sign"},
			want: []string{`Fulcio accepts only "sigstore"`, "declare `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore` in the job sign"}},
		{name: "expired", err: fmt.Errorf("x: %w", core.ErrTokenExpired), want: []string{"job's timeout", "`signet-attest: {timeout: 2h}`"}},
		{name: "null ci_config_ref_uri", err: noRef, claims: null,
			want: []string{"ci_config_ref_uri claim of SIGSTORE_ID_TOKEN is null", `project "group/app"`, "https://<nil>", "own .gitlab-ci.yml"}},
		{name: "child pipeline", err: noRef, claims: null, env: map[string]string{"CI_PIPELINE_SOURCE": "parent_pipeline"},
			want: []string{"child pipeline (CI_PIPELINE_SOURCE=parent_pipeline)", "parent pipeline's own configuration"}},
		{name: "configuration in another project", err: noRef, claims: null, env: map[string]string{"CI_CONFIG_PATH": "ci/app.yml@platform/pipelines"},
			want: []string{`CI_CONFIG_PATH "ci/app.yml@platform/pipelines"`}},
		{name: "absent ci_config_ref_uri", err: noRef, claims: absent,
			want: []string{"SIGSTORE_ID_TOKEN is absent", "does not carry the claim", "instance whose ID tokens carry ci_config_ref_uri"}},
		{name: "no readable token", err: noRef, want: []string{"is null or absent for project \"group/app\""}},
		{name: "no match", err: fmt.Errorf("subject %q: %w", "dist/*.zip", core.ErrNoMatch), want: []string{"`signet-attest: {needs: [build]}`"}},
		{name: "no subjects", err: fmt.Errorf("x: %w", core.ErrNoSubjects), want: []string{"subject-path input"}},
		{name: "outside", err: fmt.Errorf("x: %w", core.ErrOutsideBase), want: []string{"relative to the project directory (/builds/group/app)"}},
		{name: "exists", err: fmt.Errorf("x: %w", core.ErrExists), want: []string{"its own output-dir"}},
		{name: "env mismatch", err: fmt.Errorf("x: %w", provenance.ErrEnvMismatch), want: []string{"predefined CI_* variables"}},
		{name: "input error", err: &ci.InputError{Input: "sbom", Source: gitlab.VarSBOM, Err: errors.New("bad")}},
		{name: "other", err: errors.New("other")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := jobEnv("/builds/group/app", tt.env)
			if tt.claims != nil {
				env[gitlab.TokenVariable] = unsignedJWT(t, tt.claims)
			}
			var log bytes.Buffer
			gitlab.New(envOf(env), &log).Fail(tt.err)
			if tt.want == nil {
				if log.Len() != 0 {
					t.Errorf("Fail(%v) wrote %q, want nothing", tt.err, log.String())
				}
				return
			}
			if !strings.HasPrefix(log.String(), "signet: hint: ") || strings.Count(log.String(), "\n") != 1 {
				t.Errorf("Fail(%v) wrote %q, want one hint line", tt.err, log.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(log.String(), w) {
					t.Errorf("the hint lacks %q:\n%s", w, log.String())
				}
			}
			if tok := env[gitlab.TokenVariable]; tok != "" && strings.Contains(log.String(), tok[strings.LastIndex(tok, "."):]) {
				t.Error("the hint contains the token")
			}
		})
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
	tests := []struct{ rel, url string }{
		{"attestations/index.json", "https://gl.example.com/g/p/-/jobs/9/artifacts/file/attestations/index.json"},
		{"a b/#1.json", "https://gl.example.com/g/p/-/jobs/9/artifacts/file/a%20b/%231.json"},
		{"a/?x=1&y", "https://gl.example.com/g/p/-/jobs/9/artifacts/file/a/%3Fx=1&y"},
	}
	for _, tt := range tests {
		if got := j.ArtifactURL(tt.rel); got != tt.url {
			t.Errorf("ArtifactURL(%q) = %q, want %q", tt.rel, got, tt.url)
		}
	}
	for _, bad := range []map[string]string{
		{"CI_PROJECT_DIR": "builds/g/p"},
		{"CI_PROJECT_DIR": "/b", "CI_SERVER_URL": "javascript:alert(1)"},
		{"CI_PROJECT_DIR": "/b", "CI_PIPELINE_URL": "https://user:pw@gitlab.com/p"},
	} {
		if _, err := gitlab.ReadJob(envOf(bad)); !errors.Is(err, gitlab.ErrNotInJob) {
			t.Errorf("ReadJob(%v) error %v, want ErrNotInJob", bad, err)
		}
	}
}

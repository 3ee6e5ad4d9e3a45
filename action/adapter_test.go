package action_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/golden"
	"github.com/signet-ci/signet/provenance"
)

const (
	demoRepo     = "signet-ci/signet-demo"
	demoWorkflow = demoRepo + "/.github/workflows/release.yml@refs/heads/main"
	demoSHA      = "5d3c6e0f2b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d"
	oddName      = "dist/we|ird `name` <x>.bin"
)

// runnerEnv is the GITHUB_* environment of a step in ws, plus extra variables.
func runnerEnv(ws string, extra map[string]string) map[string]string {
	m := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws,
		"GITHUB_OUTPUT": filepath.Join(ws, "..", "output"), "GITHUB_STEP_SUMMARY": filepath.Join(ws, "..", "summary"),
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": demoRepo, "GITHUB_SHA": demoSHA,
		"GITHUB_REF": "refs/heads/main", "GITHUB_WORKFLOW_REF": demoWorkflow, "GITHUB_RUN_ID": "12873459021",
		"GITHUB_RUN_ATTEMPT": "1",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// newWorkspace returns a workspace directory inside its own temporary directory, so the
// runner's files ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY) sit beside it.
func newWorkspace(t testing.TB) string {
	t.Helper()
	ws := filepath.Join(t.TempDir(), "workspace")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(ws)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

// fixtureIndex writes bundles for a small run into ws/attestations and returns its index.
func fixtureIndex(t testing.TB, ws string, logged bool) *core.Index {
	t.Helper()
	ts := time.Date(2026, 8, 21, 9, 30, 0, 0, time.UTC)
	prov := core.IndexAttestation{Bundle: "provenance.sigstore.json", PredicateType: "https://slsa.dev/provenance/v1",
		SubjectCount: 4, Timestamps: []time.Time{ts}}
	if logged {
		prov.LogEntry = &core.LogEntry{URL: "https://rekor.sigstore.dev", Index: 123456789}
	}
	sbom := core.IndexAttestation{Bundle: "dist_app.tar.gz.spdx.json.sigstore.json", PredicateType: "https://spdx.dev/Document/v2.3",
		SubjectCount: 1, Document: "sbom/dist_app.tar.gz.spdx.json", Timestamps: []time.Time{ts}}
	ix := &core.Index{
		MediaType:    core.IndexMediaType,
		Signer:       &core.Identity{Subject: "https://github.com/" + demoWorkflow, Issuer: provenance.GitHubIssuer},
		Tlog:         core.TlogDecision{Used: logged},
		Attestations: []core.IndexAttestation{sbom, prov},
		Subjects: []core.IndexSubject{
			{Name: "dist/app-linux-amd64", Digest: map[string]string{"sha256": strings.Repeat("a", 64)}, Bundles: []string{prov.Bundle}},
			{Name: "dist/app.tar.gz", Digest: map[string]string{"sha256": strings.Repeat("b", 64)}, Bundles: []string{sbom.Bundle, prov.Bundle}},
			{Name: oddName, Digest: map[string]string{"sha512": strings.Repeat("c", 128)}, Bundles: []string{prov.Bundle}},
			{Name: "ghcr.io/signet-ci/app", Digest: map[string]string{"sha256": strings.Repeat("d", 64)}, Bundles: []string{prov.Bundle}},
		},
	}
	if !logged {
		ix.Tlog.Reason = `repository visibility "private": not sent to the transparency log (timestamped only); pass --private-repo-tlog to log it`
	}
	writeFiles(t, ws, map[string]string{
		"dist/app-linux-amd64": "bin", "dist/app.tar.gz": "tgz", oddName: "odd",
		"attestations/" + prov.Bundle: `{"bundle":"provenance"}`, "attestations/" + sbom.Bundle: `{"bundle":"sbom"}`,
		"attestations/index.json": "{}",
	})
	return ix
}

// outcome is the run of ix in workspace ws, as the command hands it to Publish.
func outcome(ws string, ix *core.Index, sigstore string) ci.Outcome {
	return ci.Outcome{Index: ix, Dir: ws, OutputDir: filepath.Join(ws, "attestations"), Sigstore: sigstore}
}

func TestPublish(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		logged   bool
		sigstore string
		golden   string
	}{
		{name: "public sigstore, logged", logged: true, sigstore: "public", golden: "summary-public.md"},
		{name: "private sigstore, timestamped only", sigstore: "private-sigstore", golden: "summary-private.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t)
			ix := fixtureIndex(t, ws, tt.logged)
			pushed := ""
			if tt.logged { // and pushed to a registry
				last := &ix.Attestations[len(ix.Attestations)-1]
				last.Pushed = []core.PushRecord{
					{Subject: "ghcr.io/org/app", SubjectDigest: "sha256:" + strings.Repeat("a", 64), Repository: "ghcr.io/org/app", Manifest: "sha256:" + strings.Repeat("b", 64), Method: "referrers-tag"},
					{Subject: "ghcr.io/org/app", SubjectDigest: "sha256:" + strings.Repeat("a", 64), Repository: "ghcr.io/org/app", Manifest: "sha256:" + strings.Repeat("b", 64), Method: "referrers-tag"},
				}
				pushed = "ghcr.io/org/app@sha256:" + strings.Repeat("b", 64)
			}
			env := runnerEnv(ws, nil)
			var stdout bytes.Buffer
			a := action.New(envOf(env), &stdout)
			sig := tt.sigstore
			if sig != "public" {
				sig = filepath.Join(ws, sig)
			}
			if err := a.Publish(context.Background(), outcome(ws, ix, sig)); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"bundle-path":           "attestations/provenance.sigstore.json", // the provenance, not the SBOM listed first
				"index-path":            "attestations/index.json",
				"subject-count":         "4",
				"bundle-digests":        sha256Of(`{"bundle":"sbom"}`) + "\n" + sha256Of(`{"bundle":"provenance"}`),
				"registry-attestations": pushed,
				"attestation-id":        "", // no github-token: nothing uploaded
				"attestation-url":       "",
			}
			if diff := cmp.Diff(want, parseOutputs(t, env["GITHUB_OUTPUT"])); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			got, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tt.golden), got)
			if stdout.Len() != 0 {
				t.Errorf("Publish printed %q; want nothing on stdout", stdout.String())
			}
		})
	}
}

func sha256Of(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestPublishWithoutSummary(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	ix := fixtureIndex(t, ws, true)
	env := runnerEnv(ws, map[string]string{"INPUT_SHOW-SUMMARY": "false"})
	a := action.New(envOf(env), &bytes.Buffer{})
	if err := a.Publish(context.Background(), outcome(ws, ix, "public")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(env["GITHUB_STEP_SUMMARY"]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("show-summary false, yet the summary file exists (%v)", err)
	}
	if got := parseOutputs(t, env["GITHUB_OUTPUT"])["subject-count"]; got != "4" {
		t.Errorf("subject-count %q, want 4", got)
	}
}

func TestSummaryStaysUnderTheStepLimit(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	writeFiles(t, ws, map[string]string{"attestations/provenance.sigstore.json": "{}"})
	const n = 20000
	ix := &core.Index{MediaType: core.IndexMediaType, Attestations: []core.IndexAttestation{
		{Bundle: "provenance.sigstore.json", PredicateType: "https://slsa.dev/provenance/v1", SubjectCount: n}}}
	for i := range n {
		ix.Subjects = append(ix.Subjects, core.IndexSubject{Name: fmt.Sprintf("dist/very/long/path/to/artifact-%06d.tar.gz", i),
			Digest: map[string]string{"sha256": strings.Repeat("e", 64)}, Bundles: []string{"provenance.sigstore.json"}})
	}
	env := runnerEnv(ws, nil)
	a := action.New(envOf(env), &bytes.Buffer{})
	if err := a.Publish(context.Background(), outcome(ws, ix, "public")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > action.SummaryLimit {
		t.Errorf("summary is %d bytes, over GitHub's %d", len(got), action.SummaryLimit)
	}
	for _, s := range []string{"more subjects are not shown", "attestations/index.json", "### Verify", "artifact-000000.tar.gz"} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("truncated summary lacks %q", s)
		}
	}
	if bytes.Contains(got, []byte(fmt.Sprintf("artifact-%06d", n-1))) {
		t.Errorf("the last subject is shown: nothing was truncated")
	}
}

func TestFail(t *testing.T) {
	t.Parallel()
	_, noToken := action.NewTokenSource(envOf(nil))
	const wf = "file=.github/workflows/release.yml"
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{
			name: "a bad input names the input and the workflow file",
			err:  &ci.InputError{Input: "subject-digest", Err: errors.New("bad: sha256:abc")},
			want: []string{"::error " + wf + ",title=signet%3A input subject-digest::input subject-digest: bad: sha256:abc"},
		},
		{
			name: "an input's own file and line",
			err:  &ci.InputError{Input: "subject-checksums", Source: "INPUT_SUBJECT-CHECKSUMS", File: "SHA256SUMS", Line: 3, Err: errors.New("bad line")},
			want: []string{"::error file=SHA256SUMS,line=3,title=signet%3A input subject-checksums::input subject-checksums (INPUT_SUBJECT-CHECKSUMS): bad line"},
		},
		{
			name: "every joined input error is its own annotation",
			err:  errors.Join(&ci.InputError{Input: "sbom", Err: errors.New("x")}, &ci.InputError{Input: "max-subjects", Err: errors.New("y")}),
			want: []string{
				"::error " + wf + ",title=signet%3A input sbom::input sbom: x",
				"::error " + wf + ",title=signet%3A input max-subjects::input max-subjects: y",
			},
		},
		{
			name: "missing id-token permission",
			err:  noToken,
			want: []string{"::error " + wf + ",title=signet%3A id-token%3A write permission missing::" + noToken.Error()},
		},
		{
			name: "the runner's token refused by the one token check",
			err:  fmt.Errorf("the runner's ID token: %w: expired 2026-12-02T10:00:00Z", core.ErrTokenExpired),
			want: []string{"::error " + wf + ",title=signet%3A identity token refused::the runner's ID token: OIDC identity token expired: expired 2026-12-02T10:00:00Z"},
		},
		{
			name: "another missing token is not a missing permission",
			err:  fmt.Errorf("SIGSTORE_ID_TOKEN: %w", core.ErrNoToken),
			want: []string{"::error " + wf + ",title=signet::SIGSTORE_ID_TOKEN: no OIDC identity token"},
		},
		{
			name: "a glob matching nothing, from the pipeline",
			err:  fmt.Errorf("subject glob %q %w", "dist/*.zip", core.ErrNoMatch),
			want: []string{"::error " + wf + ",title=signet%3A input subject-path::input subject-path: subject glob \"dist/*.zip\" matched no files; " +
				"give paths or globs relative to the workspace that an earlier step wrote"},
		},
		{
			name: "multi-line messages stay one command",
			err:  errors.New("signing failed:\nFulcio said no"),
			want: []string{"::error " + wf + ",title=signet::signing failed:%0AFulcio said no"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			action.New(envOf(runnerEnv("/ws", nil)), &out).Fail(tt.err)
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSummaryHoldsHostileNames publishes subjects whose names try to leave their table cell,
// their code span or their code block; the Markdown must keep them inside, and the printed
// command must still name them exactly.
func TestSummaryHoldsHostileNames(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	writeFiles(t, ws, map[string]string{"attestations/provenance.sigstore.json": "{}"})
	names := []string{
		"evil\n```\n## injected heading\n```sh\nrm -rf ~",
		"evil\n~~~~\n## injected heading",
		"x`````y\n`````\n## injected heading",
		"cell | break </code> <script>alert(1)</script>",
	}
	ix := &core.Index{MediaType: core.IndexMediaType, Signer: &core.Identity{Subject: "https://github.com/o/r/.github/workflows/w.yml@refs/heads/main",
		Issuer: provenance.GitHubIssuer}, Attestations: []core.IndexAttestation{{Bundle: "provenance.sigstore.json", PredicateType: ci.ProvenanceType, SubjectCount: len(names)}}}
	for _, n := range names {
		ix.Subjects = append(ix.Subjects, core.IndexSubject{Name: n, Digest: map[string]string{"sha256": strings.Repeat("f", 64)},
			Bundles: []string{"provenance.sigstore.json"}})
	}
	env := runnerEnv(ws, nil)
	if err := action.New(envOf(env), &bytes.Buffer{}).Publish(context.Background(), outcome(ws, ix, "public")); err != nil {
		t.Fatal(err)
	}
	md := readFile(t, env["GITHUB_STEP_SUMMARY"])
	_, outside := markdownFences(t, md)
	for _, l := range outside {
		if strings.HasPrefix(l, "## injected") || strings.Contains(l, "<script>") || strings.Contains(l, "</code> <") {
			t.Errorf("a name escaped into the Markdown: %q", l)
		}
		if strings.HasPrefix(l, "| ") && strings.Count(l, " | ") != 3 {
			t.Errorf("a name broke its table row into other cells: %q", l)
		}
	}
	cmds := summaryCommands(t, md)
	if len(cmds) != 1 || cmds[0][0] != "signet" {
		t.Fatalf("commands %q: want the signet verify command only (no file subject for gh and cosign)", cmds)
	}
	for _, n := range names {
		if !slices.Contains(cmds[0], n+"@sha256:"+strings.Repeat("f", 64)) {
			t.Errorf("the verify command does not name %q exactly: %q", n, cmds[0])
		}
	}
}

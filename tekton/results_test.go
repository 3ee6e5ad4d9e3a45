package tekton

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tektoncd/pipeline/pkg/result"
	"github.com/tektoncd/pipeline/pkg/termination"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/golden"
)

const hexA = "a3f1c2d4e5b6a7980123456789abcdef0123456789abcdef0123456789abcdef"

// sampleRun is a run over two files and two images, indexed as core writes it.
func sampleRun(ws string) ci.Outcome {
	subjects := []core.Subject{
		{Name: "dist/app-linux-amd64", Digest: map[string]string{"sha256": strings.Repeat("1", 64)}, Path: filepath.Join(ws, "dist/app-linux-amd64")},
		{Name: "dist/app.tar.gz", Digest: map[string]string{"sha256": strings.Repeat("2", 64)}, Path: filepath.Join(ws, "dist/app.tar.gz")},
		{Name: "registry.example.com/demo/app", Digest: map[string]string{"sha256": hexA}},
		{Name: "localhost:5000/demo/tool:v1", Digest: map[string]string{"sha256": strings.Repeat("b", 64)}},
	}
	return ci.Outcome{Index: sampleIndex(subjects), Dir: ws, OutputDir: filepath.Join(ws, "attestations"), Subjects: subjects}
}

// sampleIndex indexes subjects as core does: one provenance bundle for all, and an SBOM bundle
// listed first for the first subject.
func sampleIndex(subjects []core.Subject) *core.Index {
	ix := &core.Index{MediaType: core.IndexMediaType}
	ix.Attestations = []core.IndexAttestation{
		{Bundle: "sbom-first.sigstore.json", PredicateType: "https://spdx.dev/Document/v2.3", SubjectCount: 1},
		{Bundle: "provenance.sigstore.json", PredicateType: ci.ProvenanceType, SubjectCount: len(subjects)},
	}
	for i, s := range subjects {
		b := []string{"provenance.sigstore.json"}
		if i == 0 {
			b = []string{"sbom-first.sigstore.json", "provenance.sigstore.json"}
		}
		ix.Subjects = append(ix.Subjects, core.IndexSubject{Name: s.Name, Digest: s.Digest, Bundles: b})
	}
	return ix
}

func TestBuildResultsGolden(t *testing.T) {
	t.Parallel()
	got, err := BuildResults(sampleRun("/workspace/source"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "results.golden.json"), append(b, '\n'))
}

func TestBuildResults(t *testing.T) {
	t.Parallel()
	run := sampleRun("/ws")
	outcome := func(outDir string, subjects ...core.Subject) ci.Outcome {
		return ci.Outcome{Index: sampleIndex(subjects), Dir: "/ws", OutputDir: outDir, Subjects: subjects}
	}
	ref := func(name, alg, hex string) core.Subject {
		return core.Subject{Name: name, Digest: map[string]string{alg: hex}}
	}
	images := "registry.example.com/demo/app@sha256:" + hexA + ",localhost:5000/demo/tool:v1@sha256:" + strings.Repeat("b", 64)
	tests := []struct {
		name                   string
		out                    ci.Outcome
		wantURI, wantDigest    string
		wantImages, wantBundle string
		wantIndex              string
	}{
		{"files first", run, "dist/app-linux-amd64", "sha256:" + strings.Repeat("1", 64), images,
			"attestations/provenance.sigstore.json", "attestations/index.json"},
		{"images only, output outside the workspace", outcome("/elsewhere/out", run.Subjects[2:]...), "registry.example.com/demo/app", "sha256:" + hexA,
			images, "/elsewhere/out/provenance.sigstore.json", "/elsewhere/out/index.json"},
		{"digests whose names are not image repositories", outcome("/ws/out",
			ref("notes.txt", "sha256", hexA), ref("release/app", "sha256", hexA), ref("ghcr.io/Org/app", "sha256", hexA), ref("https://ghcr.io/org/app", "sha256", hexA)),
			"notes.txt", "sha256:" + hexA, "", "out/provenance.sigstore.json", "out/index.json"},
		{"an image by sha512 is not an IMAGES entry", outcome("/ws/out", ref("ghcr.io/org/app", "sha512", strings.Repeat("c", 128))),
			"ghcr.io/org/app", "sha512:" + strings.Repeat("c", 128), "", "out/provenance.sigstore.json", "out/index.json"},
		{"a file named like an image is a file", outcome("/ws/out", core.Subject{Name: "ghcr.io/org/app", Digest: map[string]string{"sha256": hexA}, Path: "/ws/ghcr.io/org/app"}),
			"ghcr.io/org/app", "sha256:" + hexA, "", "out/provenance.sigstore.json", "out/index.json"},
		{"output directory spelled with dot-dot back into the workspace", outcome("/ws/x/../out", ref("notes.txt", "sha256", hexA)),
			"notes.txt", "sha256:" + hexA, "", "out/provenance.sigstore.json", "out/index.json"},
		{"no bundle names the primary artifact", ci.Outcome{Index: &core.Index{}, Dir: "/ws", OutputDir: "/ws/out", Subjects: []core.Subject{ref("f", "sha512", strings.Repeat("c", 128))}},
			"f", "sha512:" + strings.Repeat("c", 128), "", "", "out/index.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := BuildResults(tt.out)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range res {
				got[r.Name] = r.Value
			}
			var ao map[string]string
			if err := json.Unmarshal([]byte(got[ResultArtifactOutputs]), &ao); err != nil {
				t.Fatalf("ARTIFACT_OUTPUTS is not a JSON object of strings: %v", err)
			}
			want := map[string]string{"uri": tt.wantURI, "digest": tt.wantDigest, "isBuildArtifact": "true"}
			if diff := cmp.Diff(want, ao); diff != "" {
				t.Errorf("ARTIFACT_OUTPUTS (-want +got):\n%s", diff)
			}
			wantRest := map[string]string{ResultImages: tt.wantImages, ResultBundlePath: tt.wantBundle, ResultIndexPath: tt.wantIndex,
				ResultRegistryAttestations: ""} // nothing pushed
			delete(got, ResultArtifactOutputs)
			if diff := cmp.Diff(wantRest, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildResultsEmpty(t *testing.T) {
	t.Parallel()
	for _, out := range []ci.Outcome{{Index: &core.Index{}}, {Subjects: sampleRun("/ws").Subjects}} {
		if _, err := BuildResults(out); err == nil {
			t.Errorf("BuildResults(%+v): want an error", out)
		}
	}
}

func TestIsImageName(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"ghcr.io/signet-ci/signet":         true,
		"registry.example.com/demo/app:v1": true,
		"localhost:5000/app":               true,
		"localhost/app":                    true,
		"docker.io/library/ubuntu":         true,
		"gcr.io/a/b/c/d":                   true,
		"app":                              false, // no registry: could be a file name
		"dist/app.tar.gz":                  false, // a relative path
		"release.d/App":                    false, // upper case repository
		"ghcr.io/Org/app":                  false,
		"ghcr.io/org/app:bad tag":          false,
		"ghcr.io":                          false,
		"ghcr.io/":                         false,
		"my_host.example/app":              false,
		"ghcr.io/org//app":                 false,
		"127.0.0.1:5000/team/app:1.0-rc.1": true,
		"https://ghcr.io/org/app":          false,
		"ghcr.io/org/app:" + strings.Repeat("t", 129): false,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := IsImageName(name); got != want {
				t.Errorf("IsImageName(%q) = %v, want %v", name, got, want)
			}
		})
	}
}

// tektonMessage writes results the way Tekton's entrypoint does (pkg/termination, v1.10.0),
// with its StartedAt entry, and returns the termination message or Tekton's error.
func tektonMessage(t *testing.T, results []Result) ([]byte, error) {
	t.Helper()
	var rr []result.RunResult
	for _, r := range results {
		rr = append(rr, result.RunResult{Key: r.Name, Value: r.Value, ResultType: result.TaskRunResultType})
	}
	rr = append(rr, result.RunResult{Key: "StartedAt", Value: time.Now().Format("2006-01-02T15:04:05.000Z07:00"), ResultType: result.InternalTektonResultType})
	path := filepath.Join(t.TempDir(), "termination-log")
	if err := termination.WriteMessage(path, rr); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// TestMessageBytesMatchesTekton measures results against Tekton's own termination-message
// writer: the adapter's figure is never below Tekton's, and it rejects exactly what Tekton
// would (within the StartedAt timestamp's few bytes of zone variation).
func TestMessageBytesMatchesTekton(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		images int
	}{{"no images", 0}, {"ten images", 10}, {"escapes", 3}, {"over budget", 40}, {"far over budget", 1000}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := manyImageResults(tt.images, tt.name == "escapes")
			msg, tektonErr := tektonMessage(t, res)
			n := MessageBytes(res)
			budgetErr := checkBudget(res, MaxMessageBytes)
			if (tektonErr != nil) != (budgetErr != nil) {
				t.Fatalf("Tekton says %v, the adapter says %v (measured %d bytes)", tektonErr, budgetErr, n)
			}
			if tektonErr == nil && (n < len(msg) || n > len(msg)+6) {
				t.Errorf("MessageBytes = %d, Tekton wrote %d bytes", n, len(msg))
			}
			if budgetErr != nil && !errors.Is(budgetErr, ErrResultsTooLarge) {
				t.Errorf("budget error %v is not ErrResultsTooLarge", budgetErr)
			}
		})
	}
}

// manyImageResults returns results listing n images in IMAGES.
func manyImageResults(n int, escapes bool) []Result {
	var refs []string
	for i := range n {
		refs = append(refs, fmt.Sprintf("registry.example.com/team/app-%04d@sha256:%s", i, hexA))
	}
	uri := "dist/app.tar.gz"
	if escapes {
		uri = `dist/<app>&"quoted".tar.gz`
	}
	ao, _ := json.Marshal(artifactOutputs{URI: uri, Digest: "sha256:" + hexA, IsBuildArtifact: "true"})
	return []Result{
		{Name: ResultArtifactOutputs, Value: string(ao)},
		{Name: ResultImages, Value: strings.Join(refs, ",")},
		{Name: ResultIndexPath, Value: "attestations/index.json"},
		{Name: ResultBundlePath, Value: "attestations/provenance.sigstore.json"},
	}
}

func TestWriteResults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	paths := map[string]string{}
	for _, n := range ResultNames() {
		paths[n] = filepath.Join(dir, n)
	}
	res := manyImageResults(2, false)
	n, err := WriteResults(paths, res, MaxMessageBytes)
	if err != nil {
		t.Fatal(err)
	}
	if n <= 0 || n > MaxMessageBytes {
		t.Errorf("WriteResults measured %d bytes", n)
	}
	for _, r := range res {
		b, err := os.ReadFile(paths[r.Name])
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != r.Value {
			t.Errorf("%s holds %q, want exactly %q (no trailing newline)", r.Name, b, r.Value)
		}
	}
}

func TestWriteResultsOverBudgetWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	paths := map[string]string{}
	for _, n := range ResultNames() {
		paths[n] = filepath.Join(dir, n)
	}
	_, err := WriteResults(paths, manyImageResults(100, false), MaxMessageBytes)
	if !errors.Is(err, ErrResultsTooLarge) {
		t.Fatalf("error = %v, want ErrResultsTooLarge", err)
	}
	for _, want := range []string{"IMAGES", "allows 4096", "Termination message is above max allowed size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d result files written despite the overflow", len(entries))
	}
}

func TestWriteResultsMissingPath(t *testing.T) {
	t.Parallel()
	_, err := WriteResults(map[string]string{}, manyImageResults(0, false), MaxMessageBytes)
	if err == nil || !strings.Contains(err.Error(), EnvResult(ResultArtifactOutputs)) {
		t.Errorf("error = %v, want one naming %s", err, EnvResult(ResultArtifactOutputs))
	}
}

func TestEnvResult(t *testing.T) {
	t.Parallel()
	got := map[string]string{}
	for _, n := range ResultNames() {
		got[n] = EnvResult(n)
	}
	want := map[string]string{
		"ARTIFACT_OUTPUTS": "SIGNET_TEKTON_RESULT_ARTIFACT_OUTPUTS", "IMAGES": "SIGNET_TEKTON_RESULT_IMAGES",
		"index-path": "SIGNET_TEKTON_RESULT_INDEX_PATH", "bundle-path": "SIGNET_TEKTON_RESULT_BUNDLE_PATH",
		"registry-attestations": "SIGNET_TEKTON_RESULT_REGISTRY_ATTESTATIONS",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

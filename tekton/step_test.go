package tekton

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/provenance"
)

const (
	commit = "5d3c6e0f2b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d"
	pinned = "ghcr.io/signet-ci/signet:v0.1.0@sha256:" + hexA
)

// workspaceWith returns a workspace holding the given files.
func workspaceWith(t *testing.T, files ...string) string {
	t.Helper()
	ws := t.TempDir()
	for _, f := range files {
		writeFile(t, ws, f, "contents of "+f)
	}
	real, err := filepath.EvalSymlinks(ws)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

func TestReadStep(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/app.tar.gz", "dist/app-linux-amd64", "SHA256SUMS")
	results := t.TempDir()
	vars := map[string]string{
		EnvWorkspace:               ws,
		EnvSubjectPath:             "dist/app.tar.gz\n  dist/*-linux-*  \n\n",
		EnvSubjectChecksums:        "SHA256SUMS",
		EnvTaskRunName:             "build-and-sign-x7k2p-sign",
		EnvTaskRunNamespace:        "signet-builds",
		EnvTaskRunUID:              "6f1c9c0e-2d3b-4a5f-8e7d-1c0b9a8f7e6d",
		EnvPipelineRun:             "build-and-sign-x7k2p",
		EnvServiceAccount:          "signet",
		EnvGitURL:                  " https://github.com/signet-ci/signet-demo ",
		EnvGitCommit:               commit,
		EnvStepImage:               pinned,
		EnvResultsDir:              results,
		EnvResult(ResultIndexPath): "/tekton/results/index-path",
	}
	got, err := ReadStep(envOf(vars))
	if err != nil {
		t.Fatal(err)
	}
	want := Step{
		Workspace:     ws,
		SubjectPaths:  []string{"dist/app.tar.gz", "dist/*-linux-*"},
		ChecksumFiles: []string{"SHA256SUMS"},
		TokenFile:     DefaultTokenFile,
		TaskRun: provenance.TektonParams{
			TaskRunName: "build-and-sign-x7k2p-sign", Namespace: "signet-builds", UID: "6f1c9c0e-2d3b-4a5f-8e7d-1c0b9a8f7e6d",
			PipelineRun: "build-and-sign-x7k2p", ServiceAccount: "signet",
			GitURL: "https://github.com/signet-ci/signet-demo", GitCommit: commit, StepImages: []string{pinned},
		},
		Results: map[string]string{
			ResultArtifactOutputs: filepath.Join(results, ResultArtifactOutputs),
			ResultImages:          filepath.Join(results, ResultImages),
			ResultIndexPath:       "/tekton/results/index-path",
			ResultBundlePath:      filepath.Join(results, ResultBundlePath),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadStep (-want +got):\n%s", diff)
	}
}

func TestReadStepStepImage(t *testing.T) {
	t.Parallel()
	tests := map[string][]string{
		pinned:                            {pinned},
		"ghcr.io/signet-ci/signet:v0.1.0": nil, // a tag is not a resolved dependency
		"":                                nil,
	}
	for img, want := range tests {
		t.Run(img, func(t *testing.T) {
			t.Parallel()
			got, err := ReadStep(envOf(map[string]string{EnvStepImage: img}))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got.TaskRun.StepImages); diff != "" {
				t.Errorf("StepImages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadStepErrors(t *testing.T) {
	t.Parallel()
	full := workspaceWith(t, "dist/app.tar.gz")
	empty := t.TempDir()
	file := writeFile(t, t.TempDir(), "not-a-dir", "x")
	tests := []struct {
		name    string
		vars    map[string]string
		wantErr error
		wantMsg []string
	}{
		{"workspace missing", map[string]string{EnvWorkspace: filepath.Join(full, "nope")}, ErrWorkspace,
			[]string{"does not exist", `workspace named "source"`}},
		{"workspace is a file", map[string]string{EnvWorkspace: file}, ErrWorkspace, []string{"not a directory"}},
		{"workspace empty", map[string]string{EnvWorkspace: empty, EnvSubjectPath: "dist/"}, ErrWorkspace,
			[]string{"is empty", "no outputs to sign", "bind the workspace your build task wrote"}},
		{"subject-path not in the workspace", map[string]string{EnvWorkspace: full, EnvSubjectPath: "dist/app.tar.gz\nbuild/app.zip"}, ErrSubjectPath,
			[]string{`"build/app.zip"`, "not found in the source workspace", "relative to that workspace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadStep(envOf(tt.vars))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadStep error = %v, want %v", err, tt.wantErr)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

// TestReadStepOutsideTask: with no Task environment, nothing is required and no results are
// written (unless /tekton/results exists, as it does in a TaskRun pod).
func TestReadStepOutsideTask(t *testing.T) {
	t.Parallel()
	s, err := ReadStep(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.Workspace != "" || s.TokenFile != DefaultTokenFile || len(s.SubjectPaths) != 0 {
		t.Errorf("ReadStep() = %+v", s)
	}
	_, statErr := os.Stat(DefaultResultsDir)
	if inPod := statErr == nil; inPod != (s.Results != nil) {
		t.Errorf("%s exists: %v, but results paths = %v", DefaultResultsDir, inPod, s.Results)
	}
}

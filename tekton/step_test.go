package tekton

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/ci"
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
			ResultArtifactOutputs:      filepath.Join(results, ResultArtifactOutputs),
			ResultImages:               filepath.Join(results, ResultImages),
			ResultIndexPath:            "/tekton/results/index-path",
			ResultBundlePath:           filepath.Join(results, ResultBundlePath),
			ResultRegistryAttestations: filepath.Join(results, ResultRegistryAttestations),
		},
		MaxResultBytes: MaxMessageBytes,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadStep (-want +got):\n%s", diff)
	}
}

// TestReadStepMaxResultSize: the max-result-size param raises the results' budget for
// sidecar-logs within Tekton's bounds; anything else names the param and its variable.
func TestReadStepMaxResultSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		want  int
		bad   string
	}{
		{"", MaxMessageBytes, ""},
		{"4096", 4096, ""},
		{"65536", 65536, ""},
		{"1572864", MaxSidecarResultBytes, ""},
		{"1572865", 0, "1572865: expected a byte count from 4096"},
		{"1024", 0, "1024: expected a byte count from 4096"},
		{"64k", 0, `"64k"`},
		{"-1", 0, `"-1"`},
	} {
		got, err := ReadStep(envOf(map[string]string{EnvMaxResultSize: tc.value}))
		if tc.bad == "" {
			if err != nil || got.MaxResultBytes != tc.want {
				t.Errorf("max-result-size %q: %d, %v; want %d", tc.value, got.MaxResultBytes, err, tc.want)
			}
			continue
		}
		var ie *ci.InputError
		if !errors.As(err, &ie) || ie.Input != ParamMaxResultSize || ie.Source != EnvMaxResultSize || !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("max-result-size %q: %v; want an error on param %s (%s) saying %q", tc.value, err, ParamMaxResultSize, EnvMaxResultSize, tc.bad)
		}
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
		name      string
		vars      map[string]string
		wantErr   error
		wantInput []string // params reported as *ci.InputError, in order
		wantMsg   []string
	}{
		{"workspace missing", map[string]string{EnvWorkspace: filepath.Join(full, "nope")}, ErrWorkspace, nil,
			[]string{"does not exist", `workspace named "source"`}},
		{"workspace is a file", map[string]string{EnvWorkspace: file}, ErrWorkspace, nil, []string{"not a directory"}},
		{"workspace empty", map[string]string{EnvWorkspace: empty, EnvSubjectPath: "dist/"}, ErrWorkspace, []string{ParamSubjectPath},
			[]string{"is empty", "no outputs to sign", "bind the workspace your build task wrote"}},
		{"subject-path not in the workspace", map[string]string{EnvWorkspace: full, EnvSubjectPath: "dist/app.tar.gz\nbuild/app.zip"}, fs.ErrNotExist,
			[]string{ParamSubjectPath}, []string{"input subject-path (SIGNET_TEKTON_SUBJECT_PATH)", `"build/app.zip"`, "not found in the source workspace", "relative to that workspace"}},
		{"a comma is part of a path, not a separator", map[string]string{EnvWorkspace: full, EnvSubjectPath: "dist/app.tar.gz,dist/app.tar.gz"}, fs.ErrNotExist,
			[]string{ParamSubjectPath}, []string{`"dist/app.tar.gz,dist/app.tar.gz"`}},
		{"git URL without commit", map[string]string{EnvWorkspace: full, EnvGitURL: "https://github.com/acme/app"}, nil,
			[]string{ParamGitCommit}, []string{"input CHAINS-GIT_COMMIT (SIGNET_TEKTON_GIT_COMMIT): missing: CHAINS-GIT_URL is set"}},
		{"git commit without URL", map[string]string{EnvWorkspace: full, EnvGitCommit: commit}, nil,
			[]string{ParamGitURL}, []string{"input CHAINS-GIT_URL (SIGNET_TEKTON_GIT_URL)"}},
		{"blank git URL is not given", map[string]string{EnvWorkspace: full, EnvGitURL: " \n ", EnvGitCommit: commit}, nil,
			[]string{ParamGitURL}, nil},
		{"every problem at once", map[string]string{EnvWorkspace: empty, EnvSubjectPath: "a\nb", EnvGitURL: "https://github.com/acme/app"}, ErrWorkspace,
			[]string{ParamSubjectPath, ParamSubjectPath, ParamGitCommit}, []string{`"a"`, `"b"`, "is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadStep(envOf(tt.vars))
			if err == nil {
				t.Fatal("ReadStep accepted it")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadStep error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantInput, inputErrors(err)); diff != "" {
				t.Errorf("params reported (-want +got):\n%s", diff)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

// inputErrors lists the params err reports as *ci.InputError, checking each names the
// variable the Task passes it through.
func inputErrors(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if ie, ok := e.(*ci.InputError); ok {
			if ie.Source != paramEnv[ie.Input] {
				out = append(out, "wrong source "+ie.Source+" for "+ie.Input)
				return
			}
			out = append(out, ie.Input)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// TestReadStepParams: params are read through ci.Reader with Tekton's syntax: one item per line
// (CR LF too), trimmed, blanks dropped; commas, spaces and glob characters belong to the path.
func TestReadStepParams(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/my app.tar.gz", "dist/a,b.bin", "SUMS one", "SUMS,two")
	tests := []struct {
		name          string
		paths, sums   string
		wantPaths     []string
		wantChecksums []string
	}{
		{"one per line", "dist/my app.tar.gz\ndist/a,b.bin", "SUMS one\nSUMS,two",
			[]string{"dist/my app.tar.gz", "dist/a,b.bin"}, []string{"SUMS one", "SUMS,two"}},
		{"CRLF and blank lines", "\r\n  dist/my app.tar.gz \r\n\r\n\tdist/a,b.bin\t\r\n", "\n\nSUMS one\r\n",
			[]string{"dist/my app.tar.gz", "dist/a,b.bin"}, []string{"SUMS one"}},
		{"globs are kept for core", "dist/*\ndist/**/*.bin\ndist/[ab]*", "",
			[]string{"dist/*", "dist/**/*.bin", "dist/[ab]*"}, nil},
		{"only blanks", " \n\t\r\n", "\n", nil, nil},
		{"empty", "", "", nil, nil},
	}
	// Look-alike variables are never read as params.
	lookAlikes := map[string]string{
		"signet_tekton_subject_path": "dist/*", "SIGNET_TEKTON_SUBJECT_PATHS": "dist/*", "SIGNET_SUBJECT_PATH": "dist/*",
		"INPUT_SUBJECT-PATH": "dist/*", "SIGNET_TEKTON_SUBJECT_CHECKSUM": "SUMS one", " SIGNET_TEKTON_SUBJECT_CHECKSUMS": "SUMS one",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{EnvWorkspace: ws, EnvSubjectPath: tt.paths, EnvSubjectChecksums: tt.sums}
			maps.Copy(vars, lookAlikes)
			s, err := ReadStep(envOf(vars))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantPaths, s.SubjectPaths); diff != "" {
				t.Errorf("subject-path (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantChecksums, s.ChecksumFiles); diff != "" {
				t.Errorf("subject-checksums (-want +got):\n%s", diff)
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

package action_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/core"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestReadInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        map[string]string
		want       action.Inputs
		wantInputs []string // inputs reported bad
		wantText   string   // substring of the error
	}{
		{
			name: "nothing given keeps the defaults",
			env:  map[string]string{},
			want: action.Inputs{ShowSummary: true},
		},
		{
			name: "every input, hyphens kept in the variable names",
			env: map[string]string{
				"INPUT_SUBJECT-PATH":      "dist/app\n  dist/*.tar.gz , docs/**/*.md\n\n",
				"INPUT_SUBJECT-NAME":      "ghcr.io/org/app",
				"INPUT_SUBJECT-DIGEST":    "SHA256:" + strings.ToUpper(hex64),
				"INPUT_SUBJECT-CHECKSUMS": "SHA256SUMS,more/SUMS",
				"INPUT_SBOM":              "spdx-json, cyclonedx-json",
				"INPUT_PREDICATE-TYPE":    "https://example.com/test/v1",
				"INPUT_PREDICATE-PATH":    "pred.json",
				"INPUT_SIGSTORE":          "sigstore",
				"INPUT_OUTPUT-DIR":        "out",
				"INPUT_MAX-SUBJECTS":      "10",
				"INPUT_PRIVATE-REPO-TLOG": "True",
				"INPUT_SHOW-SUMMARY":      "FALSE",
			},
			want: action.Inputs{
				SubjectPaths: []string{"dist/app", "dist/*.tar.gz", "docs/**/*.md"}, SubjectName: "ghcr.io/org/app",
				SubjectDigest: "sha256:" + hex64, SubjectChecksums: []string{"SHA256SUMS", "more/SUMS"},
				SBOM: []string{"spdx-json", "cyclonedx-json"}, PredicateType: "https://example.com/test/v1",
				PredicatePath: "pred.json", Sigstore: "sigstore", OutputDir: "out", MaxSubjects: 10,
				PrivateRepoTlog: true, ShowSummary: false,
			},
		},
		{
			name:       "malformed digest",
			env:        map[string]string{"INPUT_SUBJECT-NAME": "app", "INPUT_SUBJECT-DIGEST": "sha256:abc"},
			wantInputs: []string{"subject-digest"},
			wantText:   "sha256 needs 64 hex digits, got 3",
		},
		{
			name:       "digest without algorithm",
			env:        map[string]string{"INPUT_SUBJECT-NAME": "app", "INPUT_SUBJECT-DIGEST": hex64},
			wantInputs: []string{"subject-digest"},
			wantText:   "sha256:<64 hex digits>",
		},
		{
			name:       "name without digest",
			env:        map[string]string{"INPUT_SUBJECT-NAME": "app"},
			wantInputs: []string{"subject-digest"},
			wantText:   "subject-name is set, so set subject-digest too",
		},
		{
			name:       "predicate path without type",
			env:        map[string]string{"INPUT_PREDICATE-PATH": "p.json"},
			wantInputs: []string{"predicate-type"},
		},
		{
			name:       "unknown sbom format",
			env:        map[string]string{"INPUT_SBOM": "spdx-json,syft-json"},
			wantInputs: []string{"sbom"},
			wantText:   `"syft-json": expected spdx-json or cyclonedx-json`,
		},
		{
			name:       "every bad input is reported at once",
			env:        map[string]string{"INPUT_MAX-SUBJECTS": "0", "INPUT_SHOW-SUMMARY": "yes", "INPUT_PRIVATE-REPO-TLOG": "1"},
			wantInputs: []string{"max-subjects", "private-repo-tlog", "show-summary"},
			wantText:   `"0": expected a positive whole number`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := action.ReadInputs(envOf(tt.env))
			if diff := cmp.Diff(tt.wantInputs, inputsOf(err)); diff != "" {
				t.Fatalf("bad inputs (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error %q does not say %q", err, tt.wantText)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("inputs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRequest(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	ws, _ = filepath.EvalSymlinks(ws)
	writeFiles(t, ws, map[string]string{
		"dist/app": "x", "SHA256SUMS": hex64 + "  app\n", "pred.json": "{}",
		"sigstore/trusted_root.json": "{}", "sigstore/signing_config.json": "{}", "half/trusted_root.json": "{}",
	})
	base := map[string]string{"GITHUB_WORKSPACE": ws}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name       string
		env        map[string]string
		want       action.Request
		wantInputs []string
		wantErr    error
		wantText   string
	}{
		{
			name: "paths resolve against the workspace",
			env: with("INPUT_SUBJECT-PATH", "dist/app,dist/*.tgz", "INPUT_SUBJECT-CHECKSUMS", "SHA256SUMS",
				"INPUT_SUBJECT-NAME", "img", "INPUT_SUBJECT-DIGEST", "sha256:"+hex64,
				"INPUT_PREDICATE-TYPE", "https://t/v1", "INPUT_PREDICATE-PATH", "pred.json",
				"INPUT_SIGSTORE", "sigstore", "INPUT_OUTPUT-DIR", "out/att"),
			want: action.Request{
				Workspace: ws,
				Subjects: core.Inputs{Paths: []string{"dist/app", "dist/*.tgz"}, ChecksumFiles: []string{filepath.Join(ws, "SHA256SUMS")},
					Refs: []string{"img@sha256:" + hex64}},
				PredicateType: "https://t/v1", PredicatePath: filepath.Join(ws, "pred.json"),
				Sigstore: filepath.Join(ws, "sigstore"), OutputDir: filepath.Join(ws, "out/att"), ShowSummary: true,
			},
		},
		{
			name: "public sigstore stays public",
			env:  with("INPUT_SIGSTORE", "public"),
			want: action.Request{Workspace: ws, Sigstore: "public", ShowSummary: true},
		},
		{
			name:       "a subject path matching nothing",
			env:        with("INPUT_SUBJECT-PATH", "dist/missing"),
			wantInputs: []string{"subject-path"},
			wantText:   `"dist/missing" matched nothing in the workspace`,
		},
		{
			name:       "an absolute path from the runner's side",
			env:        with("INPUT_SUBJECT-PATH", "/home/runner/work/repo/repo/dist/app"),
			wantInputs: []string{"subject-path"},
			wantText:   "give paths relative to the workspace",
		},
		{
			name:       "output outside the workspace",
			env:        with("INPUT_OUTPUT-DIR", "../elsewhere"),
			wantInputs: []string{"output-dir"},
			wantText:   "is outside the workspace",
		},
		{
			name:       "sigstore directory without a signing config",
			env:        with("INPUT_SIGSTORE", "half"),
			wantInputs: []string{"sigstore"},
			wantText:   "signing_config.json",
		},
		{
			name:       "missing checksums and predicate files",
			env:        with("INPUT_SUBJECT-CHECKSUMS", "nope", "INPUT_PREDICATE-TYPE", "https://t/v1", "INPUT_PREDICATE-PATH", "nope.json"),
			wantInputs: []string{"subject-checksums", "predicate-path"},
		},
		{
			name:    "no workspace",
			env:     map[string]string{"INPUT_SUBJECT-PATH": "x"},
			wantErr: action.ErrNoWorkspace,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := action.NewRequest(envOf(tt.env))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if diff := cmp.Diff(tt.wantInputs, inputsOf(err)); diff != "" {
				t.Fatalf("bad inputs (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error %q does not say %q", err, tt.wantText)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

package action_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// planWorkspace is a workspace holding every file the inputs of the plan tests name.
func planWorkspace(t *testing.T) string {
	t.Helper()
	ws := newWorkspace(t)
	writeFiles(t, ws, map[string]string{
		"dist/app": "x", "dist/app b": "y", "SHA256SUMS": hex64 + "  app\n", "more/SUMS": hex64 + "  b\n", "pred.json": "{}",
		"sigstore/trusted_root.json": "{}", "sigstore/signing_config.json": "{}", "half/trusted_root.json": "{}",
		"sbom/app.spdx.json":   `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"app"}`,
		"sbom/app.cdx.json":    `{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"}`,
		"sbom/other.json":      `{"bomFormat":"SWID","specVersion":"1","serialNumber":"x"}`,
		"sbom/badversion.json": `{"spdxVersion":"SPDX-2.3/../x","SPDXID":"SPDXRef-DOCUMENT"}`,
		"sbom/not.json":        `{"name":"not an sbom"}`,
		"keys/release.pem":     "not read by Plan",
		"awskms:alias":         "a file whose name starts like a scheme",
	})
	big, err := os.Create(filepath.Join(ws, "sbom", "big.spdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(ci.MaxSBOMDocument + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	big.Close()
	return ws
}

// plan runs Plan over the workspace ws and the inputs env (INPUT_* variables).
func plan(t *testing.T, ws string, env map[string]string) (ci.Plan, error) {
	t.Helper()
	m := map[string]string{}
	if ws != "" {
		m["GITHUB_WORKSPACE"] = ws
	}
	for k, v := range env {
		m[k] = v
	}
	return action.New(envOf(m), &strings.Builder{}).Plan(context.Background())
}

// planDiff compares plans, leaving out the token source (see the token tests).
func planDiff(want, got ci.Plan) string {
	return cmp.Diff(want, got, cmpopts.IgnoreFields(ci.Plan{}, "Token"), cmpopts.EquateEmpty())
}

// TestPlanReadsGitHubSyntax reads the inputs through ci.Reader with GitHub's syntax: lists split
// at newlines and commas, the YAML 1.2 core booleans, variables named as the runner exports them.
func TestPlanReadsGitHubSyntax(t *testing.T) {
	t.Parallel()
	ws := planWorkspace(t)
	base := ci.Plan{Dir: ws, TokenFrom: "the runner's ID token"}
	with := func(f func(p *ci.Plan)) ci.Plan {
		p := base
		f(&p)
		return p
	}
	tests := []struct {
		name string
		env  map[string]string
		want ci.Plan
	}{
		{name: "nothing given keeps the command's defaults", env: nil, want: base},
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
			want: with(func(p *ci.Plan) {
				p.Subjects = core.Inputs{Paths: []string{"dist/app", "dist/*.tar.gz", "docs/**/*.md"},
					ChecksumFiles: []string{filepath.Join(ws, "SHA256SUMS"), filepath.Join(ws, "more/SUMS")},
					Refs:          []string{"ghcr.io/org/app@sha256:" + hex64}}
				p.Settings = ci.Settings{SBOMFormats: []string{"cyclonedx-json", "spdx-json"},
					PredicateType: "https://example.com/test/v1", PredicatePath: filepath.Join(ws, "pred.json"),
					Sigstore: filepath.Join(ws, "sigstore"), OutputDir: filepath.Join(ws, "out"), MaxSubjects: 10, PrivateRepoTlog: true}
			}),
		},
		{
			name: "an inline predicate, as actions/attest takes it",
			env:  map[string]string{"INPUT_PREDICATE-TYPE": "https://example.com/test/v1", "INPUT_PREDICATE": `{"a": [1, 2]}`},
			want: with(func(p *ci.Plan) {
				p.Settings.PredicateType, p.Settings.Predicate = "https://example.com/test/v1", []byte(`{"a": [1, 2]}`)
			}),
		},
		{
			name: "an SPDX document from another tool: the type comes from the document",
			env:  map[string]string{"INPUT_SBOM-PATH": "sbom/app.spdx.json"},
			want: with(func(p *ci.Plan) {
				p.Settings.PredicateType, p.Settings.PredicatePath = "https://spdx.dev/Document/v2.3", filepath.Join(ws, "sbom/app.spdx.json")
			}),
		},
		{
			name: "a CycloneDX document, named by its absolute workspace path",
			env:  map[string]string{"INPUT_SBOM-PATH": filepath.Join(ws, "sbom/app.cdx.json")},
			want: with(func(p *ci.Plan) {
				p.Settings.PredicateType, p.Settings.PredicatePath = "https://cyclonedx.org/bom", filepath.Join(ws, "sbom/app.cdx.json")
			}),
		},
		{
			name: "subject paths written as ${{ github.workspace }}/...",
			env:  map[string]string{"INPUT_SUBJECT-PATH": filepath.Join(ws, "dist/app") + "\n" + filepath.Join(ws, "dist") + "/*"},
			want: with(func(p *ci.Plan) {
				p.Subjects.Paths = []string{"dist/app", "dist/*"}
			}),
		},
		{
			name: "github and auto are instances, not directories",
			env:  map[string]string{"INPUT_SIGSTORE": "github"},
			want: with(func(p *ci.Plan) { p.Settings.Sigstore = "github" }),
		},
		{
			name: "CRLF line ends, blank items and a repeated format",
			env:  map[string]string{"INPUT_SUBJECT-PATH": "dist/app\r\n,\r\n dist/app b \r\n", "INPUT_SBOM": "\nspdx-json,,spdx-json\n"},
			want: with(func(p *ci.Plan) {
				p.Subjects.Paths = []string{"dist/app", "dist/app b"}
				p.Settings.SBOMFormats = []string{"spdx-json"}
			}),
		},
		{
			name: "the booleans' other YAML spellings, padded",
			env:  map[string]string{"INPUT_PRIVATE-REPO-TLOG": " TRUE\n", "INPUT_SHOW-SUMMARY": "True"},
			want: with(func(p *ci.Plan) { p.Settings.PrivateRepoTlog = true }),
		},
		{
			name: "public stays public; an empty sbom input means none",
			env:  map[string]string{"INPUT_SIGSTORE": "public", "INPUT_SBOM": "", "INPUT_PRIVATE-REPO-TLOG": "false"},
			want: with(func(p *ci.Plan) { p.Settings.Sigstore = "public" }),
		},
		{
			name: "a key file relative to the workspace",
			env:  map[string]string{"INPUT_KEY": " keys/release.pem\n"},
			want: with(func(p *ci.Plan) {
				p.Settings.Key, p.Settings.KeyFrom = filepath.Join(ws, "keys/release.pem"), "input key (INPUT_KEY)"
			}),
		},
		{
			name: "a key file named like a scheme, written ./",
			env:  map[string]string{"INPUT_KEY": "./awskms:alias"},
			want: with(func(p *ci.Plan) {
				p.Settings.Key, p.Settings.KeyFrom = filepath.Join(ws, "awskms:alias"), "input key (INPUT_KEY)"
			}),
		},
		{
			name: "a KMS key passes as given",
			env:  map[string]string{"INPUT_KEY": "awskms:///alias/release"},
			want: with(func(p *ci.Plan) {
				p.Settings.Key, p.Settings.KeyFrom = "awskms:///alias/release", "input key (INPUT_KEY)"
			}),
		},
		{
			name: "look-alike variables are not the action's inputs",
			env: map[string]string{"INPUT_SUBJECT_PATH": "dist/app", "input_subject-path": "dist/app", "INPUT_Subject-Path": "dist/app",
				"SUBJECT-PATH": "dist/app", "INPUT_MAX_SUBJECTS": "0", "INPUT_key": "/etc/x.pem", "INPUT_KEYS": "awskms:///alias/x",
				"SIGNET_KEY": "awskms:///alias/x", "KEY": "awskms:///alias/x"},
			want: base,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := plan(t, ws, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if diff := planDiff(tt.want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if got.Token == nil {
				t.Error("the plan has no token source; want the runner's (failing with ErrNoIDToken here)")
			}
		})
	}
}

// TestPlanRefusesBadInputs checks that every bad input is reported, all at once, each as a
// *ci.InputError naming the input and the variable it came from.
func TestPlanRefusesBadInputs(t *testing.T) {
	t.Parallel()
	ws := planWorkspace(t)
	tests := []struct {
		name       string
		noWS       bool
		env        map[string]string
		wantInputs []string
		says       []string
	}{
		{name: "malformed digest", env: map[string]string{"INPUT_SUBJECT-NAME": "app", "INPUT_SUBJECT-DIGEST": "sha256:abc"},
			wantInputs: []string{"subject-digest"}, says: []string{"input subject-digest (INPUT_SUBJECT-DIGEST)", "sha256 needs 64 hex digits, got 3"}},
		{name: "digest without algorithm", env: map[string]string{"INPUT_SUBJECT-NAME": "app", "INPUT_SUBJECT-DIGEST": hex64},
			wantInputs: []string{"subject-digest"}, says: []string{"sha256:<64 hex digits>"}},
		{name: "name without digest", env: map[string]string{"INPUT_SUBJECT-NAME": "app"},
			wantInputs: []string{"subject-digest"}, says: []string{"subject-name is set, so set subject-digest too"}},
		{name: "a bad digest without its name reports both", env: map[string]string{"INPUT_SUBJECT-DIGEST": "md5:00"},
			wantInputs: []string{"subject-name", "subject-digest"}},
		{name: "predicate path without type", env: map[string]string{"INPUT_PREDICATE-PATH": "pred.json"},
			wantInputs: []string{"predicate-type"}},
		{name: "unknown sbom format", env: map[string]string{"INPUT_SBOM": "spdx-json,syft-json"},
			wantInputs: []string{"sbom"}, says: []string{`"syft-json": expected spdx-json or cyclonedx-json`}},
		{name: "an sbom format in another case", env: map[string]string{"INPUT_SBOM": "SPDX-JSON"}, wantInputs: []string{"sbom"}},
		{name: "booleans YAML 1.2 does not know", env: map[string]string{"INPUT_PRIVATE-REPO-TLOG": "yes", "INPUT_SHOW-SUMMARY": "tRUE"},
			wantInputs: []string{"private-repo-tlog", "show-summary"}, says: []string{`"yes": expected "true" or "false"`}},
		{name: "numbers that are not positive whole numbers", env: map[string]string{"INPUT_MAX-SUBJECTS": "1e3"},
			wantInputs: []string{"max-subjects"}, says: []string{`"1e3": expected a positive whole number`}},
		{
			name: "every bad input is reported at once",
			env: map[string]string{"INPUT_MAX-SUBJECTS": "0", "INPUT_SHOW-SUMMARY": "yes", "INPUT_PRIVATE-REPO-TLOG": "1",
				"INPUT_SBOM": "syft-json", "INPUT_SUBJECT-PATH": "dist/missing", "INPUT_OUTPUT-DIR": "../elsewhere"},
			wantInputs: []string{"sbom", "max-subjects", "private-repo-tlog", "show-summary", "subject-path", "output-dir"},
			says:       []string{`input max-subjects (INPUT_MAX-SUBJECTS): "0": expected a positive whole number`},
		},
		{name: "a subject path matching nothing", env: map[string]string{"INPUT_SUBJECT-PATH": "dist/app,dist/missing"},
			wantInputs: []string{"subject-path"}, says: []string{`"dist/missing" matched nothing in the workspace`}},
		{name: "an absolute path from the runner's side", env: map[string]string{"INPUT_SUBJECT-PATH": "/home/runner/work/repo/repo/dist/app"},
			wantInputs: []string{"subject-path"}, says: []string{"give paths relative to the workspace"}},
		{name: "output outside the workspace", env: map[string]string{"INPUT_OUTPUT-DIR": "../elsewhere"},
			wantInputs: []string{"output-dir"}, says: []string{"is outside the workspace"}},
		{name: "output outside the workspace, absolute", env: map[string]string{"INPUT_OUTPUT-DIR": "/tmp"},
			wantInputs: []string{"output-dir"}, says: []string{"is outside the workspace"}},
		{name: "output escaping through the workspace", env: map[string]string{"INPUT_OUTPUT-DIR": "out/../../x"},
			wantInputs: []string{"output-dir"}},
		{name: "sigstore directory without a signing config", env: map[string]string{"INPUT_SIGSTORE": "half"},
			wantInputs: []string{"sigstore"}, says: []string{"signing_config.json"}},
		{name: "sigstore keywords are case-sensitive", env: map[string]string{"INPUT_SIGSTORE": "Public"},
			wantInputs: []string{"sigstore"}, says: []string{`expected "auto", "public", "github" or a directory`}},
		{name: "GitHub is not github", env: map[string]string{"INPUT_SIGSTORE": "GitHub"}, wantInputs: []string{"sigstore"}},
		{name: "an inline predicate that is not an object", env: map[string]string{"INPUT_PREDICATE-TYPE": "https://t/v1", "INPUT_PREDICATE": "[1]"},
			wantInputs: []string{"predicate"}, says: []string{"expected a JSON object"}},
		{name: "an inline null predicate", env: map[string]string{"INPUT_PREDICATE-TYPE": "https://t/v1", "INPUT_PREDICATE": "null"},
			wantInputs: []string{"predicate"}},
		{name: "an inline predicate and a file", env: map[string]string{"INPUT_PREDICATE-TYPE": "https://t/v1", "INPUT_PREDICATE": "{}", "INPUT_PREDICATE-PATH": "pred.json"},
			wantInputs: []string{"predicate"}, says: []string{"not both"}},
		{name: "an inline predicate without its type", env: map[string]string{"INPUT_PREDICATE": "{}"},
			wantInputs: []string{"predicate-type"}},
		{name: "a predicate type alone", env: map[string]string{"INPUT_PREDICATE-TYPE": "https://t/v1"},
			wantInputs: []string{"predicate-path"}, says: []string{"set predicate-path or predicate too"}},
		{name: "sbom-path with a predicate", env: map[string]string{"INPUT_SBOM-PATH": "sbom/app.spdx.json", "INPUT_PREDICATE-TYPE": "https://t/v1", "INPUT_PREDICATE": "{}"},
			wantInputs: []string{"sbom-path"}, says: []string{"give sbom-path alone"}},
		{name: "sbom-path naming no SBOM", env: map[string]string{"INPUT_SBOM-PATH": "sbom/not.json"},
			wantInputs: []string{"sbom-path"}, says: []string{"expected an SPDX JSON document"}},
		{name: "sbom-path naming another format", env: map[string]string{"INPUT_SBOM-PATH": "sbom/other.json"},
			wantInputs: []string{"sbom-path"}, says: []string{`bomFormat "SWID": expected CycloneDX`}},
		{name: "sbom-path whose version would bend the type", env: map[string]string{"INPUT_SBOM-PATH": "sbom/badversion.json"},
			wantInputs: []string{"sbom-path"}, says: []string{"expected SPDX-MAJOR.MINOR"}},
		{name: "sbom-path over actions/attest-sbom's limit", env: map[string]string{"INPUT_SBOM-PATH": "sbom/big.spdx.json"},
			wantInputs: []string{"sbom-path"}, says: []string{"larger than 16777216 bytes"}},
		{name: "sbom-path missing", env: map[string]string{"INPUT_SBOM-PATH": "sbom/none.json"},
			wantInputs: []string{"sbom-path"}},
		{name: "sbom-path a directory", env: map[string]string{"INPUT_SBOM-PATH": "sbom"},
			wantInputs: []string{"sbom-path"}, says: []string{"not a regular file"}},
		{name: "missing checksums and predicate files",
			env:        map[string]string{"INPUT_SUBJECT-CHECKSUMS": "nope", "INPUT_PREDICATE-TYPE": "https://t/v1", "INPUT_PREDICATE-PATH": "nope.json"},
			wantInputs: []string{"subject-checksums", "predicate-path"}},
		{name: "a key file missing from the workspace", env: map[string]string{"INPUT_KEY": "keys/none.pem"},
			wantInputs: []string{"key"}, says: []string{`input key (INPUT_KEY): "keys/none.pem": there is no file "` + filepath.Join(ws, "keys/none.pem")}},
		{name: "a key scheme in upper case", env: map[string]string{"INPUT_KEY": "AWSKMS:///alias/release"},
			wantInputs: []string{"key"}, says: []string{"must be written in lowercase"}},
		{name: "a key of an unknown scheme", env: map[string]string{"INPUT_KEY": "vault://release"},
			wantInputs: []string{"key"}, says: []string{`unknown scheme "vault:"`}},
		{name: "the key's PEM pasted into the input", env: map[string]string{"INPUT_KEY": "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----"},
			wantInputs: []string{"key"}, says: []string{"input key (INPUT_KEY): holds PEM key material (not shown)"}},
		{name: "no workspace: the inputs are still checked", noWS: true, env: map[string]string{"INPUT_MAX-SUBJECTS": "-1"},
			wantInputs: []string{"max-subjects"}, says: []string{"GITHUB_WORKSPACE is not set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := ws
			if tt.noWS {
				w = ""
			}
			got, err := plan(t, w, tt.env)
			if err == nil {
				t.Fatalf("Plan accepted the inputs: %+v", got)
			}
			if diff := cmp.Diff(tt.wantInputs, inputsOf(err)); diff != "" {
				t.Fatalf("bad inputs (-want +got):\n%s\nerror: %v", diff, err)
			}
			if tt.noWS != errors.Is(err, action.ErrNoWorkspace) {
				t.Errorf("error %v: ErrNoWorkspace %v, want %v", err, !tt.noWS, tt.noWS)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			for _, e := range leavesOf(err) {
				var ie *ci.InputError
				if errors.As(e, &ie) && ie.Source != "INPUT_"+strings.ToUpper(ie.Input) {
					t.Errorf("input %s: source %q, want the runner's variable INPUT_%s", ie.Input, ie.Source, strings.ToUpper(ie.Input))
				}
			}
		})
	}
}

// leavesOf flattens errors.Join trees.
func leavesOf(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leavesOf(e)...)
		}
		return out
	}
	return []error{err}
}

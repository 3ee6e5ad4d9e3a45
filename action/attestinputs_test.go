package action_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/cli"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
)

// TestActionsAttestInputs signs as a GitHub step with actions/attest's inputs: subject-path
// written as ${{ github.workspace }}/dist/*, an existing SPDX document through sbom-path, and an
// inline predicate; the signed statements carry exactly the documents given, under the right
// predicate types, for workspace-relative subject names, and signet verify accepts them.
func TestActionsAttestInputs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ss, err := localsigstore.Start(ctx, localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	ep := newTokenEndpoint(t, ss)
	_, meta := readActionYAML(t)
	claims := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	spdx := `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"from another tool","dataLicense":"CC0-1.0"}`
	inline := `{"release":{"channel":"stable","notes":"x"}}`
	cases := []struct {
		name string
		with func(ws string) map[string]string
		typ  string
		want string
	}{
		{name: "sbom-path", typ: "https://spdx.dev/Document/v2.3", want: spdx, with: func(ws string) map[string]string {
			return map[string]string{"subject-path": ws + "/dist/*.tar.gz", "sbom-path": "tool.spdx.json", "sigstore": "sigstore"}
		}},
		{name: "inline predicate", typ: "https://example.com/release/v1", want: inline, with: func(ws string) map[string]string {
			return map[string]string{"subject-path": ws + "/dist/*.tar.gz", "predicate-type": "https://example.com/release/v1",
				"predicate": inline, "sigstore": "sigstore"}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newStep(t, ss, ep, meta, claims, nil)
			for k, v := range tc.with(st.ws) {
				st.env["INPUT_"+strings.ToUpper(k)] = v
			}
			writeFiles(t, st.ws, map[string]string{"tool.spdx.json": spdx})
			var stdout, stderr bytes.Buffer
			if code := cli.Run(ctx, []string{"attest"}, cli.Env{Getenv: envOf(st.env), Stdout: &stdout, Stderr: &stderr, Dir: st.ws}); code != 0 {
				t.Fatalf("attest exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
			}
			ix, err := core.ReadIndex(filepath.Join(st.ws, "attestations", core.IndexFile))
			if err != nil {
				t.Fatal(err)
			}
			if len(ix.Subjects) != 1 || ix.Subjects[0].Name != "dist/app.tar.gz" {
				t.Fatalf("subjects %+v, want dist/app.tar.gz (workspace-relative)", ix.Subjects)
			}
			var found bool
			for _, a := range ix.Attestations {
				if a.PredicateType != tc.typ {
					continue
				}
				found = true
				got := statementPredicate(t, filepath.Join(st.ws, "attestations", a.Bundle))
				var want, have any
				_ = json.Unmarshal([]byte(tc.want), &want)
				_ = json.Unmarshal(got, &have)
				if diff := cmp.Diff(want, have); diff != "" {
					t.Errorf("signed predicate differs from the given one (-want +got):\n%s", diff)
				}
			}
			if !found {
				t.Fatalf("no bundle of type %s in %+v", tc.typ, ix.Attestations)
			}
			stdout.Reset()
			stderr.Reset()
			args := []string{"verify", "--sigstore", "sigstore", "--index", "attestations/index.json", "--type", tc.typ,
				"--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetGitHub),
				"--certificate-identity", "https://github.com/" + claims["job_workflow_ref"].(string), "dist/app.tar.gz"}
			if code := cli.Run(ctx, args, cli.Env{Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr, Dir: st.ws}); code != 0 {
				t.Errorf("verify --type %s: exit %d\n%s%s", tc.typ, code, stdout.String(), stderr.String())
			}
		})
	}
}

// statementPredicate returns the predicate of a bundle's DSSE statement, unverified.
func statementPredicate(t *testing.T, path string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		DSSEEnvelope struct {
			Payload string `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(bundle.DSSEEnvelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	return st.Predicate
}

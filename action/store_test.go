package action_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/ghapi"
	"github.com/signet-ci/signet/ghapi/ghapitest"
)

const jobToken = "ghs_jobTokenNeverPrinted0123456789abcdef"

// storeFixture is fixtureIndex with bundle-shaped files the store accepts.
func storeFixture(t *testing.T, ws string) *core.Index {
	t.Helper()
	ix := fixtureIndex(t, ws, true)
	for _, a := range ix.Attestations {
		st, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicateType": a.PredicateType,
			"subject": []any{map[string]any{"name": "dist/app.tar.gz", "digest": map[string]string{"sha256": strings.Repeat("b", 64)}}}})
		b, _ := json.Marshal(map[string]any{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
			"verificationMaterial": map[string]any{"certificate": map[string]any{"rawBytes": "AA=="}},
			"dsseEnvelope":         map[string]any{"payload": base64.StdEncoding.EncodeToString(st), "payloadType": "application/vnd.in-toto+json", "signatures": []any{}}})
		writeFiles(t, ws, map[string]string{"attestations/" + a.Bundle: string(b)})
	}
	return ix
}

// TestPublishUploadsToTheStore uploads every bundle with the github-token input and reports
// the ids as actions/attest does: outputs, index.json, summary; the token is in none of them.
func TestPublishUploadsToTheStore(t *testing.T) {
	t.Parallel()
	srv := ghapitest.New(jobToken, demoRepo)
	defer srv.Close()
	ws := newWorkspace(t)
	ix := storeFixture(t, ws)
	env := runnerEnv(ws, map[string]string{"GITHUB_API_URL": srv.URL, "GITHUB_SERVER_URL": "https://ghes.example.com",
		"INPUT_GITHUB-TOKEN": jobToken})
	var stdout bytes.Buffer
	if err := action.New(envOf(env), &stdout).Publish(context.Background(), outcome(ws, ix, "public")); err != nil {
		t.Fatal(err)
	}
	outs := parseOutputs(t, env["GITHUB_OUTPUT"])
	wantURL := "https://ghes.example.com/" + demoRepo + "/attestations/1"
	if outs["attestation-id"] != "1" || outs["attestation-url"] != wantURL {
		t.Errorf("attestation-id %q, attestation-url %q; want 1, %s", outs["attestation-id"], outs["attestation-url"], wantURL)
	}
	stored := srv.Stored()
	if len(stored) != 2 {
		t.Fatalf("%d bundles stored, want 2", len(stored))
	}
	for i, a := range ix.Attestations {
		want, _ := os.ReadFile(filepath.Join(ws, "attestations", a.Bundle))
		var got, file any
		_ = json.Unmarshal(stored[i].Bundle, &got)
		_ = json.Unmarshal(want, &file)
		if diff := cmp.Diff(file, got); diff != "" {
			t.Errorf("stored bundle %d differs from %s (-file +stored):\n%s", i, a.Bundle, diff)
		}
	}
	written, err := core.ReadIndex(filepath.Join(ws, "attestations", core.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	var records []core.StoreRecord
	for _, a := range written.Attestations {
		if a.Store == nil {
			t.Fatalf("index.json: %s has no store record", a.Bundle)
		}
		records = append(records, *a.Store)
	}
	want := []core.StoreRecord{{Name: "github", ID: "1", URL: wantURL}, {Name: "github", ID: "2", URL: "https://ghes.example.com/" + demoRepo + "/attestations/2"}}
	if diff := cmp.Diff(want, records); diff != "" {
		t.Errorf("index.json store records (-want +got):\n%s", diff)
	}
	summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	for _, w := range []string{"### Attestation store", "[attestation 1](" + wantURL + ")", "[attestation 2]("} {
		if !bytes.Contains(summary, []byte(w)) {
			t.Errorf("summary lacks %q", w)
		}
	}
	output, _ := os.ReadFile(env["GITHUB_OUTPUT"])
	index, _ := os.ReadFile(filepath.Join(ws, "attestations", core.IndexFile))
	for what, b := range map[string][]byte{"stdout": stdout.Bytes(), "summary": summary, "outputs": output, "index.json": index} {
		if bytes.Contains(b, []byte(jobToken)) {
			t.Errorf("%s shows the token", what)
		}
	}
}

// TestPublishWithoutAttestationsWrite: a token without "attestations: write" is refused; the
// files and outputs are there, and the annotation names the permission line to add.
func TestPublishWithoutAttestationsWrite(t *testing.T) {
	t.Parallel()
	srv := ghapitest.New(jobToken)
	defer srv.Close()
	srv.ReadOnly(demoRepo)
	ws := newWorkspace(t)
	ix := storeFixture(t, ws)
	env := runnerEnv(ws, map[string]string{"GITHUB_API_URL": srv.URL, "INPUT_GITHUB-TOKEN": jobToken})
	var stdout bytes.Buffer
	a := action.New(envOf(env), &stdout)
	err := a.Publish(context.Background(), outcome(ws, ix, "public"))
	if !errors.Is(err, ghapi.ErrForbidden) {
		t.Fatalf("Publish: %v, want ErrForbidden", err)
	}
	if len(srv.Requests()) != 1 {
		t.Errorf("%d requests: a refusal is not retried", len(srv.Requests()))
	}
	outs := parseOutputs(t, env["GITHUB_OUTPUT"])
	if outs["bundle-path"] == "" || outs["attestation-id"] != "" {
		t.Errorf("outputs %v: want the files' outputs and no attestation-id", outs)
	}
	a.Fail(err)
	got := stdout.String()
	for _, w := range []string{"::error ", "title=signet%3A attestations%3A write permission missing", `add "attestations: write" to the job's permissions`} {
		if !strings.Contains(got, w) {
			t.Errorf("annotation %q lacks %q", got, w)
		}
	}
	if strings.Contains(got, jobToken) || strings.Contains(err.Error(), jobToken) {
		t.Error("the token is printed")
	}
}

// TestPublishUploadRefusals: a bad token, a server failing every time, and a hostile
// repository variable each fail with the files written, and never show the token.
func TestPublishUploadRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    map[string]string
		faults []int
		want   string
	}{
		{name: "token refused", env: map[string]string{"INPUT_GITHUB-TOKEN": "ghs_other" + jobToken}, want: "401"},
		{name: "5xx outlasting the retries", faults: []int{502, 502, 502, 502, 502}, want: "failed after 4 attempt(s)"},
		{name: "GITHUB_REPOSITORY leaving the API path", env: map[string]string{"GITHUB_REPOSITORY": "../../orgs/x"}, want: "GITHUB_REPOSITORY"},
		{name: "token with a line break", env: map[string]string{"INPUT_GITHUB-TOKEN": jobToken + "\nX-Evil: 1"}, want: "line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := ghapitest.New(jobToken, demoRepo)
			defer srv.Close()
			srv.Fail(tt.faults...)
			ws := newWorkspace(t)
			ix := storeFixture(t, ws)
			extra := map[string]string{"GITHUB_API_URL": srv.URL, "INPUT_GITHUB-TOKEN": jobToken}
			for k, v := range tt.env {
				extra[k] = v
			}
			env := runnerEnv(ws, extra)
			var stdout bytes.Buffer
			a := action.New(envOf(env), &stdout)
			err := a.Publish(context.Background(), outcome(ws, ix, "public"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Publish: %v, want an error saying %q", err, tt.want)
			}
			a.Fail(err)
			if strings.Contains(err.Error(), jobToken) || strings.Contains(stdout.String(), jobToken) {
				t.Errorf("the token is printed: %v / %s", err, stdout.String())
			}
			if _, err := os.Stat(filepath.Join(ws, "attestations", ix.Attestations[0].Bundle)); err != nil {
				t.Errorf("the bundle files are gone: %v", err)
			}
		})
	}
}

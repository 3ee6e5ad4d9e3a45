package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/provenance"
)

// TestProvenanceCommand prints the predicate for the environment without signing: GitHub from
// a verified token and the job's variables, with a --material.
func TestProvenanceCommand(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	gh := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_WORKSPACE": t.TempDir(),
		"GITHUB_REPOSITORY": gh["repository"].(string), "GITHUB_SHA": gh["sha"].(string)}
	material := "oci://ghcr.io/org/base@sha256:" + strings.Repeat("0a", 32)
	before := ss.Requests("fulcio")
	out, errOut, code := run(t, t.TempDir(), vars, "provenance", "--identity-token-file",
		ss.tokenFile(t, localsigstore.PresetGitHub), "--material", material)
	if code != 0 {
		t.Fatalf("provenance exit %d: %s", code, errOut)
	}
	if ss.Requests("fulcio") != before {
		t.Error("signet provenance asked Fulcio for a certificate")
	}
	if err := provenance.Validate(core.Predicate{Type: core.ProvenancePredicateType, JSON: []byte(out)}); err != nil {
		t.Fatalf("printed predicate is not valid SLSA v1.0: %v\n%s", err, out)
	}
	var p struct {
		BuildDefinition struct {
			BuildType            string `json:"buildType"`
			ResolvedDependencies []struct {
				URI string `json:"uri"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
		} `json:"runDetails"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.BuildDefinition.BuildType != "https://actions.github.io/buildtypes/workflow/v1" {
		t.Errorf("buildType %q", p.BuildDefinition.BuildType)
	}
	if want := "https://github.com/" + gh["job_workflow_ref"].(string); p.RunDetails.Builder.ID != want {
		t.Errorf("builder %q, want %q", p.RunDetails.Builder.ID, want)
	}
	deps := p.BuildDefinition.ResolvedDependencies
	if len(deps) != 2 || deps[1].URI != "oci://ghcr.io/org/base" {
		t.Errorf("resolvedDependencies %+v: want the source then the --material", deps)
	}
	// The environment contradicting the signed token is refused.
	vars["GITHUB_SHA"] = strings.Repeat("f", 40)
	if _, errOut, code := run(t, t.TempDir(), vars, "provenance", "--identity-token-file",
		ss.tokenFile(t, localsigstore.PresetGitHub)); code == 0 || !strings.Contains(errOut, "GITHUB_SHA") {
		t.Errorf("exit %d, %q: want a refusal naming GITHUB_SHA", code, errOut)
	}
}

package provenance

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/signet-ci/signet/core"
)

// attestPredicate transcribes buildSLSAProvenancePredicate from
// actions/toolkit@4b9afa4c packages/attest/src/provenance.ts (the shape platforms.md A.6
// documents): what actions/attest-build-provenance signs for the same token.
func attestPredicate(claims map[string]any, serverURL string) map[string]any {
	s := func(k string) string { v, _ := claims[k].(string); return v }
	// const [workflowPath] = claims.workflow_ref.replace(`${claims.repository}/`, '').split('@')
	workflowPath := strings.Split(strings.Replace(s("workflow_ref"), s("repository")+"/", "", 1), "@")[0]
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType": "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{
				"ref": s("ref"), "repository": serverURL + "/" + s("repository"), "path": workflowPath}},
			"internalParameters": map[string]any{"github": map[string]any{
				"event_name": s("event_name"), "repository_id": s("repository_id"),
				"repository_owner_id": s("repository_owner_id"), "runner_environment": s("runner_environment")}},
			"resolvedDependencies": []any{map[string]any{
				"uri":    "git+" + serverURL + "/" + s("repository") + "@" + s("ref"),
				"digest": map[string]any{"gitCommit": s("sha")}}},
		},
		"runDetails": map[string]any{
			"builder": map[string]any{"id": serverURL + "/" + s("job_workflow_ref")},
			"metadata": map[string]any{"invocationId": serverURL + "/" + s("repository") + "/actions/runs/" +
				s("run_id") + "/attempts/" + s("run_attempt")},
		},
	}
}

// withoutAdditions removes what signet adds to actions/attest's shape, all of it optional in
// SLSA v1.0 and none of it a parameter: run times, byproducts, and --material dependencies
// after the source.
func withoutAdditions(t *testing.T, predJSON []byte) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(predJSON, &p); err != nil {
		t.Fatal(err)
	}
	bd := p["buildDefinition"].(map[string]any)
	bd["resolvedDependencies"] = bd["resolvedDependencies"].([]any)[:1]
	rd := p["runDetails"].(map[string]any)
	delete(rd, "byproducts")
	md := rd["metadata"].(map[string]any)
	delete(md, "startedOn")
	delete(md, "finishedOn")
	return p
}

// TestGitHubMatchesActionsAttest compares each GitHub golden predicate, field by field, with
// what actions/attest emits for the same token.
func TestGitHubMatchesActionsAttest(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	n := 0
	for _, g := range loadFixtures(t) {
		if g.platform != GitHub || g.fx.WantErr != "" {
			continue
		}
		n++
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			claims := verifiedClaims(t, ti, g.fx.Claims)
			bc, err := buildContext(t, g, claims)
			if err != nil {
				t.Fatal(err)
			}
			pred, err := bc.Provenance(t.Context(), core.Run{StartedOn: g.fx.Run.StartedOn, FinishedOn: g.fx.Run.FinishedOn,
				Byproducts: g.fx.Run.Byproducts})
			if err != nil {
				t.Fatal(err)
			}
			want := attestPredicate(claims.Raw(), g.fx.Env["GITHUB_SERVER_URL"])
			if diff := cmp.Diff(want, withoutAdditions(t, pred.JSON)); diff != "" {
				t.Errorf("predicate differs from actions/attest's (-attest +signet):\n%s", diff)
			}
		})
	}
	if n == 0 {
		t.Fatal("no GitHub fixture")
	}
}

func TestWorkflowPath(t *testing.T) {
	t.Parallel()
	tests := []struct{ ref, repo, want string }{
		{"octo-org/octo-repo/.github/workflows/oidc.yml@refs/heads/main", "octo-org/octo-repo", ".github/workflows/oidc.yml"},
		{"o/r/.github/workflows/release.yml@refs/tags/v1@weird", "o/r", ".github/workflows/release.yml"},
		{"o/r@refs/heads/main", "o/r", "o/r"},
	}
	for _, tt := range tests {
		if got := workflowPath(tt.ref, tt.repo); got != tt.want {
			t.Errorf("workflowPath(%q, %q) = %q, want %q", tt.ref, tt.repo, got, tt.want)
		}
	}
}

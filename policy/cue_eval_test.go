package policy_test

import (
	"context"
	"encoding/json"
	"testing"

	cosignpolicy "github.com/sigstore/cosign/v2/pkg/policy"
	pcv1beta1 "github.com/sigstore/policy-controller/pkg/apis/policy/v1beta1"

	"github.com/signet-ci/signet/policy"
	"github.com/signet-ci/signet/verify"
)

// TestExportCUEEvaluates evaluates the exported attestation policy with the evaluator
// policy-controller calls (cosign's EvaluatePolicyAgainstJSON) against in-toto statements as
// it presents them: the matching provenance passes; other builders and build types fail.
func TestExportCUEEvaluates(t *testing.T) {
	t.Parallel()
	const builder = "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v*"
	p := verify.Policy{Identity: verify.Identity{Issuer: githubIssuer, SignerWorkflow: "org/app/.github/workflows/release.yml"},
		Provenance: verify.Provenance{BuilderID: builder, BuildType: "https://actions.github.io/buildtypes/workflow/v1"}}
	out, err := export(t, p, policy.PolicyController, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	var cip pcv1beta1.ClusterImagePolicy
	strictJSON(t, out, &cip)
	att := cip.Spec.Authorities[0].Attestations[0]
	stmt := func(predType, builderID, buildType string) []byte {
		b, err := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicateType": predType,
			"subject": []any{}, "predicate": map[string]any{"runDetails": map[string]any{"builder": map[string]any{"id": builderID}},
				"buildDefinition": map[string]any{"buildType": buildType}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const slsa = "https://slsa.dev/provenance/v1"
	const bt = "https://actions.github.io/buildtypes/workflow/v1"
	cases := []struct {
		name string
		json []byte
		ok   bool
	}{
		{"matching", stmt(slsa, "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.2.3", bt), true},
		{"glob crosses slash", stmt(slsa, "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1/x", bt), false},
		{"other builder", stmt(slsa, "https://github.com/org/appx/.github/workflows/release.yml@refs/tags/v1", bt), false},
		{"dot is literal", stmt(slsa, "https://githubXcom/org/app/.github/workflows/release.yml@refs/tags/v1", bt), false},
		{"case variant", stmt(slsa, "https://github.com/Org/app/.github/workflows/release.yml@refs/tags/v1", bt), false},
		{"other build type", stmt(slsa, "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1", bt+"x"), false},
		{"other predicate type", stmt("https://slsa.dev/provenance/v0.2", "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1", bt), false},
	}
	for _, tc := range cases {
		warn, err := cosignpolicy.EvaluatePolicyAgainstJSON(context.Background(), att.Name, att.Policy.Type, att.Policy.Data, tc.json)
		if got := err == nil && warn == nil; got != tc.ok {
			t.Errorf("%s: passes %v (err %v, warn %v), want %v", tc.name, got, err, warn, tc.ok)
		}
	}
}

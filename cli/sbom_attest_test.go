package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
)

// TestAttestWithSBOMs: one SBOM per file subject per format, each its own statement signed with
// the provenance's certificate (one Fulcio request in all), listed in the index, verifiable by
// predicate type.
func TestAttestWithSBOMs(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := workspace(t)
	tok := ss.tokenFile(t, localsigstore.PresetGitHub)
	before := ss.Requests("fulcio")
	out, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok,
		"--sbom", "spdx-json,cyclonedx-json", "--subject", "ghcr.io/org/app@sha256:"+sha256Hex("img"), "dist")
	if code != 0 {
		t.Fatalf("attest exit %d: %s%s", code, out, errOut)
	}
	if n := ss.Requests("fulcio") - before; n != 1 {
		t.Errorf("%d Fulcio requests for provenance and SBOMs, want 1", n)
	}
	ix := readIndex(t, dir)
	count := map[string]int{}
	for _, a := range ix.Attestations {
		count[a.PredicateType]++
		if a.PredicateType != core.ProvenancePredicateType {
			if _, err := os.Stat(filepath.Join(dir, "attestations", a.Document)); err != nil {
				t.Errorf("SBOM document of %s: %v", a.Bundle, err)
			}
		}
	}
	// three files get SBOMs; the image given by digest has no content to catalog
	want := map[string]int{core.ProvenancePredicateType: 1, core.SPDXPredicateType: 3, core.CycloneDXPredicateType: 3}
	if d := cmp.Diff(want, count); d != "" {
		t.Errorf("attestations by predicate type (-want +got):\n%s", d)
	}
	identity := "https://github.com/" + localsigstore.DefaultClaims(localsigstore.PresetGitHub)["job_workflow_ref"].(string)
	for _, typ := range []string{core.SPDXPredicateType, core.CycloneDXPredicateType, core.ProvenancePredicateType} {
		o, e, c := run(t, dir, nil, "verify", "--sigstore", ss.Dir, "--index", "attestations/index.json", "--type", typ,
			"--certificate-identity", identity, "--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetGitHub),
			"dist/app.tar.gz", "dist/app-linux-amd64")
		if c != 0 {
			t.Errorf("verify --type %s exit %d: %s%s", typ, c, o, e)
		}
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

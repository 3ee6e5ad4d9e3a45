package verify_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/internal/golden"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// releaseDir is a release as it would be shipped: trusted_root.json, policy.yaml, the index and
// bundles, and the artifacts. -update signs it anew through the local Sigstore.
var releaseDir = filepath.Join("testdata", "release")

func writeRelease(t *testing.T) {
	t.Helper()
	f := local(t)
	ctx := context.Background()
	if err := os.RemoveAll(releaseDir); err != nil {
		t.Fatal(err)
	}
	arts := writeFiles(t, releaseDir, map[string]string{"dist/app.tar.gz": "signet demo archive\n", "dist/app-linux-amd64": "signet demo binary\n"})
	tok, err := f.ls.Token(localsigstore.PresetGitHub)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sigstore.NewKeylessSigner(ctx, f.mat, sigstore.StaticToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	out, err := core.NewOutput(filepath.Join(releaseDir, "attestations"), true)
	if err != nil {
		t.Fatal(err)
	}
	pred := f.provenance(t, localsigstore.PresetGitHub, tok, releaseDir)
	if _, err := core.Attest(ctx, signer, out, core.Request{Subjects: arts, Provenance: fixedProvenance(pred)}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(releaseDir, "trusted_root.json"), f.trustedRoot)
	writeFile(t, filepath.Join(releaseDir, "policy.yaml"), readFile(t, filepath.Join("testdata", "policies", "github.yaml")))
}

// fixedProvenance is a provenance source that returns a predicate built beforehand.
type fixedProvenance core.Predicate

func (p fixedProvenance) Provenance(context.Context, core.Run) (core.Predicate, error) {
	return core.Predicate(p), nil
}

var releaseOnce sync.Once

// ensureRelease rewrites the release fixture once when -update is given.
func ensureRelease(t *testing.T) {
	t.Helper()
	if golden.Updating() {
		releaseOnce.Do(func() { writeRelease(t) })
	}
}

// TestRelease verifies the shipped release fixture offline, with nothing but its own files: the
// certificate is checked at its signed timestamp, so the fixture stays valid.
func TestRelease(t *testing.T) {
	ensureRelease(t)
	mat, err := sigstore.LoadTrustedRoot(filepath.Join(releaseDir, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := sigstore.NewVerifier(mat.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := verify.OpenIndex(filepath.Join(releaseDir, "attestations", core.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	arts, err := verify.Artifacts(context.Background(), releaseDir, []string{"dist/app.tar.gz", "dist/app-linux-amd64"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := check(t, verify.Sigstore(sv), readPolicyFile(t, filepath.Join(releaseDir, "policy.yaml")), ix, arts)
	if !rep.Verified {
		t.Fatalf("the release fixture does not verify: %v", failures(rep))
	}
}

func readPolicyFile(t *testing.T, path string) verify.Policy {
	t.Helper()
	p, err := verify.ReadPolicy(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInspectGolden renders the release fixture's index as signet inspect does.
func TestInspectGolden(t *testing.T) {
	ensureRelease(t)
	ins, err := verify.Inspect(filepath.Join(releaseDir, "attestations", core.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		format verify.Format
		file   string
	}{{verify.FormatText, "inspect.txt"}, {verify.FormatJSON, "inspect.json"}} {
		var buf bytes.Buffer
		if err := verify.RenderInspections(&buf, ins, tt.format); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "golden", tt.file), buf.Bytes())
	}
}

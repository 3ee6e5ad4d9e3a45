package cli

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
)

// TestAttestSBOMNamesAreUnique: subjects dist/a_b and dist/a/b get their own SBOM documents and
// bundles, and signet sbom names a document as attest does.
func TestAttestSBOMNamesAreUnique(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := t.TempDir()
	for name, body := range map[string]string{"dist/a_b": "one", "dist/a/b": "two", "dist/a-b": "three", "dist/a b": "four"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	tok := ss.tokenFile(t, localsigstore.PresetGitHub)
	if o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "--sbom", "cyclonedx-json", "dist"); c != 0 {
		t.Fatalf("attest exit %d: %s%s", c, o, e)
	}
	ix := readIndex(t, dir)
	docs := map[string]bool{}
	bundles := map[string]bool{}
	for _, a := range ix.Attestations {
		if bundles[a.Bundle] {
			t.Errorf("index lists bundle %s twice", a.Bundle)
		}
		bundles[a.Bundle] = true
		if a.Document != "" {
			docs[a.Document] = true
		}
	}
	if len(docs) != 4 || len(bundles) != 5 {
		t.Fatalf("%d SBOM documents and %d bundles for 4 files, want 4 and 5: %v", len(docs), len(bundles), docs)
	}
	var got []string
	for d := range docs {
		if _, err := os.Stat(filepath.Join(dir, "attestations", d)); err != nil {
			t.Error(err)
		}
		got = append(got, d)
	}
	sort.Strings(got)
	want := []string{"sbom/dist_a%20b.cdx.json", "sbom/dist_a%5Fb.cdx.json", "sbom/dist_a-b.cdx.json", "sbom/dist_a_b.cdx.json"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("documents (-want +got):\n%s", d)
	}
	if o, e, c := run(t, dir, nil, "sbom", "dist/a_b", "dist/a/b", "--format", "cyclonedx-json", "--output", "sboms"); c != 0 {
		t.Fatalf("sbom exit %d: %s%s", c, o, e)
	}
	for _, n := range []string{"dist_a%5Fb.cdx.json", "dist_a_b.cdx.json"} {
		if _, err := os.Stat(filepath.Join(dir, "sboms", n)); err != nil {
			t.Errorf("signet sbom does not name the document as attest does: %v", err)
		}
	}
	if _, e, c := run(t, dir, nil, "sbom", "dist/a_b", "./dist/a_b", "--output", "sboms2"); c == 0 || !strings.Contains(e, "would both write") {
		t.Errorf("signet sbom wrote one PATH twice into one file: exit %d %q", c, e)
	}
}

// TestAttestOutputInsideSubjects: with the output directory inside the directory attested, a
// --force rerun signs the same subjects, never the previous run's bundles.
func TestAttestOutputInsideSubjects(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := workspace(t)
	tok := ss.tokenFile(t, localsigstore.PresetGitHub)
	var counts []int
	for range 3 {
		if o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok,
			"--output-dir", "dist/attestations", "--force", "."); c != 0 {
			t.Fatalf("attest exit %d: %s%s", c, o, e)
		}
		ix, err := core.ReadIndex(filepath.Join(dir, "dist", "attestations", "index.json"))
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, len(ix.Subjects))
		for _, s := range ix.Subjects {
			if filepath.Dir(s.Name) == "dist/attestations" {
				t.Errorf("run signed its own output %s", s.Name)
			}
		}
	}
	if d := cmp.Diff([]int{3, 3, 3}, counts); d != "" {
		t.Errorf("subjects per run (-want +got):\n%s", d)
	}
}

package core_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
)

func TestFlatNameIsInjective(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("d/", 120) + "x"
	groups := [][]string{
		{"dist/a_b", "dist/a/b", "dist_a_b", "dist/a-b", "dist/a b", "dist/a  b", "dist/a%5Fb"},
		{".a", "a", "%2Ea", "_a", "/a"},
		{"A", "a"},
		{long, long + "y", strings.Repeat("_", 200), strings.Repeat("%", 200), strings.Repeat("%", 199)},
	}
	for _, g := range groups {
		seen := map[string]string{}
		for _, n := range g {
			f := core.FlatName(n)
			if prev, ok := seen[f]; ok {
				t.Errorf("FlatName(%q) = FlatName(%q) = %q", n, prev, f)
			}
			seen[f] = n
			if strings.ContainsAny(f, "/\\\x00") || strings.HasPrefix(f, ".") || len(f) > 200 || f == "" {
				t.Errorf("FlatName(%q) = %q is not a safe file name", n, f)
			}
		}
	}
	if got := core.FlatName("dist/app-1.2.tar.gz"); got != "dist_app-1.2.tar.gz" {
		t.Errorf("plain name %q, want it readable", got)
	}
	// Random names over an alphabet rich in the characters that used to collide.
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab_/-. %~A")
	seen := map[string]string{}
	for range 20000 {
		b := make([]byte, 1+r.IntN(8))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		n := string(b)
		f := core.FlatName(n)
		if prev, ok := seen[f]; ok && prev != n {
			t.Fatalf("FlatName(%q) = FlatName(%q) = %q", n, prev, f)
		}
		seen[f] = n
	}
	if core.SBOMFileName("dist/a_b", "cyclonedx-json") == core.SBOMFileName("dist/a/b", "cyclonedx-json") {
		t.Error("SBOM file names collide")
	}
}

// treeState maps every path under dir to its content ("<dir>" for directories).
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel] = "<dir>"
			return nil
		}
		b, _ := os.ReadFile(p)
		out[rel] = string(b)
		return nil
	})
	return out
}

func TestPublishCarriesOverAndReplaces(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	out, err := core.NewOutput(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("NewOutput created the output directory before publishing: %v", err)
	}
	if err := out.Publish([]core.File{{Name: "index.json", Data: []byte("1")}, {Name: "sbom/a.cdx.json", Data: []byte("s1")}}); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "README"), "mine")
	symlink(t, "README", filepath.Join(dir, "link"))
	before := treeState(t, dir)
	err = out.Publish([]core.File{{Name: "index.json", Data: []byte("2")}})
	if !errors.Is(err, core.ErrExists) {
		t.Fatalf("publish over an index without force: %v", err)
	}
	if d := cmp.Diff(before, treeState(t, dir)); d != "" {
		t.Errorf("refused publish changed the directory:\n%s", d)
	}
	forced, _ := core.NewOutput(dir, true)
	if err := forced.Publish([]core.File{{Name: "index.json", Data: []byte("2")}, {Name: "p.sigstore.json", Data: []byte("b2")}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{".": "<dir>", "index.json": "2", "p.sigstore.json": "b2", "sbom": "<dir>", "sbom/a.cdx.json": "s1", "README": "mine", "link": "mine"}
	if d := cmp.Diff(want, treeState(t, dir)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("publish left %d entries beside the output directory", len(entries))
	}
}

func TestNewOutputRemovesLeftovers(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	write(t, filepath.Join(dir, "index.json"), "old")
	stale := filepath.Join(parent, ".out.signet-staging-123")
	write(t, filepath.Join(stale, "index.json"), "half")
	other := filepath.Join(parent, ".other.signet-staging-1")
	write(t, filepath.Join(other, "x"), "not ours")
	out, err := core.NewOutput(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{stale}, out.Recovered()); d != "" {
		t.Errorf("recovered (-want +got):\n%s", d)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale staging directory still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another output's staging directory was touched: %v", err)
	}

	// A publish killed between its two renames (systems without an atomic exchange) leaves
	// the previous output retired and no output directory: the next run puts it back.
	gone := filepath.Join(parent, "gone")
	retired := filepath.Join(parent, ".gone.signet-retired-77")
	write(t, filepath.Join(retired, "index.json"), "previous")
	out, err = core.NewOutput(gone, false)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(gone, "index.json")); err != nil || string(b) != "previous" {
		t.Errorf("previous output not restored: %q %v", b, err)
	}
	if len(out.Recovered()) != 1 || !strings.Contains(out.Recovered()[0], "restored") {
		t.Errorf("recovered %q", out.Recovered())
	}
}

package cli

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
)

// TestSBOMFileNamesMatchAttest: `signet sbom PATH... --output DIR` writes each document under
// the file name attest gives the same subject under sbom/: core.SBOMFileName of the name
// core's collector gives the path. The copy cli/sbom.go had before wrote "app-v1.tar.spdx.json"
// and "hidden.tar.spdx.json" (a regexp, dots trimmed) where attest writes
// "app%20v1.tar.spdx.json" and "%2Ehidden.tar.spdx.json".
func TestSBOMFileNamesMatchAttest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := []string{"app v1.tar", ".hidden.tar", "dist/app.tar", "dist/sub/ünï_1%.tar", "dist/x/keep"}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"./app v1.tar", ".hidden.tar", "dist/x/../app.tar", "dist//sub/./ünï_1%.tar"}
	col, err := core.NewCollector(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range core.SBOMFormats() {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "sboms")
			cmd := append([]string{"sbom", "--format", format, "--output", out}, args...)
			if _, stderr, code := run(t, dir, nil, cmd...); code != 0 {
				t.Fatalf("signet sbom exit %d: %s", code, stderr)
			}
			var want []string
			for _, a := range args {
				subs, err := col.Collect(context.Background(), core.Inputs{Paths: []string{a}})
				if err != nil || len(subs) != 1 {
					t.Fatalf("collecting %q: %v, %d subjects", a, err, len(subs))
				}
				want = append(want, core.SBOMFileName(subs[0].Name, format))
			}
			entries, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			sort.Strings(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("document files (-attest's names +signet sbom's):\n%s", d)
			}
		})
	}
	if got := core.SBOMFileName("app v1.tar", core.SBOMSPDX); got != "app%20v1.tar.spdx.json" {
		t.Errorf("core.SBOMFileName(%q) = %q, want %q", "app v1.tar", got, "app%20v1.tar.spdx.json")
	}
}

// TestSBOMFormatFlag: --format takes exactly one of core's SBOM format names; case variants,
// look-alikes and attest's comma list are refused naming the flag.
func TestSBOMFormatFlag(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"SPDX-JSON", "spdx", "spdx-json ", "cyclonedx", "spdx-json,cyclonedx-json", "", "cyclonedx-xml"} {
		t.Run(f, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := run(t, sbomWorkspace(t), nil, "sbom", "one.tar", "--format", f)
			want := `--format "` + f + `": expected spdx-json or cyclonedx-json`
			if code == 0 || !strings.Contains(stderr, want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", code, stderr, want)
			}
		})
	}
}

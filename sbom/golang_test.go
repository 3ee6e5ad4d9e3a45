package sbom

import (
	"bytes"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// TestScanBuildInfo checks the streaming reader against debug/buildinfo on real binaries:
// the fixtures, the go command (which holds the build-info magic string in its read-only
// data too) and a binary that is not Go.
func TestScanBuildInfo(t *testing.T) {
	t.Parallel()
	gf := goBinaries(t)
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	goCmd, _ = filepath.EvalSymlinks(goCmd)
	for _, tc := range []struct {
		name, path string
		isGo       bool
	}{
		{"hello", gf.hello, true},
		{"tool", gf.tool, true},
		{"go command", goCmd, true},
		{"not go", "/bin/sh", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			// a reader that returns one byte at a time at first exercises the chunk edges
			got, err := scanBuildInfo(iotest.HalfReader(bytes.NewReader(b)))
			if err != nil {
				t.Fatal(err)
			}
			want, err := buildinfo.ReadFile(tc.path)
			if !tc.isGo {
				if got != nil {
					t.Errorf("found Go build information in %s", tc.path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want.String(), got.String()); d != "" {
				t.Errorf("streamed build information differs (-debug/buildinfo +stream):\n%s", d)
			}
		})
	}
}

func TestGoSupplier(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ path, want string }{
		{"github.com/spf13/cobra", "github.com/spf13"},
		{"gitlab.com/group/sub/project", "gitlab.com/group"},
		{"golang.org/x/sync", "golang.org"},
		{"gopkg.in/yaml.v3", "github.com/go-yaml"},
		{"gopkg.in/alecthomas/kingpin.v2", "github.com/alecthomas"},
		{"sigs.k8s.io/yaml", "sigs.k8s.io"},
		{"localmodule", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			got := ""
			if p := goSupplier(tc.path); p != nil {
				got = p.name
			}
			if got != tc.want {
				t.Errorf("goSupplier(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestGoModuleReplace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		dep  debug.Module
		want string
	}{
		{"plain", debug.Module{Path: "github.com/a/b", Version: "v1.0.0"}, "pkg:golang/github.com/a/b@v1.0.0"},
		{"replaced", debug.Module{Path: "github.com/a/b", Version: "v1.0.0",
			Replace: &debug.Module{Path: "github.com/fork/b", Version: "v1.0.1"}}, "pkg:golang/github.com/fork/b@v1.0.1"},
		{"local replace", debug.Module{Path: "github.com/a/b", Version: "v1.0.0",
			Replace: &debug.Module{Path: "../b"}}, "pkg:golang/github.com/a/b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := goModule(&tc.dep, "bin")
			if p.purl != tc.want {
				t.Errorf("purl %q, want %q", p.purl, tc.want)
			}
			if tc.dep.Replace != nil && p.props["signet:go:replaces"] != "github.com/a/b@v1.0.0" && p.props["signet:go:replaced-by"] != "../b" {
				t.Errorf("replaced module does not record what it replaces: %v", p.props)
			}
		})
	}
}

func TestLicense(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, expr, text string }{
		{"MIT", "MIT", ""},
		{"mit", "MIT", ""},
		{"(MIT OR Apache-2.0)", "MIT OR Apache-2.0", ""},
		{"Apache 2.0", "", "Apache 2.0"},
		{"UNKNOWN", "", ""},
		{"LicenseRef-Proprietary", "", "LicenseRef-Proprietary"},
		{licenseFromURL("https://www.apache.org/licenses/LICENSE-2.0.txt"), "Apache-2.0", ""},
		{licenseFromURL("http://opensource.org/licenses/MIT"), "MIT", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			expr, text := license(tc.in)
			if expr != tc.expr || text != tc.text {
				t.Errorf("license(%q) = (%q, %q), want (%q, %q)", tc.in, expr, text, tc.expr, tc.text)
			}
		})
	}
}

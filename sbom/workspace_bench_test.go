package sbom

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/signet-ci/signet/core"
)

// workspaceFiles is a workspace whose lock files and manifests hold n entries in all, spread
// evenly over the eight formats (package-lock, go.mod, uv.lock, Cargo.lock, pnpm-lock.yaml,
// yarn.lock, pom.xml, Gemfile.lock), each entry depending on the next of its file.
func workspaceFiles(n int) map[string]string {
	per := n / 8
	var npm, gomod, uv, cargo, pnpm, yarn, pom, gem strings.Builder
	npm.WriteString(`{"name":"w","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"w","version":"1.0.0"}`)
	gomod.WriteString("module example.com/w\n\ngo 1.26\n\nrequire (\n")
	pnpm.WriteString("lockfileVersion: '9.0'\n\npackages:\n")
	var snap strings.Builder
	pom.WriteString("<project><groupId>com.example</groupId><artifactId>w</artifactId><version>1.0.0</version><dependencies>")
	gem.WriteString("GEM\n  remote: https://rubygems.org/\n  specs:\n")
	for i := range per {
		next := (i + 1) % per
		fmt.Fprintf(&npm, `,"node_modules/p%05d":{"version":"1.0.%d","dependencies":{"p%05d":"*"}}`, i, i, next)
		fmt.Fprintf(&gomod, "\texample.com/m%05d v1.0.%d\n", i, i)
		fmt.Fprintf(&uv, "[[package]]\nname = \"p%05d\"\nversion = \"1.0.%d\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [{ name = \"p%05d\" }]\n\n", i, i, next)
		fmt.Fprintf(&cargo, "[[package]]\nname = \"c%05d\"\nversion = \"1.0.%d\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\"c%05d\"]\n\n", i, i, next)
		fmt.Fprintf(&pnpm, "  q%05d@1.0.%d:\n    resolution: {integrity: sha512-AAAA}\n", i, i)
		fmt.Fprintf(&snap, "  q%05d@1.0.%d:\n    dependencies:\n      q%05d: 1.0.%d\n", i, i, next, next)
		fmt.Fprintf(&yarn, "y%05d@^1.0.0:\n  version \"1.0.%d\"\n  dependencies:\n    y%05d \"^1.0.0\"\n\n", i, i, next)
		fmt.Fprintf(&pom, "<dependency><groupId>org.example</groupId><artifactId>a%05d</artifactId><version>1.0.%d</version></dependency>", i, i)
		fmt.Fprintf(&gem, "    g%05d (1.0.%d)\n      g%05d (>= 1)\n", i, i, next)
	}
	npm.WriteString("}}")
	gomod.WriteString(")\n")
	pnpm.WriteString("\nsnapshots:\n" + snap.String())
	pom.WriteString("</dependencies></project>")
	return map[string]string{
		"web/package-lock.json": npm.String(), "go.mod": gomod.String(), "py/uv.lock": uv.String(),
		"rs/Cargo.lock": cargo.String(), "ui/pnpm-lock.yaml": pnpm.String(), "site/yarn.lock": yarn.String(),
		"java/pom.xml": pom.String(), "rb/Gemfile.lock": gem.String(),
	}
}

// BenchmarkSBOMWorkspace catalogs and writes the SBOM of a workspace directory of 2,000
// lock file entries (and 8,000, to show the growth per entry), both formats.
func BenchmarkSBOMWorkspace(b *testing.B) {
	for _, n := range []int{2_000, 8_000} {
		dir := writeTree(b, workspaceFiles(n))
		s := core.Subject{Name: "w", Path: dir}
		for _, format := range Formats {
			b.Run(fmt.Sprintf("entries=%d/%s", n, format), func(b *testing.B) {
				cpu := cpuTime()
				var pkgs int
				for b.Loop() {
					g, err := NewGenerator()
					if err != nil {
						b.Fatal(err)
					}
					if _, err := g.SBOM(context.Background(), s, format); err != nil {
						b.Fatal(err)
					}
					pkgs = len(g.last.inv.pkgs)
				}
				if want := n + 4; pkgs < want { // entries plus the projects and the workspace
					b.Fatalf("%d packages, want at least %d", pkgs, want)
				}
				reportPerEntry(b, n, cpu)
			})
		}
	}
}

package layering

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/internal/checkout"
)

const module = "github.com/signet-ci/signet"

// dep is a third-party import path prefix a package may import, and why.
type dep struct{ path, reason string }

// layer is what one package may import besides the standard library: packages of this module
// (module-relative; "*" is every one) and third-party import paths (a path covers the packages
// below it).
type layer struct {
	pkg   string // module-relative: "." is main; "x/..." is x and every package below it
	inner []string
	third []dep
}

// Third-party dependencies shared by several layers.
var (
	inToto      = dep{"github.com/in-toto/attestation", "in-toto Statement v1 and SLSA provenance v1 types"}
	protobuf    = dep{"google.golang.org/protobuf", "the in-toto and Sigstore types are protobuf messages; protojson encodes them"}
	fulcioCert  = dep{"github.com/sigstore/sigstore-go/pkg/fulcio/certificate", "the Fulcio certificate extension types (OIDs and their summary); no signing or verifying code"}
	tsaResponse = dep{"github.com/digitorus/timestamp", "parses RFC 3161 timestamp responses"}
	errgroup    = dep{"golang.org/x/sync", "errgroup bounds parallel work"}
)

// layers mirrors the "Layout" table of the architecture (main → cli; cli → everything; core →
// stdlib, x/sync, in-toto types; …). Every package of the module needs an entry: a new package
// is a decision about where it sits.
var layers = []layer{
	{pkg: ".", inner: []string{"cli"}, third: []dep{
		{"github.com/spf13/pflag", "main.go empties pflag.CommandLine, which the linked timestamp-authority server fills at init"},
	}},
	{pkg: "cli", inner: []string{"*"}, third: []dep{
		{"github.com/spf13/cobra", "the commands"},
		{"github.com/spf13/pflag", "the commands' flags"},
		{"github.com/google/go-containerregistry/pkg/authn", "the Docker config keychain (it reads DOCKER_CONFIG), wired here where the environment is read"},
		errgroup, fulcioCert,
	}},
	{pkg: "core", third: []dep{
		errgroup, inToto, protobuf,
		{"golang.org/x/sys", "renameat2(RENAME_EXCHANGE) swaps the output directory atomically; flock guards staging directories"},
	}},
	{pkg: "core/sigstore", inner: []string{"core", "internal/backoff"}, third: []dep{
		{"github.com/sigstore/sigstore-go", "keyless and key signing, bundles, trusted roots, verification: core/sigstore is where sigstore-go is used"},
		{"github.com/sigstore/sigstore/pkg", "signers, verifiers and PEM helpers sigstore-go's API takes"},
		{"github.com/sigstore/protobuf-specs", "bundle, trusted-root and signing-config messages"},
		{"github.com/sigstore/rekor/pkg", "Rekor v1 client"},
		{"github.com/sigstore/rekor-tiles/v2", "Rekor v2 entry messages"},
		{"github.com/theupdateframework/go-tuf/v2", "the public-good trusted root comes through TUF"},
		tsaResponse, protobuf,
	}},
	{pkg: "keys", inner: []string{"internal/backoff"}, third: []dep{
		{"github.com/sigstore/sigstore/pkg", "sigstore's own KMS signer modules (AWS, GCP, Azure, Vault) behind --key awskms:// etc."},
		{"github.com/aws/aws-sdk-go-v2", "AWS KMS client options (one SDK attempt per call) and its error types"},
		{"github.com/aws/smithy-go", "AWS API error faults: a client fault is not retried"},
		{"github.com/ThalesGroup/crypto11", "PKCS#11 keys (HSMs) behind --key pkcs11:, with the pkcs11 build tag (cgo)"},
	}},
	{pkg: "provenance", inner: []string{"core", "internal/backoff"}, third: []dep{
		inToto, protobuf, fulcioCert,
		{"github.com/coreos/go-oidc/v3", "verifies the signature of a CI token's claims against its issuer's keys"},
	}},
	{pkg: "sbom", inner: []string{"core"}, third: []dep{
		{"github.com/spdx/tools-golang", "SPDX 2.3 documents"},
		{"github.com/CycloneDX/cyclonedx-go", "CycloneDX 1.6 documents"},
		{"github.com/package-url/packageurl-go", "package URLs"},
		{"github.com/github/go-spdx/v2", "SPDX license expressions"},
		{"github.com/google/go-containerregistry", "image tarballs and OCI layouts"},
		{"github.com/google/uuid", "document serial numbers and namespaces"},
		{"github.com/klauspost/compress", "gzip and zstd archives"},
		{"github.com/ulikunitz/xz", "xz archives"},
		{"golang.org/x/mod", "go.mod files and module paths of a workspace"},
		{"github.com/pelletier/go-toml/v2", "Cargo.lock, poetry.lock and uv.lock are TOML"},
		{"go.yaml.in/yaml/v3", "pnpm-lock.yaml is YAML"},
	}},
	{pkg: "verify", inner: []string{"core", "core/sigstore", "provenance"}, third: []dep{
		fulcioCert, tsaResponse, errgroup,
		{"go.yaml.in/yaml/v3", "policy files are YAML"},
	}},
	{pkg: "policy", inner: []string{"verify"}, third: []dep{
		{"go.yaml.in/yaml/v3", "writes the admission policies as YAML"},
	}},
	{pkg: "metrics", inner: []string{"core"}},
	{pkg: "ci", inner: []string{"core", "provenance", "keys"}}, // keys: the adapters' key input parses as --key does
	{pkg: "oci", inner: []string{"internal/backoff"}, third: []dep{
		{"github.com/google/go-containerregistry", "references, descriptors, keychains and the registry token exchange; the referrer pushes and reads are signet's own, bounded"},
	}},
	// ghapi is GitHub's REST API (the attestation store): the action uploads through it, cli
	// fetches from it for verify; it knows nothing of signet's other packages.
	{pkg: "ghapi", inner: []string{"internal/backoff"}},
	{pkg: "ghapi/ghapitest"},
	{pkg: "action", inner: []string{"core", "ci", "provenance", "internal/backoff", "ghapi"}, third: []dep{
		{"github.com/sethvargo/go-githubactions", "the GitHub Actions runner's files and commands"},
	}},
	{pkg: "gitlab", inner: []string{"core", "ci", "provenance", "internal/backoff"}},
	{pkg: "tekton", inner: []string{"core", "ci", "provenance", "internal/backoff"}},
	{pkg: "localsigstore", third: []dep{
		{"github.com/sigstore/fulcio", "Fulcio's own CA and server packages"},
		{"github.com/sigstore/timestamp-authority", "the timestamp authority's own packages"},
		{"github.com/go-jose/go-jose/v4", "the OIDC issuer signs its tokens"},
		{"github.com/sigstore/sigstore-go/pkg/root", "writes the trusted root of the local Sigstore"},
		{"github.com/sigstore/sigstore/pkg", "key and certificate helpers Fulcio's CA takes"},
		{"github.com/sigstore/protobuf-specs", "trusted-root and signing-config messages"},
		{"github.com/grpc-ecosystem/grpc-gateway/v2", "Fulcio serves its gRPC API over REST through the gateway"},
		{"google.golang.org/grpc", "Fulcio's server is a gRPC service"},
		{"github.com/spf13/viper", "the timestamp authority's signer reads its configuration from the global viper"},
		{"go.uber.org/zap", "silences Fulcio's and the timestamp authority's loggers"},
	}},
	{pkg: "internal/backoff"},
	{pkg: "internal/layering"},
	{pkg: "internal/checkout", third: []dep{
		{"github.com/santhosh-tekuri/jsonschema/v6", "tests validate documents against the vendored JSON schemas"},
	}},
	{pkg: "internal/golden", third: []dep{{"github.com/google/go-cmp", "golden-file diffs"}}},
	{pkg: "internal/shellwords"},
	{pkg: "internal/registrytest", third: []dep{
		{"github.com/google/go-containerregistry", "its in-process registry (pkg/registry) and random images for tests"},
	}},
	{pkg: "internal/release", third: []dep{
		{"github.com/google/go-containerregistry", "builds the multi-platform release image without a Docker daemon and pushes it"},
	}},
	{pkg: "tools/release", inner: []string{"internal/release"}, third: []dep{
		{"github.com/google/go-containerregistry", "parses image references and reads registry credentials for the release image"},
	}},
	{pkg: "e2e/..."},
}

// testSupport are packages only tests may import: they import package testing and build
// binaries.
var testSupport = []string{"internal/checkout", "internal/golden", "internal/shellwords", "internal/registrytest", "ghapi/ghapitest"}

// pkgImports is one package and the imports of its non-test files.
type pkgImports struct {
	path    string // module-relative
	imports []string
}

// rel returns an import path relative to the module ("." for the module's root), or false
// for a path outside the module.
func rel(importPath string) (string, bool) {
	if importPath == module {
		return ".", true
	}
	r, ok := strings.CutPrefix(importPath, module+"/")
	return r, ok
}

// standard reports whether an import path is the standard library's: its first element has
// no dot.
func standard(importPath string) bool {
	first, _, _ := strings.Cut(importPath, "/")
	return !strings.Contains(first, ".")
}

// under reports whether path is prefix or below it.
func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// layerOf returns the layer of a module-relative package path.
func layerOf(pkg string, layers []layer) (layer, bool) {
	for _, l := range layers {
		if l.pkg == pkg {
			return l, true
		}
	}
	for _, l := range layers {
		if p, ok := strings.CutSuffix(l.pkg, "/..."); ok && under(pkg, p) {
			return l, true
		}
	}
	return layer{}, false
}

// allows reports whether layer l may import the import path imp.
func (l layer) allows(imp string) bool {
	if standard(imp) {
		return true
	}
	if r, ok := rel(imp); ok {
		return slices.ContainsFunc(l.inner, func(p string) bool { return p == "*" || p == r })
	}
	return slices.ContainsFunc(l.third, func(d dep) bool { return under(imp, d.path) })
}

func (l layer) describe() string {
	parts := []string{"the standard library"}
	for _, p := range l.inner {
		if p == "*" {
			p = "every package of the module"
		}
		parts = append(parts, p)
	}
	for _, d := range l.third {
		parts = append(parts, d.path)
	}
	return strings.Join(parts, ", ")
}

// violations returns one message per import that crosses the layering.
func violations(pkgs []pkgImports, layers []layer, testSupport []string) []string {
	var out []string
	for _, p := range pkgs {
		l, ok := layerOf(p.path, layers)
		if !ok {
			out = append(out, fmt.Sprintf("package %s has no layering rule: add it to the layers table "+
				"(and to the architecture's Layout table) with what it may import", p.path))
			continue
		}
		for _, imp := range p.imports {
			if r, ok := rel(imp); ok && slices.Contains(testSupport, r) {
				out = append(out, fmt.Sprintf("%s imports %s, which is test support: only _test.go files may import it", p.path, r))
				continue
			}
			if !l.allows(imp) {
				out = append(out, fmt.Sprintf("%s imports %s, across the layering: %s may import %s", p.path, imp, p.path, l.describe()))
			}
		}
	}
	sort.Strings(out)
	return out
}

// listed is what `go list -json` says of a package.
type listed struct {
	ImportPath string
	Dir        string
}

// modulePackages lists the module's packages with the imports of all their non-test files,
// whatever their build constraints (other systems, nolocalsigstore), and their directories.
func modulePackages(t *testing.T) ([]pkgImports, map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-e", "-json=ImportPath,Dir", "./...")
	cmd.Dir = checkout.Root(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./...: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkgImports
	dirs := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var l listed
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list's output: %v", err)
		}
		r, ok := rel(l.ImportPath)
		if !ok {
			t.Fatalf("go list ./... listed %s, outside module %s", l.ImportPath, module)
		}
		imports, err := dirImports(l.Dir)
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, pkgImports{path: r, imports: imports})
		dirs[r] = l.Dir
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list ./... listed %d packages; the module has more", len(pkgs))
	}
	return pkgs, dirs
}

// nonTestFiles returns the .go files of dir that are not tests.
func nonTestFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out, nil
}

// dirImports returns the sorted imports of the non-test files of dir.
func dirImports(dir string) ([]string, error) {
	files, err := nonTestFiles(dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", f, err)
		}
		for _, is := range af.Imports {
			p, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: import %s: %w", f, is.Path.Value, err)
			}
			seen[p] = true
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// TestLayering fails when a package of the module imports across the layers table, or has no
// entry in it.
func TestLayering(t *testing.T) {
	t.Parallel()
	pkgs, _ := modulePackages(t)
	for _, v := range violations(pkgs, layers, testSupport) {
		t.Error(v)
	}
}

// TestLayeringCatchesViolations feeds made-up package lists to the check: each forbidden
// import is reported with a message naming it; the real layout's shape passes.
func TestLayeringCatchesViolations(t *testing.T) {
	t.Parallel()
	m := func(p string) string { return module + "/" + p }
	tests := []struct {
		name string
		pkgs []pkgImports
		want []string
	}{
		{name: "allowed imports", pkgs: []pkgImports{
			{path: ".", imports: []string{"os", m("cli"), "github.com/spf13/pflag"}},
			{path: "core", imports: []string{"context", "golang.org/x/sync/errgroup", "golang.org/x/sys/unix", "github.com/in-toto/attestation/go/v1"}},
			{path: "gitlab", imports: []string{m("core"), m("ci"), m("provenance"), m("internal/backoff")}},
			{path: "cli", imports: []string{m("verify"), m("localsigstore"), m("tekton")}},
			{path: "e2e/tier3", imports: []string{"testing"}},
		}},
		{name: "core imports provenance", pkgs: []pkgImports{{path: "core", imports: []string{m("provenance")}}},
			want: []string{"core imports " + m("provenance") + ", across the layering: core may import the standard library, golang.org/x/sync, " +
				"github.com/in-toto/attestation, google.golang.org/protobuf, golang.org/x/sys"}},
		{name: "core imports sigstore-go", pkgs: []pkgImports{{path: "core", imports: []string{"github.com/sigstore/sigstore-go/pkg/sign"}}},
			want: []string{"core imports github.com/sigstore/sigstore-go/pkg/sign, across the layering"}},
		{name: "an adapter imports core/sigstore", pkgs: []pkgImports{{path: "tekton", imports: []string{m("core/sigstore")}}},
			want: []string{"tekton imports " + m("core/sigstore") + ", across the layering"}},
		{name: "an adapter imports cli", pkgs: []pkgImports{{path: "action", imports: []string{m("cli")}}},
			want: []string{"action imports " + m("cli") + ", across the layering"}},
		{name: "provenance imports more of sigstore-go than the certificate types",
			pkgs: []pkgImports{{path: "provenance", imports: []string{"github.com/sigstore/sigstore-go/pkg/fulcio/certificate", "github.com/sigstore/sigstore-go/pkg/verify"}}},
			want: []string{"provenance imports github.com/sigstore/sigstore-go/pkg/verify, across the layering"}},
		{name: "a look-alike of an allowed module", pkgs: []pkgImports{{path: "core", imports: []string{"golang.org/x/syscall", "golang.org/x/sync2"}}},
			want: []string{"core imports golang.org/x/sync2, across the layering", "core imports golang.org/x/syscall, across the layering"}},
		{name: "main imports core", pkgs: []pkgImports{{path: ".", imports: []string{m("core")}}},
			want: []string{". imports " + m("core") + ", across the layering"}},
		{name: "an internal package imports core", pkgs: []pkgImports{{path: "internal/backoff", imports: []string{m("core")}}},
			want: []string{"internal/backoff imports " + m("core") + ", across the layering"}},
		{name: "a package without a rule", pkgs: []pkgImports{{path: "jenkins", imports: []string{m("core")}}},
			want: []string{"package jenkins has no layering rule"}},
		{name: "cli imports test support", pkgs: []pkgImports{{path: "cli", imports: []string{m("internal/checkout")}}},
			want: []string{"cli imports internal/checkout, which is test support"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := violations(tt.pkgs, layers, testSupport)
			if len(got) != len(tt.want) {
				t.Fatalf("violations:\n%s\nwant %d starting %q", strings.Join(got, "\n"), len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("violation %q, want it to start %q", got[i], tt.want[i])
				}
			}
		})
	}
}

// environment are the functions that read the process environment.
var environment = map[string][]string{
	"os":      {"Getenv", "LookupEnv", "Environ", "ExpandEnv"},
	"syscall": {"Getenv", "Environ"},
}

// envReads returns "file:line: os.Getenv" for every use (call or value) of a function reading
// the process environment in src, however os or syscall is imported.
func envReads(fset *token.FileSet, f *ast.File) []string {
	names := map[string]string{} // local name → package
	var out []string
	for _, is := range f.Imports {
		p, _ := strconv.Unquote(is.Path.Value)
		if _, ok := environment[p]; !ok {
			continue
		}
		name := p
		if is.Name != nil {
			name = is.Name.Name
		}
		if name == "." {
			out = append(out, fmt.Sprintf("%s: dot-import of %s", fset.Position(is.Pos()), p))
		}
		names[name] = p
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil { // a local variable, not a package
			return true
		}
		if p, ok := names[id.Name]; ok && slices.Contains(environment[p], sel.Sel.Name) {
			out = append(out, fmt.Sprintf("%s: %s.%s", fset.Position(sel.Pos()), p, sel.Sel.Name))
		}
		return true
	})
	return out
}

// TestNothingBelowCLIReadsTheEnvironment: only main and cli read the process environment;
// every other package takes a getenv function. Test support (internal/checkout runs go build
// with the test's environment) is exempt: only tests import it.
func TestNothingBelowCLIReadsTheEnvironment(t *testing.T) {
	t.Parallel()
	_, dirs := modulePackages(t)
	exempt := append([]string{".", "cli", "tools/release"}, testSupport...) // tools/release is a command, like main
	checked := 0
	for pkg, dir := range dirs {
		if slices.Contains(exempt, pkg) {
			continue
		}
		files, err := nonTestFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, r := range envReads(fset, f) {
				t.Errorf("package %s reads the process environment at %s: take a getenv func(string) string from cli instead", pkg, r)
			}
		}
	}
	if checked < 50 {
		t.Errorf("checked %d files; the module has more", checked)
	}
}

// TestEnvReadsCaught: the environment check finds calls and values under any import name,
// and not look-alikes.
func TestEnvReadsCaught(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "call", src: `import "os"; func f() string { return os.Getenv("CI") }`, want: []string{"x.go:1:50: os.Getenv"}},
		{name: "renamed import", src: `import o "os"; func f() { _, _ = o.LookupEnv("CI") }`, want: []string{"x.go:1:45: os.LookupEnv"}},
		{name: "function value", src: `import "os"; var g = os.Environ`, want: []string{"x.go:1:33: os.Environ"}},
		{name: "expand", src: `import "os"; var s = os.ExpandEnv("$HOME")`, want: []string{"x.go:1:33: os.ExpandEnv"}},
		{name: "syscall", src: `import "syscall"; func f() { syscall.Getenv("CI") }`, want: []string{"x.go:1:41: syscall.Getenv"}},
		{name: "dot import", src: `import . "os"; func f() { Getenv("CI") }`, want: []string{"x.go:1:19: dot-import of os"}},
		{name: "other os functions", src: `import "os"; func f() { os.Getwd(); os.Getpid() }`},
		{name: "a local variable named os", src: `type e struct{}; func (e) Getenv(string) string { return "" }; func f() { os := e{}; os.Getenv("CI") }`},
		{name: "a getenv parameter", src: `func f(getenv func(string) string) string { return getenv("CI") }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package x; "+tt.src, 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, envReads(fset, f)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

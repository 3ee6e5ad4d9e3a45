package checkout

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaDir is where the JSON schemas the tests validate against live, relative to the
// repository root (copies of upstream files; testdata/schemas/README.md says where from).
const SchemaDir = "testdata/schemas"

// compiled caches one compilation per schema file for the test process.
var compiled sync.Map // file → func() (*jsonschema.Schema, error)

// Schema compiles SchemaDir/file (a slash-separated path such as "gitlab-ci.json" or
// "cyclonedx/bom-1.6.schema.json") once per test process, asserting formats. It reads only
// local files: the SPDX and CycloneDX schema URLs map to their copies under SchemaDir.
func Schema(t testing.TB, file string) *jsonschema.Schema {
	t.Helper()
	dir := filepath.Join(Root(t), filepath.FromSlash(SchemaDir))
	compile, _ := compiled.LoadOrStore(file, sync.OnceValues(func() (*jsonschema.Schema, error) {
		c := jsonschema.NewCompiler()
		c.UseLoader(jsonschema.SchemeURLLoader{"file": jsonschema.FileLoader{}, "http": offline(dir)})
		c.AssertFormat()
		return c.Compile(filepath.Join(dir, filepath.FromSlash(file)))
	}))
	s, err := compile.(func() (*jsonschema.Schema, error))()
	if err != nil {
		t.Fatalf("compiling schema %s: %v", file, err)
	}
	return s
}

// offline loads the http URLs the SBOM schemas refer to from the local copies under a
// schema directory.
type offline string

// Load implements jsonschema.URLLoader.
func (dir offline) Load(url string) (any, error) {
	var file string
	switch {
	case url == "http://spdx.org/rdf/terms/2.3":
		file = "spdx-schema-2.3.json"
	case strings.HasPrefix(url, "http://cyclonedx.org/schema/"):
		file = "cyclonedx/" + strings.TrimPrefix(url, "http://cyclonedx.org/schema/")
	default:
		return nil, fmt.Errorf("schema %q is not available offline", url)
	}
	f, err := os.Open(filepath.Join(string(dir), filepath.FromSlash(file)))
	if err != nil {
		return nil, fmt.Errorf("loading schema %q offline: %w", url, err)
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

package cli

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sbomWorkspace writes a tarball holding one installed npm package and returns its directory.
func sbomWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte(`{"name":"left-pad","version":"1.3.0","author":"Cameron Westland <camwest@gmail.com>","license":"WTFPL"}`)
	if err := tw.WriteHeader(&tar.Header{Name: "app/node_modules/left-pad/package.json", Mode: 0o644, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	for _, n := range []string{"one.tar", "two.tar"} {
		if err := os.WriteFile(filepath.Join(dir, n), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// docPurls returns the purls of the packages of an SPDX or CycloneDX document.
func docPurls(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		SPDXVersion string `json:"spdxVersion"`
		SpecVersion string `json:"specVersion"`
		Packages    []struct {
			ExternalRefs []struct {
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
		Components []struct {
			Purl string `json:"purl"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("output is not a JSON document: %v\n%s", err, doc)
	}
	var out []string
	for _, p := range d.Packages {
		for _, r := range p.ExternalRefs {
			if !strings.HasPrefix(r.Locator, "pkg:generic/") {
				out = append(out, r.Locator)
			}
		}
	}
	for _, c := range d.Components {
		if c.Purl != "" { // files listed by --file-digests have no purl
			out = append(out, c.Purl)
		}
	}
	return out
}

func TestSBOMCommand(t *testing.T) {
	t.Parallel()
	want := []string{"pkg:npm/left-pad@1.3.0"}
	for _, tc := range []struct {
		name  string
		args  []string
		files []string // documents expected on disk, relative to the workspace
	}{
		{"stdout cyclonedx", []string{"sbom", "one.tar", "--format", "cyclonedx-json"}, nil},
		{"stdout spdx by default", []string{"sbom", "one.tar"}, nil},
		{"output file", []string{"sbom", "one.tar", "--output", "out.spdx.json"}, []string{"out.spdx.json"}},
		{"output dir for several", []string{"sbom", "one.tar", "two.tar", "--format", "cyclonedx-json", "-o", "sboms", "--file-digests"},
			[]string{"sboms/one.tar.cdx.json", "sboms/two.tar.cdx.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := sbomWorkspace(t)
			stdout, stderr, code := run(t, dir, nil, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			docs := [][]byte{[]byte(stdout)}
			if tc.files != nil {
				docs = nil
				for _, f := range tc.files {
					b, err := os.ReadFile(filepath.Join(dir, f))
					if err != nil {
						t.Fatal(err)
					}
					docs = append(docs, b)
				}
			}
			for _, doc := range docs {
				if d := cmp.Diff(want, docPurls(t, doc)); d != "" {
					t.Errorf("packages (-want +got):\n%s", d)
				}
			}
		})
	}
}

func TestSBOMCommandErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"sbom", "one.tar", "--format", "spdx-tag-value"}, `--format "spdx-tag-value": expected spdx-json or cyclonedx-json`},
		{"several to stdout", []string{"sbom", "one.tar", "two.tar"}, "give --output DIR"},
		{"missing path", []string{"sbom", "nope.tar"}, `PATH "nope.tar"`},
		{"bad limit", []string{"sbom", "one.tar", "--max-depth", "0"}, "archive depth limit 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stderr, code := run(t, sbomWorkspace(t), nil, tc.args...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", code, stderr, tc.want)
			}
		})
	}
}

// TestSBOMCommandLimits: a limit error of `signet sbom` names the flag that raises it, or the
// --truncate-fields that cuts a field instead, and only flags that exist.
func TestSBOMCommandLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte(`{"name":"` + strings.Repeat("n", 10<<10) + `","version":"1.0.0"}`)
	if err := tw.WriteHeader(&tar.Header{Name: "app/node_modules/x/package.json", Mode: 0o644, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	if err := os.WriteFile(filepath.Join(dir, "long.tar"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	tw = tar.NewWriter(&buf)
	for _, n := range []string{"a", "b", "c"} {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	if err := os.WriteFile(filepath.Join(dir, "three.tar"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string // in stderr on failure, in the document on success
		ok   bool
	}{
		{"field over its limit", []string{"sbom", "long.tar"},
			[]string{"long.tar!/app/node_modules/x/package.json", "max-field-bytes", "--truncate-fields cuts such fields"}, false},
		{"field truncated on request", []string{"sbom", "long.tar", "--truncate-fields"}, []string{"(truncated sha256:"}, true},
		{"members within the limit", []string{"sbom", "three.tar", "--max-members", "3"}, []string{`"spdxVersion"`}, true},
		{"members over a lowered limit", []string{"sbom", "three.tar", "--max-members", "2"},
			[]string{"three.tar", "max-members", "raise it with --max-members"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, stderr, code := run(t, dir, nil, tc.args...)
			if (code == 0) != tc.ok {
				t.Fatalf("exit %d, stderr %q; want success %v", code, stderr, tc.ok)
			}
			text := stderr
			if tc.ok {
				text = out
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("output %.300q does not say %q", text, w)
				}
			}
		})
	}
}

// TestSBOMCommandDirectory: `signet sbom ./my-project` on a project with a package-lock.json
// and node_modules catalogs it (it failed, the directory taken for an OCI layout); a
// directory with an oci-layout file that is no layout fails saying what it was taken for.
func TestSBOMCommandDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"my-project/package-lock.json": `{"name":"web","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"web","version":"1.0.0","dependencies":{"left-pad":"^1.3.0","ms":"^2.1.3"}},` +
			`"node_modules/left-pad":{"version":"1.3.0"},"node_modules/ms":{"version":"2.1.3"}}}`,
		"my-project/node_modules/left-pad/package.json": `{"name":"left-pad","version":"1.3.0","license":"WTFPL"}`,
		"layout/oci-layout":                             `{"imageLayoutVersion":"1.0.0"}`,
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stdout, stderr, code := run(t, dir, nil, "sbom", "./my-project", "--format", "cyclonedx-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{"pkg:npm/left-pad@1.3.0", "pkg:npm/ms@2.1.3", "pkg:npm/web@1.0.0"}
	if d := cmp.Diff(want, docPurls(t, []byte(stdout))); d != "" {
		t.Errorf("packages (-want +got):\n%s", d)
	}
	if !strings.Contains(stdout, `"signet:declared-only"`) {
		t.Errorf("ms is in the lock file only, yet nothing is marked signet:declared-only")
	}
	_, stderr, code = run(t, dir, nil, "sbom", "layout")
	if code == 0 || !strings.Contains(stderr, "taken for an OCI image layout (it has an oci-layout file)") {
		t.Errorf("exit %d, stderr %q; want a failure saying the directory was taken for an OCI image layout", code, stderr)
	}
}

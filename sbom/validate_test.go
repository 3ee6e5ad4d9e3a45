package sbom

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	spdxexp "github.com/github/go-spdx/v2/spdxexp"
	packageurl "github.com/package-url/packageurl-go"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/signet-ci/signet/internal/checkout"
)

// schemaFiles names the official schema of each format under checkout.SchemaDir.
var schemaFiles = map[string]string{
	FormatSPDX:      "spdx-schema-2.3.json",
	FormatCycloneDX: "cyclonedx/bom-1.6.schema.json",
}

// view is a format-neutral reading of an SBOM, for assertions.
type view struct {
	primaryPurl   string
	primarySHA256 string
	purls         []string            // every package but the primary, sorted
	supplier      map[string]string   // purl → supplier ("" when none)
	related       map[string][]string // purl → purls it contains or depends on
	kind          map[[2]string]string
}

// edge returns the relationship kind from → to ("" when none).
func (v view) edge(from, to string) string { return v.kind[[2]string{from, to}] }

// namespaces remembers every SPDX documentNamespace seen with the document's content, so a
// namespace reused for different content fails.
var namespaces sync.Map

// checkSBOM validates doc against the official schema of format plus the checks the schemas
// lack, and the NTIA minimum elements; it returns the document's view.
func checkSBOM(t *testing.T, format string, doc []byte) view {
	t.Helper()
	schema := checkout.Schema(t, schemaFiles[format])
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("%s document is not JSON: %v", format, err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("%s document fails its schema: %v", format, err)
	}
	var v view
	if format == FormatSPDX {
		v = checkSPDX(t, doc)
	} else {
		v = checkCycloneDX(t, doc)
	}
	for _, p := range append([]string{v.primaryPurl}, v.purls...) {
		if _, err := packageurl.FromString(p); err != nil {
			t.Errorf("purl %q does not parse: %v", p, err)
		}
	}
	return v
}

func checkTime(t *testing.T, what, s string) {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "Z") || ts.Location() != time.UTC {
		t.Errorf("%s %q is not an RFC 3339 UTC time", what, s)
	}
}

func checkLicense(t *testing.T, expr string) {
	t.Helper()
	if ok, bad := spdxexp.ValidateLicenses([]string{expr}); !ok {
		t.Errorf("license expression %q does not parse: %v", expr, bad)
	}
}

type spdxDocument struct {
	SPDXID            string `json:"SPDXID"`
	DocumentNamespace string `json:"documentNamespace"`
	CreationInfo      struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	Packages []struct {
		SPDXID          string `json:"SPDXID"`
		Name            string `json:"name"`
		VersionInfo     string `json:"versionInfo"`
		Supplier        string `json:"supplier"`
		LicenseDeclared string `json:"licenseDeclared"`
		Checksums       []struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"checksumValue"`
		} `json:"checksums"`
		ExternalRefs []struct {
			Category string `json:"referenceCategory"`
			Type     string `json:"referenceType"`
			Locator  string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Files []struct {
		SPDXID   string `json:"SPDXID"`
		FileName string `json:"fileName"`
	} `json:"files"`
	Relationships []struct {
		A    string `json:"spdxElementId"`
		B    string `json:"relatedSpdxElement"`
		Type string `json:"relationshipType"`
	} `json:"relationships"`
}

func checkSPDX(t *testing.T, doc []byte) view {
	t.Helper()
	var d spdxDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.DocumentNamespace, "https://") {
		t.Errorf("documentNamespace %q: want an absolute https URI", d.DocumentNamespace)
	}
	if prev, loaded := namespaces.LoadOrStore(d.DocumentNamespace, string(doc)); loaded && prev.(string) != string(doc) {
		t.Errorf("documentNamespace %q reused for a different document", d.DocumentNamespace)
	}
	checkTime(t, "SPDX created", d.CreationInfo.Created)
	if len(d.CreationInfo.Creators) == 0 || !strings.HasPrefix(d.CreationInfo.Creators[0], "Tool: signet-") {
		t.Errorf("creators %v: want the signet tool (NTIA author)", d.CreationInfo.Creators)
	}
	ids := map[string]string{d.SPDXID: "document"}
	purlOf := map[string]string{}
	v := view{supplier: map[string]string{}, related: map[string][]string{}, kind: map[[2]string]string{}}
	for _, p := range d.Packages {
		if _, dup := ids[p.SPDXID]; dup {
			t.Errorf("duplicate SPDXID %q", p.SPDXID)
		}
		ids[p.SPDXID] = p.Name
		var purls []string
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" {
				purls = append(purls, r.Locator)
			}
		}
		if p.Name == "" || len(purls) != 1 || p.VersionInfo == "" && !versionless(purls[0]) {
			t.Errorf("package %s: NTIA minimum elements: name %q, version %q, purls %v", p.SPDXID, p.Name, p.VersionInfo, purls)
			continue
		}
		if p.LicenseDeclared != "NOASSERTION" && p.LicenseDeclared != "" {
			checkLicense(t, p.LicenseDeclared)
		}
		purlOf[p.SPDXID] = purls[0]
		if p.Supplier != "NOASSERTION" {
			v.supplier[purls[0]] = p.Supplier
		}
	}
	for _, f := range d.Files {
		if _, dup := ids[f.SPDXID]; dup {
			t.Errorf("duplicate SPDXID %q", f.SPDXID)
		}
		ids[f.SPDXID] = f.FileName
		purlOf[f.SPDXID] = "file:" + strings.TrimPrefix(f.FileName, "./")
	}
	related := map[string]bool{}
	for _, r := range d.Relationships {
		for _, end := range []string{r.A, r.B} {
			if _, ok := ids[end]; !ok {
				t.Errorf("relationship %s %s %s: %q does not resolve", r.A, r.Type, r.B, end)
			}
		}
		related[r.B] = true
		if r.Type == "DESCRIBES" && r.A == "SPDXRef-DOCUMENT" {
			v.primaryPurl = purlOf[r.B]
			for _, p := range d.Packages {
				if p.SPDXID == r.B {
					for _, c := range p.Checksums {
						if c.Algorithm == "SHA256" {
							v.primarySHA256 = c.Value
						}
					}
				}
			}
			continue
		}
		a, b := purlOf[r.A], purlOf[r.B]
		v.related[a] = append(v.related[a], b)
		v.kind[[2]string{a, b}] = r.Type
	}
	if v.primaryPurl == "" {
		t.Errorf("no DOCUMENT DESCRIBES relationship (NTIA primary component)")
	}
	for id, p := range purlOf {
		if !related[id] {
			t.Errorf("package %s (%s) is in no relationship (NTIA dependency relationships)", id, p)
		}
		if p != v.primaryPurl && !strings.HasPrefix(p, "file:") {
			v.purls = append(v.purls, p)
		}
	}
	sort.Strings(v.purls)
	return v
}

type cdxDocument struct {
	SpecVersion  string `json:"specVersion"`
	SerialNumber string `json:"serialNumber"`
	Metadata     struct {
		Timestamp string `json:"timestamp"`
		Tools     struct {
			Components []struct{ Name, Version string } `json:"components"`
		} `json:"tools"`
		Component cdxComp `json:"component"`
	} `json:"metadata"`
	Components   []cdxComp `json:"components"`
	Dependencies []struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	} `json:"dependencies"`
}

type cdxComp struct {
	BOMRef   string `json:"bom-ref"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Purl     string `json:"purl"`
	Supplier *struct {
		Name string `json:"name"`
	} `json:"supplier"`
	Hashes []struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	} `json:"hashes"`
	Licenses []struct {
		Expression string `json:"expression"`
	} `json:"licenses"`
}

func checkCycloneDX(t *testing.T, doc []byte) view {
	t.Helper()
	var d cdxDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	if d.SpecVersion != "1.6" || !strings.HasPrefix(d.SerialNumber, "urn:uuid:") {
		t.Errorf("specVersion %q serialNumber %q: want 1.6 and a urn:uuid", d.SpecVersion, d.SerialNumber)
	}
	checkTime(t, "CycloneDX timestamp", d.Metadata.Timestamp)
	if len(d.Metadata.Tools.Components) == 0 || d.Metadata.Tools.Components[0].Name != "signet" {
		t.Errorf("metadata.tools %v: want signet (NTIA author)", d.Metadata.Tools.Components)
	}
	v := view{supplier: map[string]string{}, related: map[string][]string{}, kind: map[[2]string]string{}}
	refs := map[string]cdxComp{}
	for i, c := range append([]cdxComp{d.Metadata.Component}, d.Components...) {
		if _, dup := refs[c.BOMRef]; dup || c.BOMRef == "" {
			t.Errorf("bom-ref %q is empty or not unique", c.BOMRef)
		}
		refs[c.BOMRef] = c
		for _, l := range c.Licenses {
			if l.Expression != "" {
				checkLicense(t, l.Expression)
			}
		}
		if strings.HasPrefix(c.BOMRef, "file:") {
			continue
		}
		if c.Name == "" || c.Purl == "" || c.Version == "" && !versionless(c.Purl) {
			t.Errorf("component %q: NTIA minimum elements: name %q, version %q, purl %q", c.BOMRef, c.Name, c.Version, c.Purl)
		}
		if c.Supplier != nil {
			v.supplier[c.Purl] = c.Supplier.Name
		}
		if i == 0 {
			v.primaryPurl = c.Purl
			for _, h := range c.Hashes {
				if h.Alg == "SHA-256" {
					v.primarySHA256 = h.Content
				}
			}
			continue
		}
		v.purls = append(v.purls, c.Purl)
	}
	inGraph := map[string]bool{}
	for _, dep := range d.Dependencies {
		inGraph[dep.Ref] = true
		for _, r := range append([]string{dep.Ref}, dep.DependsOn...) {
			if _, ok := refs[r]; !ok {
				t.Errorf("dependency ref %q does not resolve", r)
			}
		}
		a := refs[dep.Ref].Purl
		for _, on := range dep.DependsOn {
			b := refs[on].Purl
			if b == "" {
				b = on
			}
			v.related[a] = append(v.related[a], b)
			v.kind[[2]string{a, b}] = "dependsOn"
		}
	}
	for r := range refs {
		if !inGraph[r] {
			t.Errorf("component %q has no entry in the dependency graph", r)
		}
	}
	sort.Strings(v.purls)
	return v
}

// versionless reports whether a package URL has no version: the one case where a package
// may have none (a Go main module built without one, a module replaced by a directory).
// Everything else must have a version (NTIA).
func versionless(p string) bool {
	u, err := packageurl.FromString(p)
	return err == nil && u.Version == ""
}

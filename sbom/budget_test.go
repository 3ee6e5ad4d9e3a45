package sbom

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/verify"
)

// bigName is a package.json under node_modules whose name is n bytes.
func bigNameManifest(n int) entry {
	return file("app/node_modules/x/package.json", `{"name":"`+strings.Repeat("n", n)+`","version":"1.0.0"}`)
}

// TestFieldLimits feeds inputs whose fields, files or totals exceed a limit and asserts a
// *LimitError naming the limit, its value and the file inside the archive.
func TestFieldLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pad5M := strings.Repeat("p", 5<<20) // past the 4 MiB limit on files describing one package or image
	lockOf := func(key string) string {
		return `{"lockfileVersion":3,"packages":{"` + key + `":{"version":"1.0.0"}}}`
	}
	for _, tc := range []struct {
		name    string
		file    string
		body    []byte
		opts    []Option
		limit   string
		max     int64
		where   string
		message string
	}{
		{"package name", "app.tar.gz", compress(t, "gz", tarOf(t, bigNameManifest(5000))), nil,
			LimitFieldBytes, 4096, "app.tar.gz!/app/node_modules/x/package.json", "package name is 5000 bytes, over the 4096-byte limit"},
		{"version", "app.tar", tarOf(t, file("app/node_modules/x/package.json", `{"name":"x","version":"`+strings.Repeat("1", 4097)+`"}`)), nil,
			LimitFieldBytes, 4096, "app.tar!/app/node_modules/x/package.json", "package version is 4097 bytes"},
		{"description", "app.tar", tarOf(t, file("app/node_modules/x/package.json", `{"name":"x","version":"1","description":"`+strings.Repeat("d", 70000)+`"}`)), nil,
			LimitTextBytes, 65536, "app.tar!/app/node_modules/x/package.json", "description is 70000 bytes"},
		{"license text", "app.tar", tarOf(t, file("app/node_modules/x/package.json", `{"name":"x","version":"1","license":"`+strings.Repeat("L ", 40000)+`"}`)), nil,
			LimitTextBytes, 65536, "app.tar!/app/node_modules/x/package.json", "license text is"},
		{"supplier", "app.tar", tarOf(t, file("app/node_modules/x/package.json", `{"name":"x","version":"1","author":"`+strings.Repeat("a", 5000)+`"}`)), nil,
			LimitFieldBytes, 4096, "app.tar!/app/node_modules/x/package.json", "supplier name is 5000 bytes"},
		{"smaller field limit", "app.tar", tarOf(t, bigNameManifest(300)), []Option{WithMaxFieldBytes(256)},
			LimitFieldBytes, 256, "app.tar!/app/node_modules/x/package.json", "package name is 300 bytes"},
		{"dpkg version", "rootfs.tar", tarOf(t, file("var/lib/dpkg/status", "Package: p\nVersion: "+strings.Repeat("9", 5000)+"\n")), nil,
			LimitFieldBytes, 4096, "rootfs.tar!/var/lib/dpkg/status", "package version is 5000 bytes"},
		{"python summary", "py.zip", zipOf(t, file("x-1.dist-info/METADATA", pyMetadata("x", "1", "Summary: "+strings.Repeat("s", 70000)))), nil,
			LimitTextBytes, 65536, "py.zip!/x-1.dist-info/METADATA", "description is 70000 bytes"},
		{"pom version", "lib.jar", zipOf(t, file("META-INF/maven/g/a/pom.properties", "groupId=g\nartifactId=a\nversion="+strings.Repeat("v", 5000)+"\n")), nil,
			LimitFieldBytes, 4096, "lib.jar", "package version is 5000 bytes"}, // the jar the pom.properties describes
		{"rpm name", "big.rpm", rpmOf(t, cpioOf(), rpmTag{tag: rpmTagName, value: strings.Repeat("r", 5000)}, rpmTag{tag: rpmTagVersion, value: "1"}), nil,
			LimitFieldBytes, 4096, "big.rpm", "package name is 5000 bytes"},
		{"go module path", "go.tar", tarOf(t, fileBytes("bin/app", append([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
			buildInfoBlob("go1.26.8", "path\tx/cmd\nmod\tx\t(devel)\t\ndep\texample.com/"+strings.Repeat("m", 5000)+"\tv1.0.0\th1:x=\n")...))), nil,
			LimitFieldBytes, 4096, "go.tar!/bin/app", "package name is 5012 bytes"},
		{"docker-archive manifest", "docker.tar", tarOf(t, file("manifest.json", `[{"Config":"c.json","RepoTags":["x:1"],"Layers":[],"Pad":"`+pad5M+`"}]`)), nil,
			LimitManifestBytes, 4 << 20, "docker.tar!/manifest.json", "image metadata file is 5242941 bytes"},
		{"docker-archive config", "docker.tar", tarOf(t, file("manifest.json", `[{"Config":"c.json","RepoTags":["x:1"],"Layers":[]}]`), file("c.json", `{"pad":"`+pad5M+`"}`)), nil,
			LimitManifestBytes, 4 << 20, "docker.tar!/c.json", "image metadata file is"},
		{"OCI index", "oci.tar", tarOf(t, file("oci-layout", `{"imageLayoutVersion":"1.0.0"}`), file("index.json", `{"schemaVersion":2,"pad":"`+pad5M+`"}`)), nil,
			LimitManifestBytes, 4 << 20, "oci.tar!/index.json", "image metadata file is"},
		{"OCI manifest", "oci.tar", tarOf(t, file("oci-layout", `{"imageLayoutVersion":"1.0.0"}`),
			file("index.json", `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:`+strings.Repeat("ab", 32)+`","size":5242890}]}`),
			file("blobs/sha256/"+strings.Repeat("ab", 32), `{"pad":"`+pad5M+`"}`)), nil,
			LimitManifestBytes, 4 << 20, "oci.tar!/blobs/sha256/abab", "image metadata file is"},
		{"member name", "long.tar", tarOf(t, file(strings.Repeat("d/", 2100)+"f", "x")), nil,
			LimitFieldBytes, 4096, "long.tar!/d/d/d", "member name is 4201 bytes"},
		{"lock entry path", "package-lock.json", []byte(lockOf("node_modules/" + strings.Repeat("a", 4100))), nil,
			LimitFieldBytes, 4096, "package-lock.json", "entry path"},
		{"manifest file", "app.tar", tarOf(t, file("app/node_modules/x/package.json", `{"name":"x","version":"1","readme":"`+strings.Repeat("r", 5<<20)+`"}`)), nil,
			LimitManifestBytes, 4 << 20, "app.tar!/app/node_modules/x/package.json", "metadata file is 5242918 bytes, larger than 4194304"},
		{"manifest in zip", "app.zip", zipOf(t, file("app/node_modules/x/package.json", `{"name":"x","version":"1","readme":"`+strings.Repeat("r", 5<<20)+`"}`)), nil,
			LimitManifestBytes, 4 << 20, "app.zip!/app/node_modules/x/package.json", "larger than 4194304"},
		{"python headers", "py.tar", tarOf(t, file("x-1.dist-info/METADATA", "Name: x\nVersion: 1\nSummary: "+strings.Repeat("s", 5<<20)+"\n\nbody")), nil,
			LimitManifestBytes, 4 << 20, "py.tar!/x-1.dist-info/METADATA", "metadata headers run past 4194304 bytes"},
		{"packages", "app.tar", tarOf(t, nodeModules()...), []Option{WithMaxPackages(3)},
			LimitPackages, 3, "app.tar!/app/node_modules/", "more than 3 packages"},
		{"relationships", "rootfs.tar", tarOf(t, file("var/lib/dpkg/status", dpkgStatus)), []Option{WithMaxRelationships(2)},
			LimitRelations, 2, "rootfs.tar!/var/lib/dpkg/status", "more than 2 relationships"},
		{"installed references", "app.tar", tarOf(t, nodeModules()...), []Option{WithMaxRelationships(2)},
			LimitRelations, 2, "app.tar!/app/node_modules/", "installed packages declare more than 2 dependencies"},
		{"lock references", "package-lock.json", []byte(npmLockV3), []Option{WithMaxRelationships(3)},
			LimitRelations, 3, "package-lock.json", "entries declare 8 dependencies, more than 3"},
		{"output", "package-lock.json", lockfile(20000), []Option{WithMaxOutputBytes(1 << 20), WithMaxTextBytes(1 << 10)},
			LimitOutputBytes, 1 << 20, "package-lock.json", "the document would be at least"},
		{"output, estimated under, written over", "package-lock.json", lockfile(2000), []Option{WithMaxOutputBytes(1 << 20)},
			LimitOutputBytes, 1 << 20, "package-lock.json", "the document is "},
		{"output, over once escaped for signing", "angle.tar", tarOf(t, angleManifests(12)...), []Option{WithMaxOutputBytes(1 << 20)},
			LimitOutputBytes, 1 << 20, "angle.tar", "once its \"<\", \">\" and \"&\" are escaped in the signed statement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := writeSubject(t, dir, tc.name+"-"+tc.file, tc.body)
			s.Name = tc.file
			g, err := NewGenerator(tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = g.SBOM(context.Background(), s, FormatCycloneDX)
			var le *LimitError
			if !errors.As(err, &le) || !errors.Is(err, ErrLimit) {
				t.Fatalf("error %v; want a *LimitError", err)
			}
			if le.Limit != tc.limit || le.Max != tc.max || !strings.HasPrefix(le.Where, tc.where) || !strings.Contains(le.Detail, tc.message) {
				t.Errorf("LimitError{Limit: %q, Max: %d, Where: %q, Detail: %q}; want %q, %d, %q…, containing %q",
					le.Limit, le.Max, le.Where, le.Detail, tc.limit, tc.max, tc.where, tc.message)
			}
			for _, part := range []string{tc.limit, le.Where} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("message %q does not name %q", err, part)
				}
			}
			// The library gives no advice: signet sbom, attest --sbom and the CI inputs
			// each say in their own words whether and how the limit can be raised.
			if strings.Contains(err.Error(), "--") || strings.Contains(err.Error(), "signet ") {
				t.Errorf("message %q names a flag or command", err)
			}
		})
	}
}

// angleManifests are n package.json files whose descriptions are 60,000 "<" each: 720 KB of
// document, six times that once HTML-escaped in a signed statement.
func angleManifests(n int) []entry {
	var out []entry
	for i := range n {
		out = append(out, file(fmt.Sprintf("node_modules/p%d/package.json", i),
			fmt.Sprintf(`{"name":"p%d","version":"1.0.0","description":"%s"}`, i, strings.Repeat("<", 60000))))
	}
	return out
}

// lockfile is a package-lock.json v3 of n entries, each depending on two others, the root
// on every hundredth.
func lockfile(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"name":"big","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"big","version":"1.0.0","dependencies":{`)
	for i := 0; i < n; i += 100 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"p%06d":"*"`, i)
	}
	b.WriteString(`}}`)
	for i := range n {
		fmt.Fprintf(&b, `,"node_modules/p%06d":{"version":"1.0.%d","license":"MIT","integrity":"sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==","dependencies":{"p%06d":"*","p%06d":"*"}}`,
			i, i, (i+1)%n, (i*7+3)%n)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// TestTruncation asks for truncation: fields over their limits are cut, marked with the hash
// of the whole value (two long names sharing a prefix stay two packages), counted in both
// documents, and the documents stay valid (purls parse, schemas pass).
func TestTruncation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("n", 100_000)
	s := writeSubject(t, t.TempDir(), "app.tar.gz", compress(t, "gz", tarOf(t,
		file("app/node_modules/x/package.json", `{"name":"`+long+`a","version":"1.0.0","description":"`+strings.Repeat("d", 70000)+`"}`),
		file("app/node_modules/y/package.json", `{"name":"`+long+`b","version":"1.0.0"}`),
		file("app/node_modules/z/package.json", `{"name":"z","version":"1.0.0"}`),
	)))
	sp, _ := generate(t, s, WithTruncation(true))
	if len(sp.purls) != 3 {
		t.Fatalf("packages %v; want x, y and z", sp.purls)
	}
	for _, p := range sp.purls {
		if len(p) > DefaultMaxFieldBytes {
			t.Errorf("purl of %d bytes, over the field limit", len(p))
		}
	}
	g, err := NewGenerator(WithTruncation(true), WithNow(func() time.Time { return fixedTime }))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats {
		p, err := g.SBOM(context.Background(), s, format)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Comment  string `json:"comment"`
			Packages []struct {
				Name    string `json:"name"`
				Summary string `json:"summary"`
			} `json:"packages"`
			Components []struct {
				Name        string `json:"name"`
				Description string `json:"description"`
			} `json:"components"`
			Metadata struct {
				Properties []struct{ Name, Value string } `json:"properties"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(p.JSON, &doc); err != nil {
			t.Fatal(err)
		}
		var names, texts []string
		for _, pk := range doc.Packages {
			names, texts = append(names, pk.Name), append(texts, pk.Summary)
		}
		for _, c := range doc.Components {
			names, texts = append(names, c.Name), append(texts, c.Description)
		}
		marked := 0
		for _, n := range names {
			if len(n) > DefaultMaxFieldBytes {
				t.Errorf("%s: name of %d bytes", format, len(n))
			}
			if strings.Contains(n, "…(truncated sha256:") {
				marked++
			}
		}
		for _, d := range texts {
			if len(d) > DefaultMaxTextBytes {
				t.Errorf("%s: description of %d bytes", format, len(d))
			}
		}
		if marked != 2 {
			t.Errorf("%s: %d names marked truncated, want 2", format, marked)
		}
		want := "signet truncated 5 field(s)" // two names, their two purls and one description
		switch format {
		case FormatSPDX:
			if !strings.Contains(doc.Comment, want) {
				t.Errorf("SPDX comment %q; want it to say %q", doc.Comment, want)
			}
		default:
			if len(doc.Metadata.Properties) == 0 || doc.Metadata.Properties[0] != (struct{ Name, Value string }{"signet:truncated-fields", "5"}) {
				t.Errorf("CycloneDX metadata properties %v; want signet:truncated-fields=5", doc.Metadata.Properties)
			}
		}
		if len(p.JSON) > 128<<10 { // untruncated, the names alone would take 600 KB
			t.Errorf("%s document is %d bytes: truncation did not bound it", format, len(p.JSON))
		}
	}
}

// TestHugeMetadataBody reads only the header block of a METADATA whose description body is
// larger than the manifest limit.
func TestHugeMetadataBody(t *testing.T) {
	t.Parallel()
	body := pyMetadata("x", "1.0", "") + strings.Repeat("body\n", 2<<20)
	s := writeSubject(t, t.TempDir(), "py.tar", tarOf(t, file("x-1.0.dist-info/METADATA", body)))
	sp, _ := generate(t, s)
	comparePurls(t, sp.purls, []string{"pkg:pypi/x@1.0"})
}

func TestLimitOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  Option
	}{
		{"field", WithMaxFieldBytes(255)},
		{"text", WithMaxTextBytes(1023)},
		{"packages", WithMaxPackages(0)},
		{"relationships", WithMaxRelationships(0)},
		{"output too small", WithMaxOutputBytes(1<<20 - 1)},
		{"output unverifiable", WithMaxOutputBytes(MaxOutputBytes + 1)},
		{"manifest", WithMaxManifestBytes(1024)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewGenerator(tc.opt); err == nil {
				t.Errorf("NewGenerator accepted an invalid %s option", tc.name)
			}
		})
	}
}

// TestSignedDocumentStaysVerifiable checks that the output limit bounds the signed form:
// the statement core builds around a document (re-encoded, HTML-escaped) is no larger than
// signedSize says, and a document at MaxOutputBytes, base64-encoded in a DSSE envelope with
// room for the certificate, timestamps and log entries, fits in a bundle signet verify reads.
func TestSignedDocumentStaysVerifiable(t *testing.T) {
	t.Parallel()
	s := writeSubject(t, t.TempDir(), "odd.tar", tarOf(t,
		file("node_modules/a/package.json", `{"name":"a","version":"1.0.0","description":"<script>&amp; \u2028\u2029 \u0001 ünï `+
			strings.Repeat("<&>\u2028", 1000)+`","author":"A <a@example.org>"}`),
		file("node_modules/b/package.json", `{"name":"b<>&","version":"1.0.0&","license":"MIT AND <x>"}`)))
	g, err := NewGenerator()
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats {
		p, err := g.SBOM(context.Background(), s, format)
		if err != nil {
			t.Fatal(err)
		}
		sts, err := core.Statements([]core.Subject{s}, p, 1)
		if err != nil {
			t.Fatal(err)
		}
		const envelope = 1 << 10 // _type, predicateType, the subject
		if got, bound := int64(len(sts[0])), signedSize(p.JSON)+envelope; got > bound || got <= int64(len(p.JSON))+envelope {
			// the second condition keeps the test honest: the fixture must grow when signed
			t.Errorf("%s: statement of %d bytes, over the bound %d the output limit is checked against", format, got, bound)
		}
	}
	const material = 1 << 20 // certificate chain, timestamps, log entries, JSON around them
	for _, limit := range []int64{DefaultMaxOutputBytes, MaxOutputBytes} {
		statement := limit + 1<<10
		if bundle := base64.StdEncoding.EncodedLen(int(statement)) + material; int64(bundle) > verify.MaxBundleSize {
			t.Errorf("a %d-byte document makes a bundle of up to %d bytes, over verify.MaxBundleSize %d", limit, bundle, verify.MaxBundleSize)
		}
	}
}

// TestTruncatedLicenseExpression truncates a valid license expression over the text limit:
// cut short it is no longer an expression, so it is written as license text and both
// documents stay valid.
func TestTruncatedLicenseExpression(t *testing.T) {
	t.Parallel()
	expr := strings.Repeat("MIT OR ", 200) + "MIT" // 1,403 bytes
	s := writeSubject(t, t.TempDir(), "lic.tar", tarOf(t,
		file("node_modules/x/package.json", `{"name":"x","version":"1.0.0","license":"`+expr+`"}`)))
	if e, _ := license(expr); e == "" {
		t.Fatalf("fixture: %q is not a valid expression", expr)
	}
	sp, _ := generate(t, s, WithTruncation(true), WithMaxTextBytes(1<<10))
	comparePurls(t, sp.purls, []string{"pkg:npm/x@1.0.0"})
	g, err := NewGenerator(WithTruncation(true), WithMaxTextBytes(1<<10))
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.SBOM(context.Background(), s, FormatCycloneDX)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(p.JSON), `"name": "MIT OR MIT OR`) || !strings.Contains(string(p.JSON), "…(truncated sha256:") {
		t.Errorf("the truncated expression is not written as a marked license name:\n%s", p.JSON)
	}
}

// TestNamelessPackageFiles catalogs an rpm without a Name tag and a .deb whose control file
// has no Package field (found by FuzzRPM: their purls did not parse): each is named after
// its file, and both documents stay valid.
func TestNamelessPackageFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"tool-1.0-1.x86_64.rpm", rpmOf(t, cpioOf(), rpmTag{tag: rpmTagVersion, value: "1.0"}), "pkg:rpm/tool-1.0-1.x86_64@1.0"},
		{"tool_1.0-1_amd64.deb", debOf(t, "Version: 1.0-1\nArchitecture: amd64\n", tarOf(t), "gz"), "pkg:deb/debian/tool@1.0-1?arch=amd64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp, _ := generate(t, writeSubject(t, dir, tc.name, tc.body))
			comparePurls(t, sp.purls, []string{tc.want})
		})
	}
}

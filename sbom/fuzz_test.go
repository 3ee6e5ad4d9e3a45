package sbom

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	packageurl "github.com/package-url/packageurl-go"

	"github.com/signet-ci/signet/core"
)

// The fuzz targets run every reader with small limits, with and without truncation, and
// check what must hold whatever the input: no panic, every catalogued field within its
// limit, no more packages or relationships than allowed, a limit error naming the subject,
// every purl parsing and every license expression valid, and, when cataloging succeeds, two
// valid JSON documents no smaller than the size estimate that guards the output limit.
// Seeds come from the fixture builders.

// fuzzOptions are the small limits of the fuzz targets.
func fuzzOptions(truncate bool) []Option {
	return []Option{WithMaxDepth(3), WithMaxMembers(64), WithMaxExpandedBytes(1 << 20),
		WithMaxMetadataBytes(256 << 10), WithMaxManifestBytes(64 << 10), WithMaxFieldBytes(256), WithMaxTextBytes(1 << 10),
		WithMaxPackages(64), WithMaxRelationships(256), WithMaxOutputBytes(1 << 20), WithTruncation(truncate),
		WithNow(func() time.Time { return fixedTime }), WithToolVersion("fuzz")}
}

const fuzzSubject = "fuzz.bin"

// fuzzTree is the root tree of a scan of fuzzSubject with the fuzz limits.
func fuzzTree(t *testing.T, truncate bool) *tree {
	g, err := NewGenerator(fuzzOptions(truncate)...)
	if err != nil {
		t.Fatal(err)
	}
	s := core.Subject{Name: fuzzSubject}
	sc := &scan{subject: s.Name, cfg: &g.cfg, budget: &budget{max: g.cfg.maxExpanded}}
	sc.inv = newInventory(primaryPackage(s, strings.Repeat("0", 64)), s.Name, &g.cfg)
	return sc.root()
}

// finishFuzzed links what a reader found to the primary package, as catalog does, and
// checks the result.
func finishFuzzed(t *testing.T, tr *tree, keys []string, err error) {
	t.Helper()
	inv := tr.s.inv
	if err == nil {
		for _, k := range keys {
			inv.link(inv.primary.key(), k, relContains)
		}
		inv.finish()
	}
	if inv.err != nil {
		err = inv.err
	}
	checkFuzzed(t, inv, tr.s.cfg, err)
}

// checkFuzzed checks inv (and err, what cataloging returned) against the limits of cfg.
func checkFuzzed(t *testing.T, inv *inventory, cfg *config, err error) {
	t.Helper()
	var le *LimitError
	if errors.As(err, &le) && (le.Where == "" || !strings.HasPrefix(le.Where, inv.subject)) {
		t.Errorf("limit error %q does not name the subject %q first", err, inv.subject)
	}
	if len(inv.pkgs) > cfg.maxPackages+1 || len(inv.edges) > cfg.maxRelations {
		t.Errorf("%d packages and %d relationships, over the limits %d and %d", len(inv.pkgs)-1, len(inv.edges), cfg.maxPackages, cfg.maxRelations)
	}
	for _, p := range inv.pkgs {
		if p == inv.primary {
			continue
		}
		fields := map[string]string{"name": p.name, "version": p.version, "purl": p.purl, "homepage": p.homepage}
		if p.supplier != nil {
			fields["supplier"], fields["email"] = p.supplier.name, p.supplier.email
		}
		for n, v := range p.props {
			fields[n] = v
		}
		for n, v := range fields {
			if len(v) > cfg.maxField {
				t.Errorf("package %.80q: %s of %d bytes, over the %d-byte field limit", p.purl, n, len(v), cfg.maxField)
			}
		}
		for _, v := range append([]string{p.description, p.license, p.licenseText}, p.locations...) {
			if len(v) > cfg.maxText {
				t.Errorf("package %.80q: a text of %d bytes, over the %d-byte text limit", p.purl, len(v), cfg.maxText)
			}
		}
		if _, perr := packageurl.FromString(p.purl); perr != nil {
			t.Errorf("purl %.80q does not parse: %v", p.purl, perr)
		}
		if e, _ := license(p.license); p.license != "" && e != p.license {
			t.Errorf("package %.80q: license expression %.80q is not a valid expression", p.purl, p.license)
		}
	}
	if err != nil {
		return
	}
	s := core.Subject{Name: inv.subject, Digest: map[string]string{core.SHA256: strings.Repeat("0", 64)}}
	for _, format := range Formats {
		est := estimateSize(inv, format)
		if est > cfg.maxOutput {
			continue // SBOM refuses it before encoding
		}
		var doc []byte
		var err error
		if format == FormatSPDX {
			doc, err = encodeSPDX(inv, cfg, s)
		} else {
			doc, err = encodeCycloneDX(inv, cfg, s)
		}
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !json.Valid(doc) {
			t.Fatalf("%s: invalid JSON", format)
		}
		if est > int64(len(doc)) {
			t.Errorf("%s: size estimate %d is over the document's %d bytes (it must be low)", format, est, len(doc))
		}
	}
}

// fuzzContent feeds data to the tree as the file name, then catalogs.
func fuzzContent(t *testing.T, truncate bool, files ...namedData) {
	fuzzFiles(t, fuzzTree(t, truncate), files...)
}

func FuzzTar(f *testing.F) {
	for _, seed := range [][]byte{
		tarOf(f, nodeModules()...), osLayer(f),
		tarOf(f, entry{name: "a/b/link", typ: tar.TypeSymlink, link: "../../x"}, file("a/../../etc/passwd", "x")),
		tarOf(f, file("web/package-lock.json", npmLockV3), fileBytes("inner.tar", tarOf(f, nodeModules()[:2]...))),
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		tr := fuzzTree(t, truncate)
		err := tr.walkTar(context.Background(), bytes.NewReader(data))
		var keys []string
		if err == nil {
			keys = tr.finish()
		}
		finishFuzzed(t, tr, keys, err)
	})
}

func FuzzZip(f *testing.F) {
	for _, seed := range [][]byte{
		appJar(f), zipOf(f, nodeModules()...), nestedZips(f, 3),
		zipOf(f, entry{name: "bin/sh", typ: tar.TypeSymlink, link: "/bin/busybox"}, file("x-1.dist-info/METADATA", pyMetadata("x", "1", ""))),
	} {
		f.Add(seed, "app-1.0.jar", false)
		f.Add(seed, "release.zip", true)
	}
	f.Fuzz(func(t *testing.T, data []byte, base string, truncate bool) {
		tr := fuzzTree(t, truncate)
		keys, err := tr.walkZipArchive(context.Background(), bytes.NewReader(data), int64(len(data)), base)
		finishFuzzed(t, tr, keys, err)
	})
}

// FuzzCompressedLayer feeds gzip, xz and zstd streams (told apart by their magic, as any
// member is) holding tarballs.
func FuzzCompressedLayer(f *testing.F) {
	layer := tarOf(f, nodeModules()...)
	for _, how := range []string{"gz", "zst", "xz"} {
		f.Add(compress(f, how, layer), false)
		f.Add(compress(f, how, osLayer(f)), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		fuzzContent(t, truncate, namedData{"layer.bin", data})
	})
}

// FuzzImageArchive feeds docker-archive and OCI archive tarballs through the generator.
func FuzzImageArchive(f *testing.F) {
	img := smallImage(f)
	dir := f.TempDir()
	docker := filepath.Join(dir, "docker.tar")
	writeDockerArchive(f, docker, img)
	writeOCILayout(f, filepath.Join(dir, "oci"), img)
	f.Add(readFile(f, docker), false)
	f.Add(tarDir(f, filepath.Join(dir, "oci")), true)
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		tmp := t.TempDir()
		s := writeSubject(t, tmp, "image.tar", data)
		g, err := NewGenerator(append(fuzzOptions(truncate), WithTempDir(tmp))...)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := g.catalog(context.Background(), s)
		if err != nil {
			var le *LimitError
			if errors.As(err, &le) && !strings.HasPrefix(le.Where, s.Name) {
				t.Errorf("limit error %q does not name the subject %q first", err, s.Name)
			}
			return
		}
		checkFuzzed(t, inv, &g.cfg, nil)
	})
}

// smallImage is a two-layer image of Debian packages and node_modules.
func smallImage(t testing.TB) v1.Image {
	img := empty.Image
	for _, l := range [][]byte{osLayer(t), tarOf(t, nodeModules()...)} {
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(l)), nil })
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// buildInfoBlob is the Go build-information record of a Go 1.18+ binary: the 32-byte
// header (inline-string flag set), the Go version and the module information framed by
// its 16-byte sentinels.
func buildInfoBlob(goVersion, modInfo string) []byte {
	b := append([]byte(nil), buildInfoMagic...)
	b = append(b, 8, 2)
	b = append(b, make([]byte, 32-len(b))...)
	b = binary.AppendUvarint(b, uint64(len(goVersion)))
	b = append(b, goVersion...)
	framed := strings.Repeat("\x30", 16) + modInfo + strings.Repeat("\xf9", 16)
	b = binary.AppendUvarint(b, uint64(len(framed)))
	return append(b, framed...)
}

func FuzzGoBuildInfo(f *testing.F) {
	mod := "path\texample.com/fixture/cmd/hello\nmod\texample.com/fixture\t(devel)\t\n" +
		"dep\tgithub.com/spf13/cobra\tv1.10.2\th1:abc=\ndep\tgolang.org/x/sync\tv0.25.0\th1:def=\n=>\t../sync\t\t\n" +
		"build\tGOOS=linux\nbuild\t-tags=" + strings.Repeat("t,", 10) + "\n"
	blob := buildInfoBlob("go1.26.8", mod)
	f.Add(blob, false)
	f.Add(append(make([]byte, 48), blob...), true)
	f.Add(append([]byte("\x7fELF"), make([]byte, 60)...), false)
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		tr := fuzzTree(t, truncate)
		bi, err := scanBuildInfo(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("reading from memory: %v", err)
		}
		if bi != nil {
			tr.meta.binaries = append(tr.meta.binaries, goBinary{path: "bin/hello", info: bi})
		}
		finishFuzzed(t, tr, tr.finish(), nil)
	})
}

func FuzzNpmManifest(f *testing.F) {
	for _, e := range nodeModules() {
		f.Add(e.body, e.name, false)
	}
	f.Add([]byte(`{"name":"x","version":"1","licenses":[{"type":"MIT"},{"type":"ISC"}],"_integrity":"sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="}`), "node_modules/x/package.json", true)
	f.Fuzz(func(t *testing.T, data []byte, name string, truncate bool) {
		if metaKind(name) != metaNpmManifest {
			name = "node_modules/x/package.json"
		}
		fuzzContent(t, truncate, namedData{name, data},
			namedData{"node_modules/dep/package.json", []byte(`{"name":"dep","version":"1.0.0","dependencies":{"x":"*"}}`)})
	})
}

func FuzzNpmLock(f *testing.F) {
	f.Add([]byte(npmLockV3), false)
	f.Add(lockfile(20), true)
	f.Add([]byte(`{"name":"w","version":"1","lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","requires":{"b":"*"},"dependencies":{"b":{"version":"2.0.0"}}},"b":{"version":"1.0.0","dev":true}}}`), false)
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		fuzzContent(t, truncate, namedData{"web/package-lock.json", data})
	})
}

func FuzzPythonMetadata(f *testing.F) {
	f.Add([]byte(pyMetadata("requests", "2.31.0", "Author: Kenneth Reitz\nAuthor-email: me@kennethreitz.org\nLicense: Apache 2.0\nRequires-Dist: urllib3 (<3,>=1.21.1)\nRequires-Dist: PySocks; extra == \"socks\"\n")), false)
	f.Add([]byte(pyMetadata("urllib3", "2.0.7", "Author-email: Andrey Petrov <andrey.petrov@shazow.net>\nLicense-Expression: MIT\nClassifier: License :: OSI Approved :: MIT License\n")), true)
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		fuzzContent(t, truncate, namedData{"site/x-1.dist-info/METADATA", data},
			namedData{"site/urllib3-2.0.7.dist-info/METADATA", []byte(pyMetadata("urllib3", "2.0.7", "Requires-Dist: x\n"))})
	})
}

func FuzzJarManifest(f *testing.F) {
	f.Add([]byte("Manifest-Version: 1.0\r\nImplementation-Title: app\r\nImplementation-Version: 1.4.2\r\nImplementation-Vendor: Example Corp\r\nBundle-License: https://www.apache.org/licenses/LICENSE-2.0.txt\r\n\r\n"),
		[]byte("#Generated by Maven\ngroupId=com.example\nartifactId=app\nversion=1.4.2\n"), false)
	f.Add([]byte("Manifest-Version: 1.0\nImplementation-Vendor-Id: org.x\n continued\n"), []byte("groupId: g\nartifactId: a\nversion: 1\n"), true)
	f.Fuzz(func(t *testing.T, manifest, pom []byte, truncate bool) {
		tr := fuzzTree(t, truncate)
		ctx := context.Background()
		err := tr.file(ctx, "META-INF/MANIFEST.MF", int64(len(manifest)), bytes.NewReader(manifest))
		if err == nil {
			err = tr.file(ctx, "META-INF/maven/com.example/app/pom.properties", int64(len(pom)), bytes.NewReader(pom))
		}
		var keys []string
		if err == nil {
			keys = tr.finishJar("app-1.4.2.jar")
		}
		finishFuzzed(t, tr, keys, err)
	})
}

func FuzzDpkgStatus(f *testing.F) {
	f.Add([]byte(dpkgStatus), []byte("/.\n/lib/x86_64-linux-gnu/libc.so.6\n"), false)
	f.Add([]byte("Package: a\nVersion: 1\nProvides: b (= 1), c\nDepends: d | b, e:any [amd64] <!nocheck>\n\nPackage: d\nStatus: install ok installed\nVersion: 2\n"), []byte("/usr/bin/a\n"), true)
	f.Fuzz(func(t *testing.T, status, list []byte, truncate bool) {
		fuzzContent(t, truncate, namedData{"etc/os-release", []byte(debianOSRelease)},
			namedData{"var/lib/dpkg/status", status}, namedData{"var/lib/dpkg/info/libc6:amd64.list", list},
			namedData{"lib/x86_64-linux-gnu/libc.so.6.dist-info/METADATA", []byte(pyMetadata("p", "1", ""))})
	})
}

func FuzzDebCopyright(f *testing.F) {
	const header = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n\n"
	f.Add([]byte(header+"Files: *\nCopyright: 2020 A\nLicense: Expat\n Permission is hereby granted…\n"), false)
	f.Add([]byte(header+"Files: *\nLicense: BSD-3-clause\n\nFiles: x/*\nLicense: GPL-2+ or Artistic\n\nLicense: public-domain\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		debCopyrightLicense(data)
		fuzzContent(t, truncate, namedData{"usr/share/doc/libc6/copyright", data}, namedData{"var/lib/dpkg/status", []byte(dpkgStatus)})
	})
}

func FuzzApk(f *testing.F) {
	f.Add([]byte("C:Q1\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\nm:Natanael Copa <ncopa@alpinelinux.org>\no:musl\np:so:libc.musl-x86_64.so.1=1\n\n"+
		"P:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only AND MIT\nD:so:libc.musl-x86_64.so.1 !foo\n"), false)
	f.Add([]byte("P:a\nV:1\nL:MIT BSD\nD:b>=1 c\np:b=1 cmd:c\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		fuzzContent(t, truncate, namedData{"etc/os-release", []byte("ID=alpine\nVERSION_ID=3.19.1\n")}, namedData{"lib/apk/db/installed", data})
	})
}

func FuzzRPM(f *testing.F) {
	epoch := uint32(2)
	tags := []rpmTag{{tag: rpmTagName, value: "hello-tools"}, {tag: rpmTagVersion, value: "1.2.3"},
		{tag: rpmTagRelease, value: "1.fc40"}, {tag: rpmTagEpoch, num: &epoch}, {tag: rpmTagArch, value: "x86_64"},
		{tag: rpmTagVendor, value: "Fedora Project"}, {tag: rpmTagLicense, value: "MIT AND Apache-2.0"},
		{tag: rpmTagSourceRPM, value: "hello-tools-1.2.3-1.fc40.src.rpm"}, {tag: rpmTagCompressor, value: "gzip"}}
	f.Add(rpmOf(f, cpioOf(entry{name: "./usr/bin", typ: tar.TypeDir}, entry{name: "./usr/bin/hi", typ: tar.TypeSymlink, link: "hello"},
		file("./usr/lib/python3.12/site-packages/urllib3-2.0.7.dist-info/METADATA", pyMetadata("urllib3", "2.0.7", ""))), tags...), false)
	f.Add(rpmOf(f, cpioOf(nodeModules()...), tags[:2]...), true)
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		tr := fuzzTree(t, truncate)
		keys, err := tr.walkRPM(context.Background(), bytes.NewReader(data))
		finishFuzzed(t, tr, keys, err)
	})
}

func FuzzDeb(f *testing.F) {
	data := tarOf(f, entry{name: "./usr/", typ: tar.TypeDir}, entry{name: "./usr/bin/hi", typ: tar.TypeSymlink, link: "/usr/bin/hello"},
		file("./usr/lib/python3/dist-packages/urllib3-2.0.7.dist-info/METADATA", pyMetadata("urllib3", "2.0.7", "License-Expression: MIT")))
	f.Add(debOf(f, helloToolsControl, data, "gz"), false)
	f.Add(debOf(f, helloToolsControl, tarOf(f, nodeModules()...), "zst"), true)
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		tr := fuzzTree(t, truncate)
		keys, err := tr.walkDeb(context.Background(), bytes.NewReader(data))
		finishFuzzed(t, tr, keys, err)
	})
}

// fuzzWorkspace feeds data to a workspace root tree as the lock file or manifest name, then
// catalogs.
func fuzzWorkspace(t *testing.T, truncate bool, files ...namedData) {
	tr := fuzzTree(t, truncate)
	tr.s.ws = &workspace{files: map[string]string{}, declared: map[string]bool{}}
	fuzzFiles(t, tr, files...)
}

// fuzzFiles feeds files to tree tr, catalogs and checks the result.
func fuzzFiles(t *testing.T, tr *tree, files ...namedData) {
	var err error
	for _, f := range files {
		if err = tr.file(context.Background(), f.name, int64(len(f.data)), bytes.NewReader(f.data)); err != nil {
			break
		}
	}
	var keys []string
	if err == nil {
		keys = tr.finish()
		if tr.s.ws != nil {
			tr.s.inv.markDeclaredOnly(tr.s.ws)
		}
	}
	finishFuzzed(t, tr, keys, err)
}

// FuzzGoMod: go.mod with its go.sum.
func FuzzGoMod(f *testing.F) {
	f.Add([]byte(goModFixture), []byte(goSumFixture), false)
	f.Add([]byte("module x\nrequire y.example/z v1.0.0\n"), []byte("y.example/z v1.0.0 h1:abc=\n"), true)
	f.Fuzz(func(t *testing.T, mod, sum []byte, truncate bool) {
		fuzzWorkspace(t, truncate, namedData{"go.mod", mod}, namedData{"go.sum", sum})
	})
}

// FuzzTOMLLock: Cargo.lock, poetry.lock and uv.lock (which one is chosen by kind).
func FuzzTOMLLock(f *testing.F) {
	f.Add([]byte(cargoLockFixture), uint8(0), false)
	f.Add([]byte(poetryLockFixture), uint8(1), true)
	f.Add([]byte(uvLockFixture), uint8(2), false)
	f.Add([]byte("a = [[[[{b = [[1]]}]]]]\n"), uint8(2), false)
	names := []string{"Cargo.lock", "poetry.lock", "uv.lock"}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, truncate bool) {
		fuzzWorkspace(t, truncate, namedData{names[int(kind)%len(names)], data})
	})
}

// FuzzJSLock: pnpm-lock.yaml and yarn.lock (1 and berry).
func FuzzJSLock(f *testing.F) {
	f.Add([]byte(pnpmLockV9Fixture), false, false)
	f.Add([]byte(pnpmLockV6Fixture), false, true)
	f.Add([]byte(yarnV1Fixture), true, false)
	f.Add([]byte(yarnBerryFixture), true, true)
	f.Fuzz(func(t *testing.T, data []byte, yarn, truncate bool) {
		name := "pnpm-lock.yaml"
		if yarn {
			name = "yarn.lock"
		}
		fuzzWorkspace(t, truncate, namedData{name, data})
	})
}

// FuzzLineLock: requirements files and Gemfile.lock, the line-based formats.
func FuzzLineLock(f *testing.F) {
	f.Add([]byte(requirementsFixture), false, false)
	f.Add([]byte(gemfileLockFixture), true, true)
	f.Fuzz(func(t *testing.T, data []byte, gem, truncate bool) {
		name := "requirements-dev.txt"
		if gem {
			name = "Gemfile.lock"
		}
		fuzzWorkspace(t, truncate, namedData{name, data})
	})
}

// FuzzPomXML: Maven pom.xml.
func FuzzPomXML(f *testing.F) {
	f.Add([]byte(pomFixture), false)
	f.Add([]byte(`<project><groupId>g</groupId><artifactId>a</artifactId><version>${v}</version><properties><v>${v}</v></properties></project>`), true)
	f.Fuzz(func(t *testing.T, data []byte, truncate bool) {
		fuzzWorkspace(t, truncate, namedData{"svc/pom.xml", data})
	})
}

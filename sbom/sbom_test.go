package sbom

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
)

var fixedTime = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// generate writes both SBOM formats of s, validates each and checks they agree; it returns
// the SPDX and the CycloneDX view.
func generate(t *testing.T, s core.Subject, opts ...Option) (view, view) {
	t.Helper()
	g, err := NewGenerator(append([]Option{WithNow(func() time.Time { return fixedTime }), WithToolVersion("test")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	var views [2]view
	for i, f := range Formats {
		p, err := g.SBOM(context.Background(), s, f)
		if err != nil {
			t.Fatalf("%s of %s: %v", f, s.Name, err)
		}
		if want, _ := PredicateType(f); p.Type != want {
			t.Errorf("%s predicate type %q, want %q", f, p.Type, want)
		}
		views[i] = checkSBOM(t, f, p.JSON)
		if est := estimateSize(g.last.inv, f); est > int64(len(p.JSON)) {
			t.Errorf("%s: size estimate %d is over the document's %d bytes (it must be low)", f, est, len(p.JSON))
		}
		if views[i].primarySHA256 != s.Digest[core.SHA256] {
			t.Errorf("%s primary sha256 %q, want the subject's %q", f, views[i].primarySHA256, s.Digest[core.SHA256])
		}
	}
	if d := cmp.Diff(views[0].purls, views[1].purls); d != "" {
		t.Errorf("SPDX and CycloneDX packages differ (-spdx +cdx):\n%s", d)
	}
	return views[0], views[1]
}

func comparePurls(t *testing.T, got, want []string) {
	t.Helper()
	if d := cmp.Diff(sorted(want), got); d != "" {
		t.Errorf("packages (-want +got):\n%s", d)
	}
}

func TestGoBinary(t *testing.T) {
	t.Parallel()
	gf := goBinaries(t)
	for _, tc := range []struct {
		name string
		path string
		want []string
	}{
		{"hello", gf.hello, helloPurls(gf)},
		{"tool", gf.tool, toolPurls(gf)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := pathSubject(t, "bin/"+tc.name, tc.path)
			sp, cd := generate(t, s)
			comparePurls(t, sp.purls, tc.want)
			main := tc.want[0]
			for _, v := range []view{sp, cd} {
				if v.edge(v.primaryPurl, main) == "" {
					t.Errorf("the artifact does not relate to its main package %s", main)
				}
				for _, dep := range tc.want[1:] {
					if v.edge(main, dep) == "" {
						t.Errorf("%s does not depend on %s", main, dep)
					}
				}
			}
			if got := sp.supplier[main]; got != "Organization: example.com" {
				t.Errorf("main package supplier %q, want the module host", got)
			}
			if got := cd.supplier["pkg:golang/github.com/spf13/cobra@v1.10.2"]; tc.name == "hello" && got != "github.com/spf13" {
				t.Errorf("cobra supplier %q, want github.com/spf13", got)
			}
		})
	}
}

func TestArchivesOfBinaries(t *testing.T) {
	t.Parallel()
	gf := goBinaries(t)
	bins := []entry{
		{name: "dist/", typ: '5'},
		fileBytes("dist/hello", readFile(t, gf.hello)),
		fileBytes("dist/tool", readFile(t, gf.tool)),
		file("dist/README.md", "# release\n"),
	}
	want := sorted(helloPurls(gf), toolPurls(gf))
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		body func() []byte
	}{
		{"release.tar.gz", func() []byte { return compress(t, "gz", tarOf(t, bins...)) }},
		{"release.tar.zst", func() []byte { return compress(t, "zst", tarOf(t, bins...)) }},
		{"release.tar", func() []byte { return tarOf(t, bins...) }},
		{"release.zip", func() []byte { return zipOf(t, bins...) }},
		{"nested.tar.gz", func() []byte {
			return compress(t, "gz", tarOf(t, fileBytes("inner/release.zip", zipOf(t, bins...))))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := writeSubject(t, dir, tc.name, tc.body())
			sp, cd := generate(t, s)
			comparePurls(t, sp.purls, want)
			for _, v := range []view{sp, cd} {
				for _, main := range []string{helloPurls(gf)[0], toolPurls(gf)[0]} {
					if v.edge(v.primaryPurl, main) == "" {
						t.Errorf("%s does not contain %s", v.primaryPurl, main)
					}
				}
			}
		})
	}
}

func TestImages(t *testing.T) {
	t.Parallel()
	gf := goBinaries(t)
	img := testImage(t, gf)
	dir := t.TempDir()
	writeDockerArchive(t, filepath.Join(dir, "docker.tar"), img)
	writeOCILayout(t, filepath.Join(dir, "oci"), img)
	oci := writeSubject(t, dir, "oci.tar", tarDir(t, filepath.Join(dir, "oci")))
	layoutSubject := core.Subject{Name: "oci", Path: filepath.Join(dir, "oci")}
	ip := imagePurl(t, img)
	want := sorted([]string{ip}, debianPurls(), npmPurls(), pythonPurls(), javaPurls(), helloPurls(gf))
	for _, tc := range []struct {
		name string
		s    core.Subject
	}{
		{"docker-archive", pathSubject(t, "docker.tar", filepath.Join(dir, "docker.tar"))},
		{"oci-layout", layoutSubject},
		{"oci-archive", oci},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.s.Digest == nil {
				d, err := subjectDigest(context.Background(), tc.s, nil)
				if err != nil {
					t.Fatal(err)
				}
				tc.s.Digest = map[string]string{core.SHA256: d}
			}
			sp, cd := generate(t, tc.s)
			comparePurls(t, sp.purls, want)
			checkImageGraph(t, sp, ip, gf)
			checkImageGraph(t, cd, ip, gf)
			checkSuppliers(t, sp)
			for purl, supplier := range map[string]string{
				"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc": "Organization: GNU Libc Maintainers (debian-glibc@lists.debian.org)",
				"pkg:npm/%40scope/util@2.0.0":               "Organization: Scope Team (team@scope.example)",
				"pkg:npm/left-pad@1.3.0":                    "Person: Cameron Westland (camwest@gmail.com)",
				"pkg:pypi/urllib3@2.0.7":                    "Person: Andrey Petrov (andrey.petrov@shazow.net)",
				"pkg:maven/com.example/app@1.4.2":           "Organization: Example Corp",
				"pkg:golang/github.com/spf13/cobra@v1.10.2": "Organization: github.com/spf13",
				ip: "Organization: registry.example/team",
			} {
				if got := sp.supplier[purl]; got != supplier {
					t.Errorf("supplier of %s = %q, want %q", purl, got, supplier)
				}
			}
		})
	}
}

// checkSuppliers requires a supplier for every package whose ecosystem lets one be derived
// (Go module paths, Debian Maintainer, Maven groups) and logs the overall share.
func checkSuppliers(t *testing.T, v view) {
	t.Helper()
	with := 0
	for _, p := range v.purls {
		if v.supplier[p] != "" {
			with++
			continue
		}
		grouped := strings.Count(strings.SplitN(p, "@", 2)[0], "/") >= 2 // pkg:maven/GROUP/NAME
		for _, eco := range []string{"pkg:golang/", "pkg:deb/", "pkg:maven/"} {
			if strings.HasPrefix(p, eco) && (eco != "pkg:maven/" || grouped) {
				t.Errorf("%s has no supplier, though its ecosystem gives one", p)
			}
		}
	}
	t.Logf("supplier on %d of %d packages (%.0f%%)", with, len(v.purls), 100*float64(with)/float64(len(v.purls)))
}

// checkImageGraph checks the containment and dependency edges the image fixture implies.
func checkImageGraph(t *testing.T, v view, image string, gf goFixtures) {
	t.Helper()
	libc := "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"
	libgcc := "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12"
	base := "pkg:deb/debian/gcc-12-base@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12"
	yaml := "pkg:deb/debian/python3-yaml@6.0-3%2Bb2?arch=amd64&distro=debian-12&upstream=pyyaml"
	for _, e := range [][2]string{
		{v.primaryPurl, image},
		{image, libc}, {image, helloPurls(gf)[0]}, {image, "pkg:npm/debug@4.3.4"}, {image, "pkg:maven/com.example/app@1.4.2"},
		{libc, libgcc}, {libgcc, base}, {libgcc, libc}, {yaml, libc},
		{yaml, "pkg:pypi/pyyaml@6.0"},
		{"pkg:npm/%40scope/util@2.0.0", "pkg:npm/left-pad@1.3.0"},
		{"pkg:npm/%40scope/util@2.0.0", "pkg:npm/ms@2.1.3"},
		{"pkg:npm/debug@4.3.4", "pkg:npm/ms@2.0.0"},
		{"pkg:pypi/requests@2.31.0", "pkg:pypi/urllib3@2.0.7"},
		{"pkg:maven/com.example/app@1.4.2", "pkg:maven/org.apache.commons/commons-lang3@3.14.0"},
		{"pkg:maven/com.example/app@1.4.2", "pkg:maven/tiny@0.9"},
	} {
		if v.edge(e[0], e[1]) == "" {
			t.Errorf("missing relationship %s → %s", e[0], e[1])
		}
	}
	for _, e := range [][2]string{
		{image, "pkg:pypi/pyyaml@6.0"}, // python3-yaml's files hold it, so the deb contains it
		{"pkg:npm/%40scope/util@2.0.0", "pkg:npm/ms@2.0.0"},
		{"pkg:npm/debug@4.3.4", "pkg:npm/ms@2.1.3"},
	} {
		if v.edge(e[0], e[1]) != "" {
			t.Errorf("unexpected relationship %s → %s", e[0], e[1])
		}
	}
}

func TestDeb(t *testing.T) {
	t.Parallel()
	gf := goBinaries(t)
	deb := "pkg:deb/debian/hello-tools@1.2.3-1?arch=amd64"
	want := sorted([]string{deb, "pkg:pypi/urllib3@2.0.7"}, helloPurls(gf))
	dir := t.TempDir()
	for _, comp := range []string{"gz", "zst"} {
		t.Run(comp, func(t *testing.T) {
			t.Parallel()
			s := writeSubject(t, dir, "hello-tools_1.2.3-1_amd64."+comp+".deb", helloToolsDeb(t, gf, comp))
			sp, cd := generate(t, s)
			comparePurls(t, sp.purls, want)
			for _, v := range []view{sp, cd} {
				for _, e := range [][2]string{{v.primaryPurl, deb}, {deb, helloPurls(gf)[0]}, {deb, "pkg:pypi/urllib3@2.0.7"}} {
					if v.edge(e[0], e[1]) == "" {
						t.Errorf("missing relationship %s → %s", e[0], e[1])
					}
				}
			}
			if got := sp.supplier[deb]; got != "Person: Jane Doe (jane@example.org)" {
				t.Errorf("deb supplier %q, want the Maintainer", got)
			}
		})
	}
	t.Run("xz-without-binary", func(t *testing.T) {
		t.Parallel() // ulikunitz/xz compresses at a few MB/s: keep the xz payload small
		s := writeSubject(t, dir, "small.deb", debOf(t, helloToolsControl, tarOf(t,
			file("./usr/lib/python3/dist-packages/urllib3-2.0.7.dist-info/METADATA", pyMetadata("urllib3", "2.0.7", "")),
			fileBytes("./usr/share/hello/site.tar.xz", compress(t, "xz", tarOf(t, nodeModules()...))),
		), "xz"))
		sp, _ := generate(t, s)
		comparePurls(t, sp.purls, sorted([]string{deb, "pkg:pypi/urllib3@2.0.7"}, npmPurls()))
	})
	t.Run("inside-tar", func(t *testing.T) {
		t.Parallel()
		s := writeSubject(t, dir, "debs.tar.gz", compress(t, "gz", tarOf(t, fileBytes("pool/hello-tools.deb", helloToolsDeb(t, gf, "xz")))))
		sp, _ := generate(t, s)
		comparePurls(t, sp.purls, want)
	})
}

func TestNpmLock(t *testing.T) {
	t.Parallel()
	want := []string{"pkg:npm/%40s/e@1.0.0", "pkg:npm/a@1.0.0", "pkg:npm/b@1.0.0", "pkg:npm/b@2.0.0",
		"pkg:npm/c@1.0.0", "pkg:npm/d@1.0.0", "pkg:npm/web@3.1.0"}
	edges := [][2]string{
		{"pkg:npm/web@3.1.0", "pkg:npm/a@1.0.0"}, {"pkg:npm/web@3.1.0", "pkg:npm/b@2.0.0"},
		{"pkg:npm/web@3.1.0", "pkg:npm/c@1.0.0"}, {"pkg:npm/web@3.1.0", "pkg:npm/d@1.0.0"},
		{"pkg:npm/a@1.0.0", "pkg:npm/b@1.0.0"}, {"pkg:npm/c@1.0.0", "pkg:npm/b@1.0.0"},
		{"pkg:npm/c@1.0.0", "pkg:npm/%40s/e@1.0.0"}, {"pkg:npm/d@1.0.0", "pkg:npm/a@1.0.0"},
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"package-lock.json", []byte(npmLockV3)},
		{"source.tar.gz", compress(t, "gz", tarOf(t, file("web/package-lock.json", npmLockV3)))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := writeSubject(t, dir, tc.name, tc.body)
			sp, cd := generate(t, s)
			comparePurls(t, sp.purls, want)
			for _, v := range []view{sp, cd} {
				var got [][2]string
				for from, tos := range v.related {
					for _, to := range tos {
						if from != v.primaryPurl {
							got = append(got, [2]string{from, to})
						}
					}
				}
				if d := cmp.Diff(edges, got, cmpSortPairs); d != "" {
					t.Errorf("dependency edges (-want +got):\n%s", d)
				}
			}
		})
	}
}

var cmpSortPairs = cmp.Transformer("sortPairs", func(in [][2]string) []string {
	out := make([]string, len(in))
	for i, p := range in {
		out[i] = p[0] + " -> " + p[1]
	}
	return sorted(out)
})

func TestApk(t *testing.T) {
	t.Parallel()
	db := "C:Q1\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\nm:Natanael Copa <ncopa@alpinelinux.org>\no:musl\np:so:libc.musl-x86_64.so.1=1\n\n" +
		"P:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\nm:Sören Tempel <soeren+alpine@soeren-tempel.net>\nD:so:libc.musl-x86_64.so.1\n\n"
	s := writeSubject(t, t.TempDir(), "rootfs.tar", tarOf(t,
		file("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n"), file("lib/apk/db/installed", db)))
	sp, _ := generate(t, s)
	musl := "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"
	busybox := "pkg:apk/alpine/busybox@1.36.1-r5?arch=x86_64&distro=alpine-3.19.1"
	comparePurls(t, sp.purls, []string{busybox, musl})
	if sp.edge(busybox, musl) == "" {
		t.Errorf("busybox does not depend on musl through so:libc.musl-x86_64.so.1")
	}
}

func TestFileDigests(t *testing.T) {
	t.Parallel()
	body := compress(t, "gz", tarOf(t, file("a.txt", "alpha\n"), file("dir/b.txt", "beta\n")))
	dir := t.TempDir()
	s := writeSubject(t, dir, "files.tar.gz", body)
	for _, tc := range []struct {
		name  string
		opts  []Option
		files []string
	}{
		{"default-off", nil, nil},
		{"on", []Option{WithFileDigests(true)}, []string{"file:a.txt", "file:dir/b.txt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp, cd := generate(t, s, tc.opts...)
			for _, v := range []view{sp, cd} {
				var got []string
				for _, to := range v.related[v.primaryPurl] {
					if strings.HasPrefix(to, "file:") {
						got = append(got, to)
					}
				}
				if d := cmp.Diff(tc.files, sorted(got)); d != "" {
					t.Errorf("files (-want +got):\n%s", d)
				}
			}
		})
	}
}

func TestOptionsAndFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  Option
	}{
		{"depth", WithMaxDepth(0)},
		{"members", WithMaxMembers(-1)},
		{"expanded", WithMaxExpandedBytes(10)},
		{"metadata", WithMaxMetadataBytes(1)},
		{"clock", WithNow(nil)},
		{"tool", WithToolVersion("")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewGenerator(tc.opt); err == nil {
				t.Errorf("NewGenerator accepted an invalid %s option", tc.name)
			}
		})
	}
	g, err := NewGenerator()
	if err != nil {
		t.Fatal(err)
	}
	s := writeSubject(t, t.TempDir(), "x.txt", []byte("x"))
	if _, err := g.SBOM(context.Background(), s, "spdx-tag-value"); !errors.Is(err, ErrUnsupportedFormat) {
		t.Errorf("format spdx-tag-value: err %v, want ErrUnsupportedFormat", err)
	}
	if _, err := g.SBOM(context.Background(), core.Subject{Name: "ref", Digest: s.Digest}, FormatSPDX); err == nil {
		t.Errorf("a subject without a file was accepted")
	}
}

func TestPythonWheelAndEgg(t *testing.T) {
	t.Parallel()
	wheel := zipOf(t, file("urllib3-2.0.7.dist-info/METADATA", pyMetadata("urllib3", "2.0.7", "License-Expression: MIT")),
		file("urllib3/__init__.py", ""))
	s := writeSubject(t, t.TempDir(), "python.tar.gz", compress(t, "gz", tarOf(t,
		fileBytes("wheels/urllib3-2.0.7-py3-none-any.whl", wheel),
		file("usr/lib/python3/dist-packages/six-1.16.0.egg-info", pyMetadata("six", "1.16.0", "Author: Benjamin Peterson")),
		file("usr/lib/python3/dist-packages/attrs-23.1.0.egg-info/PKG-INFO", pyMetadata("attrs", "23.1.0", "")),
	)))
	sp, _ := generate(t, s)
	comparePurls(t, sp.purls, []string{"pkg:pypi/attrs@23.1.0", "pkg:pypi/six@1.16.0", "pkg:pypi/urllib3@2.0.7"})
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	s := writeSubject(t, t.TempDir(), "a.tar.gz", compress(t, "gz", tarOf(t, nodeModules()...)))
	g, err := NewGenerator()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.SBOM(ctx, s, FormatSPDX); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: err %v, want context.Canceled", err)
	}
}

func TestCatalogReused(t *testing.T) {
	t.Parallel()
	s := writeSubject(t, t.TempDir(), "a.tar", tarOf(t, nodeModules()...))
	g, err := NewGenerator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.inventory(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	first := g.last.inv
	again, err := g.inventory(context.Background(), s)
	if err != nil || again != first {
		t.Errorf("the second format of the same subject catalogued it again")
	}
	other := writeSubject(t, t.TempDir(), "b.tar", tarOf(t, nodeModules()[:1]...))
	if inv, err := g.inventory(context.Background(), other); err != nil || inv == first {
		t.Errorf("another subject reused the first one's catalog")
	}
}

// TestLooksLikeAnImage walks tarballs with a manifest.json or oci-layout at their root that
// are not images as plain tarballs.
func TestLooksLikeAnImage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		first entry
	}{
		{"extension.tar", file("manifest.json", `{"manifest_version": 3, "name": "ext"}`)},
		{"layoutish.tar", file("oci-layout", `{"imageLayoutVersion": "1.0.0"}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := writeSubject(t, dir, tc.name, tarOf(t, append([]entry{tc.first}, nodeModules()...)...))
			sp, _ := generate(t, s)
			comparePurls(t, sp.purls, npmPurls())
		})
	}
}

package sbom

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const debianOSRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian
`

const dpkgStatus = `Package: libc6
Status: install ok installed
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs.

Package: libgcc-s1
Status: install ok installed
Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)
Description: GCC support library

Package: gcc-12-base
Status: install ok installed
Maintainer: Debian GCC Maintainers <debian-gcc@lists.debian.org>
Architecture: amd64
Source: gcc-12
Version: 12.2.0-14
Description: GCC, the GNU Compiler Collection (base package)

Package: python3-yaml
Status: install ok installed
Maintainer: Debian Python Team <team+python@tracker.debian.org>
Architecture: amd64
Source: pyyaml
Version: 6.0-3+b2
Depends: python3 | python3-any, libc6 (>= 2.14), libyaml-0-2
Description: YAML parser and emitter for Python3

Package: removed-pkg
Status: deinstall ok config-files
Maintainer: Someone <someone@example.org>
Architecture: all
Version: 1.0
Description: removed, only its configuration files remain
`

// osLayer is a Debian root filesystem: os-release, dpkg's database and one distribution the
// whiteout in langLayer deletes.
func osLayer(t testing.TB) []byte {
	return tarOf(t,
		entry{name: "etc/", typ: tar.TypeDir},
		file("etc/os-release", debianOSRelease),
		file("var/lib/dpkg/status", dpkgStatus),
		file("var/lib/dpkg/info/libc6:amd64.list", "/.\n/lib/x86_64-linux-gnu/libc.so.6\n"),
		file("var/lib/dpkg/info/python3-yaml.list", "/.\n/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info\n/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA\n"),
		file("usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", pyMetadata("PyYAML", "6.0", "Author: Kirill Simonov\nAuthor-email: xi@resolvent.net\nLicense: MIT\n")),
		file("usr/lib/python3/dist-packages/removed-1.0.dist-info/METADATA", pyMetadata("removed", "1.0", "")),
		entry{name: "usr/lib/libc.so", typ: tar.TypeSymlink, link: "/lib/x86_64-linux-gnu/libc.so.6"},
	)
}

func pyMetadata(name, version, extra string) string {
	return fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s\nThe long description.\nRequires-Dist: not-a-header\n", name, version, extra)
}

// langLayer installs npm, Python and Java packages and the Go fixture, and deletes one
// distribution of osLayer with a whiteout.
func langLayer(t testing.TB, gf goFixtures) []byte {
	return tarOf(t, append(nodeModules(),
		file("usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA", pyMetadata("requests", "2.31.0",
			"Author: Kenneth Reitz\nAuthor-email: me@kennethreitz.org\nLicense: Apache 2.0\nRequires-Dist: urllib3 (<3,>=1.21.1)\nRequires-Dist: idna<4,>=2.5\nRequires-Dist: PySocks!=1.5.7,>=1.5.6; extra == \"socks\"")),
		file("usr/lib/python3/dist-packages/urllib3-2.0.7.dist-info/METADATA", pyMetadata("urllib3", "2.0.7",
			"Author-email: Andrey Petrov <andrey.petrov@shazow.net>\nLicense-Expression: MIT")),
		file("usr/lib/python3/dist-packages/.wh.removed-1.0.dist-info", ""),
		fileBytes("opt/app/lib/app-1.4.2.jar", appJar(t)),
		fileBytes("usr/local/bin/hello", readFile(t, gf.hello)),
	)...)
}

func nodeModules() []entry {
	return []entry{
		file("app/node_modules/left-pad/package.json", `{"name":"left-pad","version":"1.3.0","author":"Cameron Westland <camwest@gmail.com>","license":"WTFPL"}`),
		file("app/node_modules/@scope/util/package.json", `{"name":"@scope/util","version":"2.0.0","author":{"name":"Scope Team","email":"team@scope.example"},"license":"MIT","dependencies":{"left-pad":"^1.0.0","ms":"^2.1.0"}}`),
		file("app/node_modules/@scope/util/node_modules/ms/package.json", `{"name":"ms","version":"2.1.3","author":"Vercel","license":"MIT"}`),
		file("app/node_modules/ms/package.json", `{"name":"ms","version":"2.0.0","license":"MIT"}`),
		file("app/node_modules/debug/package.json", `{"name":"debug","version":"4.3.4","author":"Josh Junon <josh.junon@protonmail.com>","license":"MIT","dependencies":{"ms":"2.0.0"}}`),
		file("app/node_modules/debug/src/package.json", `{"name":"not-a-package","version":"0.0.0"}`),
	}
}

// appJar is a Spring-Boot-style jar holding two nested jars, one without pom.properties.
func appJar(t testing.TB) []byte {
	return zipOf(t,
		file("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Title: app\r\nImplementation-Version: 1.4.2\r\nImplementation-Vendor: Example Corp\r\n\r\n"),
		file("META-INF/maven/com.example/app/pom.properties", "#Generated by Maven\ngroupId=com.example\nartifactId=app\nversion=1.4.2\n"),
		fileBytes("BOOT-INF/lib/commons-lang3-3.14.0.jar", zipOf(t,
			file("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nBundle-License: https://www.apache.org/licenses/LICENSE-2.0.txt\r\n\r\n"),
			file("META-INF/maven/org.apache.commons/commons-lang3/pom.properties", "groupId=org.apache.commons\nartifactId=commons-lang3\nversion=3.14.0\n"),
			file("org/apache/commons/lang3/StringUtils.class", "\xca\xfe\xba\xbe"))),
		fileBytes("BOOT-INF/lib/tiny-0.9.jar", zipOf(t, file("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n"))),
	)
}

func npmPurls() []string {
	return []string{
		"pkg:npm/%40scope/util@2.0.0", "pkg:npm/debug@4.3.4", "pkg:npm/left-pad@1.3.0",
		"pkg:npm/ms@2.0.0", "pkg:npm/ms@2.1.3",
	}
}

func debianPurls() []string {
	return []string{
		"pkg:deb/debian/gcc-12-base@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12",
		"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
		"pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12",
		"pkg:deb/debian/python3-yaml@6.0-3%2Bb2?arch=amd64&distro=debian-12&upstream=pyyaml",
	}
}

func pythonPurls() []string {
	return []string{"pkg:pypi/pyyaml@6.0", "pkg:pypi/requests@2.31.0", "pkg:pypi/urllib3@2.0.7"}
}

func javaPurls() []string {
	return []string{"pkg:maven/com.example/app@1.4.2", "pkg:maven/org.apache.commons/commons-lang3@3.14.0", "pkg:maven/tiny@0.9"}
}

// testImage builds the two-layer image of the acceptance fixtures.
func testImage(t testing.TB, gf goFixtures) v1.Image {
	t.Helper()
	img := empty.Image
	for _, l := range [][]byte{osLayer(t), langLayer(t, gf)} {
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(l)), nil })
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

const testImageRef = "registry.example/team/app:1.0"

func writeDockerArchive(t testing.TB, p string, img v1.Image) {
	t.Helper()
	if err := tarball.WriteToFile(p, name.MustParseReference(testImageRef), img); err != nil {
		t.Fatal(err)
	}
}

func writeOCILayout(t testing.TB, dir string, img v1.Image) {
	t.Helper()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": testImageRef})); err != nil {
		t.Fatal(err)
	}
}

// tarDir writes the files under dir as a tar (an OCI archive when dir is an OCI layout).
func tarDir(t testing.TB, dir string) []byte {
	t.Helper()
	var entries []entry
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		entries = append(entries, fileBytes(filepath.ToSlash(rel), readFile(t, p)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tarOf(t, entries...)
}

func imagePurl(t testing.TB, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return "pkg:oci/app@" + d.String() + "?arch=amd64&repository_url=registry.example%2Fteam%2Fapp&tag=1.0"
}

// arMember is one member of an ar archive.
func arMember(name string, body []byte) []byte {
	h := fmt.Sprintf("%-16s%-12d%-6d%-6d%-8s%-10d`\n", name+"/", 1700000000, 0, 0, "100644", len(body))
	out := append([]byte(h), body...)
	if len(body)%2 == 1 {
		out = append(out, '\n')
	}
	return out
}

// debOf builds a .deb: debian-binary, control.tar.gz with control, data.tar.<comp> with data.
func debOf(t testing.TB, control string, data []byte, comp string) []byte {
	t.Helper()
	out := []byte("!<arch>\n")
	out = append(out, arMember("debian-binary", []byte("2.0\n"))...)
	out = append(out, arMember("control.tar.gz", compress(t, "gz", tarOf(t, file("./control", control))))...)
	return append(out, arMember("data.tar."+comp, compress(t, comp, data))...)
}

const helloToolsControl = `Package: hello-tools
Version: 1.2.3-1
Architecture: amd64
Maintainer: Jane Doe <jane@example.org>
Homepage: https://example.org/hello
Description: the hello command
`

func helloToolsDeb(t testing.TB, gf goFixtures, comp string) []byte {
	return debOf(t, helloToolsControl, tarOf(t,
		entry{name: "./usr/", typ: tar.TypeDir},
		fileBytes("./usr/bin/hello", readFile(t, gf.hello)),
		entry{name: "./usr/bin/hi", typ: tar.TypeSymlink, link: "/usr/bin/hello"},
		file("./usr/lib/python3/dist-packages/urllib3-2.0.7.dist-info/METADATA", pyMetadata("urllib3", "2.0.7", "License-Expression: MIT")),
	), comp)
}

// npmLockV3 installs b@1.0.0 at two nested paths (under a and under c) and b@2.0.0 at the top.
const npmLockV3 = `{
  "name": "web",
  "version": "3.1.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": "web", "version": "3.1.0", "dependencies": {"a": "^1.0.0", "b": "^2.0.0", "c": "^1.0.0"}, "devDependencies": {"d": "^1.0.0"}},
    "node_modules/a": {"version": "1.0.0", "resolved": "https://registry.example/a/-/a-1.0.0.tgz", "integrity": "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "license": "MIT", "dependencies": {"b": "^1.0.0"}},
    "node_modules/a/node_modules/b": {"version": "1.0.0", "license": "ISC"},
    "node_modules/b": {"version": "2.0.0", "license": "ISC"},
    "node_modules/c": {"version": "1.0.0", "license": "(MIT OR Apache-2.0)", "dependencies": {"b": "^1.0.0", "@s/e": "^1.0.0"}},
    "node_modules/c/node_modules/b": {"version": "1.0.0", "license": "ISC"},
    "node_modules/@s/e": {"version": "1.0.0", "license": "MIT"},
    "node_modules/d": {"version": "1.0.0", "dev": true, "license": "MIT", "dependencies": {"a": "^1.0.0"}},
    "node_modules/linked": {"resolved": "packages/linked", "link": true}
  }
}`

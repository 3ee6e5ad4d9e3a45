package sbom

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-ci/signet/internal/golden"
)

// goldenRootfs is a root filesystem with every ecosystem but Go binaries (whose build
// information depends on the toolchain running the tests), so its SBOMs are stable bytes.
func goldenRootfs(t testing.TB) []byte {
	entries := []entry{
		file("etc/os-release", debianOSRelease),
		file("var/lib/dpkg/status", dpkgStatus),
		file("usr/share/doc/libc6/copyright", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: LGPL-2.1+\n\nFiles: debian/*\nLicense: GPL-2+\n"),
		file("usr/share/doc/gcc-12-base/copyright", "This is the Debian GNU/Linux prepackaged version of the GNU compiler collection.\n"),
		file("var/lib/dpkg/info/python3-yaml.list", "/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA\n"),
		file("usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA", pyMetadata("PyYAML", "6.0", "Author: Kirill Simonov\nAuthor-email: xi@resolvent.net\nLicense: MIT\n")),
		file("usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA", pyMetadata("requests", "2.31.0",
			"Author: Kenneth Reitz\nLicense: Apache 2.0\nRequires-Dist: urllib3 (<3,>=1.21.1)")),
		file("usr/lib/python3/dist-packages/urllib3-2.0.7.dist-info/METADATA", pyMetadata("urllib3", "2.0.7", "License-Expression: MIT")),
		fileBytes("opt/app/lib/app-1.4.2.jar", appJar(t)),
		file("srv/web/package-lock.json", npmLockV3),
	}
	return compress(t, "gz", tarOf(t, append(entries, nodeModules()...)...))
}

func TestGolden(t *testing.T) {
	t.Parallel()
	s := writeSubject(t, t.TempDir(), "rootfs.tar.gz", goldenRootfs(t))
	g, err := NewGenerator(WithNow(func() time.Time { return fixedTime }), WithToolVersion("v0.0.0-golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ format, file string }{
		{FormatSPDX, "rootfs.spdx.json"},
		{FormatCycloneDX, "rootfs.cdx.json"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			t.Parallel()
			p, err := g.SBOM(context.Background(), s, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			checkSBOM(t, tc.format, p.JSON)
			golden.Check(t, filepath.Join("testdata", "golden", tc.file), p.JSON)
		})
	}
}

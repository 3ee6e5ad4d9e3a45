package sbom

import "testing"

func TestDebCopyrightLicense(t *testing.T) {
	t.Parallel()
	const header = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n\n"
	for _, tc := range []struct {
		name, body, expr, text string
	}{
		{"single", header + "Files: *\nCopyright: 2020 A\nLicense: Expat\n Permission is hereby granted…\n", "MIT", ""},
		{"several files", header + "Files: *\nLicense: GPL-2+\n\nFiles: debian/*\nLicense: LGPL-2.1+\n\nLicense: GPL-2+\n text\n",
			"GPL-2.0-or-later AND LGPL-2.1-or-later", ""},
		{"disjunction", header + "Files: *\nLicense: GPL-1+ or Artistic\n", "GPL-1.0-or-later OR Artistic-1.0-Perl", ""},
		{"mixed", header + "Files: *\nLicense: BSD-3-clause\n\nFiles: x/*\nLicense: GPL-2+ or Artistic\n",
			"BSD-3-Clause AND (GPL-2.0-or-later OR Artistic-1.0-Perl)", ""},
		{"no SPDX name", header + "Files: *\nLicense: public-domain\n", "", "public-domain"},
		{"free form", "This package was debianized by someone.\nIt is GPL.\n", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expr, text := debCopyrightLicense([]byte(tc.body))
			if expr != tc.expr || text != tc.text {
				t.Errorf("got (%q, %q), want (%q, %q)", expr, text, tc.expr, tc.text)
			}
		})
	}
}

package sbom

import (
	"sort"
	"strings"
)

// debianLicenses maps the short names of Debian's machine-readable copyright format to SPDX.
var debianLicenses = map[string]string{
	"GPL-1": "GPL-1.0-only", "GPL-1+": "GPL-1.0-or-later",
	"GPL-2": "GPL-2.0-only", "GPL-2+": "GPL-2.0-or-later",
	"GPL-3": "GPL-3.0-only", "GPL-3+": "GPL-3.0-or-later",
	"LGPL-2": "LGPL-2.0-only", "LGPL-2+": "LGPL-2.0-or-later",
	"LGPL-2.1": "LGPL-2.1-only", "LGPL-2.1+": "LGPL-2.1-or-later",
	"LGPL-3": "LGPL-3.0-only", "LGPL-3+": "LGPL-3.0-or-later",
	"AGPL-3": "AGPL-3.0-only", "AGPL-3+": "AGPL-3.0-or-later",
	"GFDL-1.2": "GFDL-1.2-only", "GFDL-1.2+": "GFDL-1.2-or-later",
	"GFDL-1.3": "GFDL-1.3-only", "GFDL-1.3+": "GFDL-1.3-or-later",
	"Expat": "MIT", "BSD-2-clause": "BSD-2-Clause", "BSD-3-clause": "BSD-3-Clause",
	"BSD-4-clause": "BSD-4-Clause", "Apache-2": "Apache-2.0", "Artistic": "Artistic-1.0-Perl",
	"MPL-1.1": "MPL-1.1", "MPL-2.0": "MPL-2.0", "Zlib": "Zlib", "zlib": "Zlib", "ISC": "ISC",
	"PSF-2": "PSF-2.0", "Python-2.0": "Python-2.0", "CC0-1.0": "CC0-1.0", "OpenSSL": "OpenSSL",
}

// debCopyrightLicense reads the licenses a machine-readable debian/copyright declares and
// returns them as one SPDX expression (every License field joined with AND), or, when a
// name has no SPDX equivalent, the Debian names as text. A free-form copyright file gives
// nothing: signet does not guess licenses from prose.
func debCopyrightLicense(b []byte) (expr, text string) {
	if !strings.HasPrefix(string(b), "Format:") {
		return "", ""
	}
	seen := map[string]bool{}
	var names []string
	eachParagraph(b, func(p paragraph) bool {
		v := strings.TrimSpace(strings.SplitN(p["License"], "\n", 2)[0])
		if v != "" && !seen[v] {
			seen[v] = true
			names = append(names, v)
		}
		return true
	})
	if len(names) == 0 {
		return "", ""
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		e, ok := debianExpression(n)
		if !ok {
			return "", strings.Join(names, " AND ")
		}
		parts = append(parts, e)
	}
	if len(parts) == 1 {
		return license(parts[0])
	}
	for i, p := range parts {
		if strings.Contains(p, " ") {
			parts[i] = "(" + p + ")"
		}
	}
	return license(strings.Join(parts, " AND "))
}

// debianExpression translates one License field ("GPL-2+ or Artistic", "Expat and ISC").
func debianExpression(v string) (string, bool) {
	var out []string
	for _, word := range strings.Fields(strings.NewReplacer(",", " ").Replace(v)) {
		switch strings.ToLower(word) {
		case "or", "and":
			out = append(out, strings.ToUpper(word))
			continue
		case "with":
			return "", false
		}
		id, ok := debianLicenses[word]
		if !ok {
			if e, _ := license(word); e == word && !strings.ContainsAny(word, " ()") {
				id, ok = e, true
			}
		}
		if !ok {
			return "", false
		}
		out = append(out, id)
	}
	return strings.Join(out, " "), len(out) > 0
}

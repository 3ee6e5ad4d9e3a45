package sbom

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
)

// pyMeta is a parsed core-metadata file (METADATA or PKG-INFO); repeated fields keep every value.
type pyMeta map[string][]string

func (m pyMeta) get(k string) string {
	if v := m[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// parsePyMeta reads the header block of a core-metadata file. Continuation lines are
// collected and joined once, so a header of many short lines costs linear time.
func parsePyMeta(b []byte) pyMeta {
	m := pyMeta{}
	var cont []string // continuation lines of the last header's last value
	last := ""
	flush := func() {
		if len(cont) > 0 {
			v := m[last]
			v[len(v)-1] += "\n" + strings.Join(cont, "\n")
			cont = cont[:0]
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break // the description body follows
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			cont = append(cont, strings.TrimSpace(line))
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		flush()
		last = k
		m[k] = append(m[k], strings.TrimSpace(v))
	}
	flush()
	return m
}

var pyNormRe = regexp.MustCompile(`[-_.]+`)

// pyNormalize is the PEP 503 normalized project name.
func pyNormalize(name string) string { return strings.ToLower(pyNormRe.ReplaceAllString(name, "-")) }

var pyReqName = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)

// pyRequirement returns the project a Requires-Dist line names, or "" when the requirement
// only applies with an extra.
func pyRequirement(req string) string {
	spec, marker, _ := strings.Cut(req, ";")
	if strings.Contains(marker, "extra") {
		return ""
	}
	m := pyReqName.FindStringSubmatch(spec)
	if m == nil {
		return ""
	}
	return pyNormalize(m[1])
}

// pySupplier derives the author (or maintainer) of a distribution.
func pySupplier(m pyMeta) *party {
	for _, pair := range [][2]string{{"Author", "Author-email"}, {"Maintainer", "Maintainer-email"}} {
		name, email := m.get(pair[0]), strings.SplitN(m.get(pair[1]), ",", 2)[0]
		switch {
		case name != "" && email != "" && !strings.Contains(email, "<"):
			return &party{kind: "Person", name: name, email: strings.TrimSpace(email)}
		case name != "":
			return person(name)
		case email != "":
			return person(email)
		}
	}
	return nil
}

var pyClassifierLicenses = map[string]string{
	"License :: OSI Approved :: MIT License":                          "MIT",
	"License :: OSI Approved :: ISC License (ISCL)":                   "ISC",
	"License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
	"License :: OSI Approved :: The Unlicense (Unlicense)":            "Unlicense",
	"License :: OSI Approved :: Python Software Foundation License":   "PSF-2.0",
}

// pyLicense prefers License-Expression, then a License field that is an SPDX expression,
// then an unambiguous classifier.
func pyLicense(m pyMeta) (string, string) {
	if e, text := license(m.get("License-Expression")); e != "" || text != "" {
		return e, text
	}
	e, text := license(m.get("License"))
	if e != "" {
		return e, ""
	}
	for _, c := range m["Classifier"] {
		if id, ok := pyClassifierLicenses[c]; ok {
			return id, ""
		}
	}
	if strings.Contains(text, "\n") || len(text) > 200 {
		text = strings.SplitN(text, "\n", 2)[0] // a whole license text pasted into the field
	}
	return "", text
}

// catalogPython catalogs installed distributions (dist-info and egg-info) and resolves
// Requires-Dist to distributions installed in the same tree. It returns file → key.
func (t *tree) catalogPython(files []namedData) map[string]string {
	out := map[string]string{}
	byName := map[string]string{}
	reqs := map[string][]string{}
	for _, f := range files {
		m := parsePyMeta(f.data)
		name, version := m.get("Name"), m.get("Version")
		if name == "" || version == "" {
			continue
		}
		p := &pkg{name: name, version: version, purl: purl("pypi", "", pyNormalize(name), version, ""),
			typ: typeLibrary, ecosystem: "pypi", supplier: pySupplier(m), homepage: m.get("Home-page"),
			description: m.get("Summary"), locations: []string{t.loc + f.name}}
		p.license, p.licenseText = pyLicense(m)
		k := t.s.inv.add(p)
		byName[pyNormalize(name)], out[f.name] = k, k
		reqs[k] = append(reqs[k], m["Requires-Dist"]...)
	}
	for k, rs := range reqs {
		for _, r := range rs {
			if dep, ok := byName[pyRequirement(r)]; ok {
				t.s.inv.link(k, dep, relDependsOn)
			}
		}
	}
	return out
}

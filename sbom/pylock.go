package sbom

import (
	"fmt"
	"regexp"
	"strings"
)

// pyName is a valid Python project name (PEP 508).
var pyName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)

// pyPinned is a requirement pinned to one version: NAME[EXTRAS]==VERSION or ===VERSION.
var pyPinned = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)$`)

// pyPackage is a Python package declared at loc.
func pyPackage(name, version, loc string) *pkg {
	return &pkg{name: name, version: version, purl: purl("pypi", "", pyNormalize(name), version, ""),
		typ: typeLibrary, ecosystem: "pypi", locations: []string{loc}}
}

// catalogRequirements catalogs a pip requirements file: every requirement pinned to one
// version (NAME==VERSION), with its --hash sha256 values. Ranges, URLs, editable installs and
// options (-r, -c, --index-url) pin nothing and are not listed; included files are not read
// (each requirements*.txt of the workspace is read on its own).
func (t *tree) catalogRequirements(f namedData) []string {
	loc := t.loc + f.name
	var keys []string
	for _, line := range requirementLines(string(f.data)) {
		fields := strings.Fields(line)
		var spec []string
		var hashes []string
		for _, fl := range fields {
			if h, ok := strings.CutPrefix(fl, "--hash=sha256:"); ok {
				hashes = append(hashes, h)
			} else if strings.HasPrefix(fl, "-") {
				break
			} else {
				spec = append(spec, fl)
			}
		}
		req, _, _ := strings.Cut(strings.Join(spec, " "), ";")
		m := pyPinned.FindStringSubmatch(strings.TrimSpace(req))
		if m == nil || !pyName.MatchString(m[1]) {
			continue
		}
		if len(keys) >= t.s.cfg.maxPackages {
			t.s.inv.fail(&LimitError{Limit: LimitPackages, Max: int64(t.s.cfg.maxPackages), Where: t.s.inv.whereLoc(loc),
				Detail: fmt.Sprintf("pins more than %d requirements", t.s.cfg.maxPackages)})
			return nil
		}
		p := pyPackage(m[1], m[2], loc)
		if len(hashes) == 1 && len(hashes[0]) == 64 {
			p.hashes = map[string]string{"SHA-256": strings.ToLower(hashes[0])}
		}
		keys = append(keys, t.s.inv.add(p))
	}
	return keys
}

// requirementLines joins continuation lines (ending in a backslash) and drops comments and
// blank lines.
func requirementLines(s string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			line = ""
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\"))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		if l := strings.TrimSpace(cur.String()); l != "" {
			out = append(out, l)
		}
		cur.Reset()
	}
	if l := strings.TrimSpace(cur.String()); l != "" {
		out = append(out, l)
	}
	return out
}

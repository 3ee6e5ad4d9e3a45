package sbom

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// gemSpec is a spec line of a Gemfile.lock: "    name (version)" or "    name (version-platform)".
var gemSpec = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*) \(([0-9][A-Za-z0-9.]*)(?:-([A-Za-z0-9_.-]+))?\)$`)

// gemDep is a dependency line under a spec or in DEPENDENCIES: "name", "name (>= 1)", "name!".
var gemDep = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)!?(?: \(.*\))?$`)

// catalogGemfile catalogs a Gemfile.lock: the specs of its GEM, GIT and PATH sections (each
// with the gems it depends on) and returns the gems DEPENDENCIES names directly.
func (t *tree) catalogGemfile(f namedData) []string {
	loc := t.loc + f.name
	where := t.s.inv.whereLoc(loc)
	type spec struct {
		p    *pkg
		deps []string
	}
	var specs []*spec
	var direct []string
	var cur *spec
	section, inSpecs := "", false
	refs := 0
	for line := range strings.Lines(string(f.data)) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		body := strings.TrimSpace(line)
		switch {
		case indent == 0:
			section, inSpecs, cur = body, false, nil
		case section == "DEPENDENCIES" && indent == 2:
			if m := gemDep.FindStringSubmatch(body); m != nil {
				direct = append(direct, m[1])
			}
		case section != "GEM" && section != "GIT" && section != "PATH":
		case indent == 2:
			inSpecs, cur = body == "specs:", nil
		case inSpecs && indent == 4:
			cur = nil
			m := gemSpec.FindStringSubmatch(body)
			if m == nil {
				continue
			}
			if len(specs) >= t.s.cfg.maxPackages {
				t.s.inv.fail(&LimitError{Limit: LimitPackages, Max: int64(t.s.cfg.maxPackages), Where: where,
					Detail: fmt.Sprintf("lists more than %d gems", t.s.cfg.maxPackages)})
				return nil
			}
			p := &pkg{name: m[1], version: m[2], purl: purl("gem", "", m[1], m[2], "", "platform", m[3]),
				typ: typeLibrary, ecosystem: "gem", locations: []string{loc}}
			if section != "GEM" {
				p.setProp("signet:gem:source", strings.ToLower(section))
			}
			cur = &spec{p: p}
			specs = append(specs, cur)
		case inSpecs && indent == 6 && cur != nil:
			if m := gemDep.FindStringSubmatch(body); m != nil {
				if refs++; refs > t.s.cfg.maxRelations {
					t.s.inv.fail(&LimitError{Limit: LimitRelations, Max: int64(t.s.cfg.maxRelations), Where: where,
						Detail: fmt.Sprintf("gems declare more than %d dependencies", t.s.cfg.maxRelations)})
					return nil
				}
				cur.deps = append(cur.deps, m[1])
			}
		}
	}
	byName := map[string][]string{}
	keys := make([]string, len(specs))
	for i, s := range specs {
		if keys[i] = t.s.inv.add(s.p); keys[i] == "" {
			return nil
		}
		byName[s.p.name] = append(byName[s.p.name], keys[i])
	}
	for i, s := range specs {
		for _, d := range s.deps {
			for _, to := range byName[d] { // one gem per platform: each is a dependency
				t.s.inv.link(keys[i], to, relDependsOn)
			}
		}
	}
	var roots []string
	for _, n := range direct {
		roots = append(roots, byName[n]...)
	}
	sort.Strings(roots)
	return roots
}

package sbom

import (
	"fmt"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// pnpmLock is the part of pnpm-lock.yaml signet reads (lockfile versions 5, 6 and 9).
type pnpmLock struct {
	Importers map[string]pnpmImporter `yaml:"importers"`
	Packages  map[string]pnpmPackage  `yaml:"packages"`
	Snapshots map[string]pnpmPackage  `yaml:"snapshots"` // version 9: the dependency graph
}

type pnpmImporter struct {
	Dependencies         map[string]any `yaml:"dependencies"`
	DevDependencies      map[string]any `yaml:"devDependencies"`
	OptionalDependencies map[string]any `yaml:"optionalDependencies"`
}

type pnpmPackage struct {
	Resolution struct {
		Integrity string `yaml:"integrity"`
	} `yaml:"resolution"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
	Dev                  bool              `yaml:"dev"`
}

// pnpmKey splits a packages key into name and version: "/name/1.0.0" (v5), "/name@1.0.0" and
// "/@s/name@1.0.0(peer@1)" (v6), "name@1.0.0" (v9). Peer suffixes are dropped.
func pnpmKey(key string) (name, version string, ok bool) {
	key = strings.TrimPrefix(key, "/")
	if i := strings.IndexByte(key, '('); i > 0 {
		key = key[:i]
	}
	if i := strings.LastIndexByte(key, '@'); i > 0 {
		name, version = key[:i], key[i+1:]
	} else if i := strings.LastIndexByte(key, '/'); i > 0 { // v5
		name, version = key[:i], key[i+1:]
		if j := strings.IndexByte(version, '_'); j > 0 {
			version = version[:j]
		}
	}
	return name, version, validNpmName(name) && version != "" && !strings.ContainsAny(version, ":/")
}

// pnpmRef is the version a dependency resolves to: "1.0.0", "1.0.0(peer@1)"; links
// ("link:../x") and aliases resolve to nothing here.
func pnpmRef(v string) string {
	if i := strings.IndexByte(v, '('); i > 0 {
		v = v[:i]
	}
	if j := strings.IndexByte(v, '_'); j > 0 {
		v = v[:j]
	}
	if strings.ContainsAny(v, ":/@") {
		return ""
	}
	return v
}

// catalogPnpm catalogs a pnpm-lock.yaml: its packages, their dependencies (from snapshots in
// version 9) and the root importer's direct dependencies, which are returned.
func (t *tree) catalogPnpm(f namedData) []string {
	loc := t.loc + f.name
	where := t.s.inv.whereLoc(loc)
	var l pnpmLock
	if err := yaml.Unmarshal(f.data, &l); err != nil {
		t.s.inv.fail(fmt.Errorf("reading %s: %w", where, err))
		return nil
	}
	if n := max(len(l.Packages), len(l.Snapshots)); n > t.s.cfg.maxPackages {
		t.s.inv.fail(&LimitError{Limit: LimitPackages, Max: int64(t.s.cfg.maxPackages), Where: where,
			Detail: fmt.Sprintf("lists %d packages, more than %d", n, t.s.cfg.maxPackages)})
		return nil
	}
	graph := l.Snapshots
	if graph == nil {
		graph = l.Packages
	}
	refs := 0
	for _, p := range graph {
		refs += len(p.Dependencies) + len(p.OptionalDependencies)
	}
	if refs > t.s.cfg.maxRelations {
		t.s.inv.fail(&LimitError{Limit: LimitRelations, Max: int64(t.s.cfg.maxRelations), Where: where,
			Detail: fmt.Sprintf("packages declare %d dependencies, more than %d", refs, t.s.cfg.maxRelations)})
		return nil
	}
	keys := map[string]string{} // name@version → key
	for _, k := range sortedMapKeys(l.Packages) {
		name, version, ok := pnpmKey(k)
		if !ok {
			continue
		}
		e := l.Packages[k]
		p := &pkg{name: name, version: version, purl: npmPurl(name, version), typ: typeLibrary, ecosystem: "npm",
			locations: []string{loc}}
		setIntegrity(p, e.Resolution.Integrity)
		if e.Dev {
			p.setProp("signet:npm:dev", "true")
		}
		if keys[name+"@"+version] = t.s.inv.add(p); t.s.inv.err != nil {
			return nil
		}
	}
	for _, k := range sortedMapKeys(graph) {
		name, version, ok := pnpmKey(k)
		from := keys[name+"@"+version]
		if !ok || from == "" {
			continue
		}
		e := graph[k]
		for _, deps := range []map[string]string{e.Dependencies, e.OptionalDependencies} {
			for _, dn := range sortedMapKeys(deps) {
				if to := keys[dn+"@"+pnpmRef(deps[dn])]; to != "" {
					t.s.inv.link(from, to, relDependsOn)
				}
			}
		}
	}
	var direct []string
	imp := l.Importers["."]
	for _, deps := range []map[string]any{imp.Dependencies, imp.DevDependencies, imp.OptionalDependencies} {
		for _, dn := range sortedMapKeys(deps) {
			v := ""
			switch d := deps[dn].(type) {
			case string: // v5
				v = d
			case map[string]any: // v6, v9: {specifier, version}
				v, _ = d["version"].(string)
			}
			if to := keys[dn+"@"+pnpmRef(v)]; to != "" {
				direct = append(direct, to)
			}
		}
	}
	sort.Strings(direct)
	return direct
}

func sortedMapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// yarnEntry is one resolved package of a yarn.lock.
type yarnEntry struct {
	specs     []string // "name@range" (v1), "name@npm:range" (berry)
	name      string
	version   string
	integrity string
	deps      [][2]string // name, range
	workspace bool
}

// parseYarnLock reads a yarn.lock of yarn 1 ("name@range:" blocks with `version "1.0.0"`)
// or of yarn 2+ (YAML-like: `version: 1.0.0`). Both are indented blocks: a header line at
// column 0, fields at 2 spaces, dependency lines at 4. It stops after max entries + 1.
func parseYarnLock(data string, max int) []*yarnEntry {
	var out []*yarnEntry
	var cur *yarnEntry
	inDeps := false
	for line := range strings.Lines(data) {
		line = strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			inDeps = false
			cur = nil
			if !strings.HasSuffix(trimmed, ":") || strings.HasPrefix(trimmed, "__metadata") {
				continue
			}
			if len(out) > max {
				return out
			}
			cur = &yarnEntry{}
			for _, s := range strings.Split(strings.TrimSuffix(trimmed, ":"), ",") {
				s = strings.Trim(strings.TrimSpace(s), `"`)
				if s == "" {
					continue
				}
				cur.specs = append(cur.specs, s)
				if cur.name == "" {
					if i := strings.IndexByte(s[1:], '@'); i >= 0 {
						cur.name = s[:i+1]
						cur.workspace = strings.HasPrefix(s[i+2:], "workspace:")
					}
				}
			}
			out = append(out, cur)
		case cur == nil:
		case indent == 2:
			k, v := yarnField(trimmed)
			inDeps = (k == "dependencies" || k == "optionalDependencies") && v == ""
			switch k {
			case "version":
				cur.version = v
			case "integrity":
				cur.integrity = v
			}
		case indent >= 4 && inDeps:
			k, v := yarnField(trimmed)
			if k != "" && v != "" {
				cur.deps = append(cur.deps, [2]string{k, v})
			}
		}
	}
	return out
}

// yarnField splits `key "value"` (yarn 1) or `key: value` (berry), unquoting both.
func yarnField(s string) (k, v string) {
	if strings.HasPrefix(s, `"`) { // a quoted key ("@s/dep" "^1")
		if i := strings.Index(s[1:], `"`); i >= 0 {
			k, v = s[1:i+1], s[i+2:]
		}
	} else if i := strings.IndexAny(s, ": "); i >= 0 {
		k, v = s[:i], s[i:]
	} else {
		return s, ""
	}
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
	return k, strings.Trim(v, `"`)
}

// catalogYarn catalogs a yarn.lock: every resolved package, edges through the specs
// ("name@range") each block resolves. Workspace entries (berry's "name@workspace:.") are the
// projects, returned as roots.
func (t *tree) catalogYarn(f namedData) []string {
	loc := t.loc + f.name
	where := t.s.inv.whereLoc(loc)
	entries := parseYarnLock(string(f.data), t.s.cfg.maxPackages)
	if len(entries) > t.s.cfg.maxPackages {
		t.s.inv.fail(&LimitError{Limit: LimitPackages, Max: int64(t.s.cfg.maxPackages), Where: where,
			Detail: fmt.Sprintf("lists more than %d packages", t.s.cfg.maxPackages)})
		return nil
	}
	refs := 0
	for _, e := range entries {
		refs += len(e.deps)
	}
	if refs > t.s.cfg.maxRelations {
		t.s.inv.fail(&LimitError{Limit: LimitRelations, Max: int64(t.s.cfg.maxRelations), Where: where,
			Detail: fmt.Sprintf("packages declare %d dependencies, more than %d", refs, t.s.cfg.maxRelations)})
		return nil
	}
	bySpec := map[string]string{}
	keys := make([]string, len(entries))
	var roots []string
	for i, e := range entries {
		if !validNpmName(e.name) || e.version == "" || strings.ContainsAny(e.version, " :/") {
			continue
		}
		p := &pkg{name: e.name, version: e.version, purl: npmPurl(e.name, e.version), typ: typeLibrary, ecosystem: "npm",
			locations: []string{loc}}
		setIntegrity(p, e.integrity)
		if e.workspace {
			p.typ = typeApplication
		}
		if keys[i] = t.s.inv.add(p); keys[i] == "" {
			return nil
		}
		if e.workspace {
			roots = append(roots, keys[i])
		}
		for _, s := range e.specs {
			bySpec[s] = keys[i]
		}
	}
	for i, e := range entries {
		for _, d := range e.deps {
			to, ok := bySpec[d[0]+"@"+d[1]]
			if !ok {
				to, ok = bySpec[d[0]+"@npm:"+d[1]]
			}
			if ok && keys[i] != "" {
				t.s.inv.link(keys[i], to, relDependsOn)
			}
		}
	}
	sort.Strings(roots)
	return roots
}

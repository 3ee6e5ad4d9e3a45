package sbom

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// maxTOMLDepth bounds how deeply arrays and inline tables of a TOML lock file nest; the
// parser recurses once per level, so a file of 64 MiB of "[[[[" is refused before it is parsed.
const maxTOMLDepth = 32

// tomlLockFile is the part of Cargo.lock, poetry.lock and uv.lock signet reads: their
// [[package]] tables.
type tomlLockFile struct {
	Package []tomlPackage `toml:"package"`
}

type tomlPackage struct {
	Name         string `toml:"name"`
	Version      string `toml:"version"`
	Source       any    `toml:"source"`   // Cargo: a string; uv: a table
	Checksum     string `toml:"checksum"` // Cargo: sha256 hex
	Category     string `toml:"category"` // poetry before 1.5: "main" or "dev"
	Dependencies any    `toml:"dependencies"`
}

// cargoName is a valid crate name.
var cargoName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// catalogTOMLLock catalogs a Cargo.lock, poetry.lock or uv.lock: every package once, edges
// resolved by name (and version where the lock gives one); the workspace's own crates (no
// source) and uv's editable or virtual project are the roots returned.
func (t *tree) catalogTOMLLock(k lockKindT, f namedData) []string {
	loc := t.loc + f.name
	where := t.s.inv.whereLoc(loc)
	if d := tomlDepth(f.data); d > maxTOMLDepth {
		t.s.inv.fail(&LimitError{Limit: LimitNesting, Max: maxTOMLDepth, Where: where,
			Detail: fmt.Sprintf("arrays or inline tables nest %d deep", d)})
		return nil
	}
	var lf tomlLockFile
	if err := toml.Unmarshal(f.data, &lf); err != nil {
		t.s.inv.fail(fmt.Errorf("reading %s: %w", where, err))
		return nil
	}
	if len(lf.Package) > t.s.cfg.maxPackages {
		t.s.inv.fail(&LimitError{Limit: LimitPackages, Max: int64(t.s.cfg.maxPackages), Where: where,
			Detail: fmt.Sprintf("lists %d packages, more than %d", len(lf.Package), t.s.cfg.maxPackages)})
		return nil
	}
	byName := map[string][]string{}  // normalized name → keys
	byNameVer := map[string]string{} // normalized name + " " + version → key
	deps := make([][]tomlDep, len(lf.Package))
	keys := make([]string, len(lf.Package))
	refs := 0
	var roots []string
	for i, tp := range lf.Package {
		p, root := tomlPkg(k, tp, loc)
		if p == nil {
			continue
		}
		deps[i] = tomlDeps(k, tp.Dependencies)
		if refs += len(deps[i]); refs > t.s.cfg.maxRelations {
			t.s.inv.fail(&LimitError{Limit: LimitRelations, Max: int64(t.s.cfg.maxRelations), Where: where,
				Detail: fmt.Sprintf("packages declare more than %d dependencies", t.s.cfg.maxRelations)})
			return nil
		}
		key := t.s.inv.add(p)
		if key == "" {
			return nil
		}
		keys[i] = key
		n := lockNorm(k, tp.Name)
		byName[n] = append(byName[n], key)
		byNameVer[n+" "+tp.Version] = key
		if root {
			roots = append(roots, key)
		}
	}
	for i, ds := range deps {
		if keys[i] == "" {
			continue
		}
		for _, d := range ds {
			n := lockNorm(k, d.name)
			if d.version != "" {
				if to, ok := byNameVer[n+" "+d.version]; ok {
					t.s.inv.link(keys[i], to, relDependsOn)
				}
				continue
			}
			if c := byName[n]; len(c) == 1 { // ambiguous without a version: not guessed
				t.s.inv.link(keys[i], c[0], relDependsOn)
			}
		}
	}
	sort.Strings(roots)
	return roots
}

// lockNorm normalizes a package name for lookups (Python names per PEP 503).
func lockNorm(k lockKindT, name string) string {
	if k == lockCargo {
		return name
	}
	return pyNormalize(name)
}

// tomlPkg turns one [[package]] into a package; root is true for the project itself. It
// returns nil for an entry whose name or version makes no package.
func tomlPkg(k lockKindT, tp tomlPackage, loc string) (p *pkg, root bool) {
	if tp.Version == "" {
		return nil, false
	}
	if k == lockCargo {
		if !cargoName.MatchString(tp.Name) {
			return nil, false
		}
		p = &pkg{name: tp.Name, version: tp.Version, purl: purl("cargo", "", tp.Name, tp.Version, ""),
			typ: typeLibrary, ecosystem: "cargo", locations: []string{loc}}
		if len(tp.Checksum) == 64 {
			p.hashes = map[string]string{"SHA-256": strings.ToLower(tp.Checksum)}
		}
		src, _ := tp.Source.(string)
		if src == "" {
			p.typ, root = typeApplication, true
		} else {
			p.setProp("signet:cargo:source", src)
		}
		return p, root
	}
	if !pyName.MatchString(tp.Name) {
		return nil, false
	}
	p = pyPackage(tp.Name, tp.Version, loc)
	if tp.Category == "dev" {
		p.setProp("signet:python:dev", "true")
	}
	if src, ok := tp.Source.(map[string]any); ok {
		if _, ok := src["editable"]; ok {
			root = true
		}
		if _, ok := src["virtual"]; ok {
			root = true
		}
	}
	if root {
		p.typ = typeApplication
	}
	return p, root
}

// tomlDep is one dependency of a lock entry; version is empty when the lock names only the
// package.
type tomlDep struct{ name, version string }

// tomlDeps reads the dependencies of an entry: Cargo's ["name", "name version (source)"],
// poetry's table of name → constraint, uv's [{name = …, version = …}].
func tomlDeps(k lockKindT, v any) []tomlDep {
	var out []tomlDep
	switch d := v.(type) {
	case []any:
		for _, e := range d {
			switch e := e.(type) {
			case string: // Cargo
				f := strings.Fields(e)
				if len(f) == 0 {
					continue
				}
				dep := tomlDep{name: f[0]}
				if len(f) > 1 {
					dep.version = f[1]
				}
				out = append(out, dep)
			case map[string]any: // uv
				n, _ := e["name"].(string)
				ver, _ := e["version"].(string)
				if n != "" {
					out = append(out, tomlDep{name: n, version: ver})
				}
			}
		}
	case map[string]any: // poetry
		for n := range d {
			out = append(out, tomlDep{name: n})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	}
	return out
}

// tomlDepth returns how deeply arrays and inline tables nest in a TOML document, skipping
// strings (basic, literal and multi-line) and comments. Table headers ("[a]", "[[a]]") are
// not nesting and are skipped.
func tomlDepth(b []byte) int {
	depth, most := 0, 0
	lineStart := true
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\n':
			lineStart = true
			continue
		case c == ' ' || c == '\t' || c == '\r':
			continue
		case c == '#':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			i--
			continue
		case c == '"' || c == '\'':
			i = skipTOMLString(b, i)
		case c == '[' && lineStart && depth == 0: // a table header
			for i < len(b) && b[i] != '\n' && b[i] != ']' {
				i++
			}
			for i+1 < len(b) && b[i+1] == ']' {
				i++
			}
		case c == '[' || c == '{':
			depth++
			most = max(most, depth)
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
		}
		lineStart = false
	}
	return most
}

// skipTOMLString returns the index of the last byte of the string starting at b[i].
func skipTOMLString(b []byte, i int) int {
	q := b[i]
	if i+2 < len(b) && b[i+1] == q && b[i+2] == q { // multi-line
		for j := i + 3; j+2 < len(b); j++ {
			if q == '"' && b[j] == '\\' {
				j++
				continue
			}
			if b[j] == q && b[j+1] == q && b[j+2] == q {
				return j + 2
			}
		}
		return len(b) - 1
	}
	for j := i + 1; j < len(b); j++ {
		switch {
		case q == '"' && b[j] == '\\':
			j++
		case b[j] == q, b[j] == '\n':
			return j
		}
	}
	return len(b) - 1
}

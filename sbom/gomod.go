package sbom

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// catalogGoMod catalogs a go.mod: the main module (no version: a checkout has none) and the
// modules it requires, replacements applied, each with its h1 sum from the go.sum beside it
// (sum, nil when there is none). It returns the main module's key.
func (t *tree) catalogGoMod(f namedData, sum []byte) []string {
	loc := t.loc + f.name
	mf, err := modfile.Parse(f.name, f.data, nil)
	if err != nil {
		t.s.inv.fail(fmt.Errorf("reading %s: %w", t.s.inv.whereLoc(loc), err))
		return nil
	}
	if len(mf.Require) > t.s.cfg.maxPackages {
		t.s.inv.fail(&LimitError{Limit: LimitPackages, Max: int64(t.s.cfg.maxPackages), Where: t.s.inv.whereLoc(loc),
			Detail: fmt.Sprintf("requires %d modules, more than %d", len(mf.Require), t.s.cfg.maxPackages)})
		return nil
	}
	if mf.Module == nil || module.CheckImportPath(mf.Module.Mod.Path) != nil {
		return nil // a go.mod without a valid module path declares nothing a purl can name
	}
	modPath := mf.Module.Mod.Path
	main := &pkg{name: modPath, purl: goPurl(modPath, ""), typ: typeApplication, ecosystem: "golang",
		supplier: goSupplier(modPath), locations: []string{loc}}
	if mf.Go != nil {
		main.setProp("signet:go:go-directive", mf.Go.Version)
	}
	mainKey := t.s.inv.add(main)
	replace := map[string]module.Version{} // "path" or "path@version" → replacement
	for _, r := range mf.Replace {
		k := r.Old.Path
		if r.Old.Version != "" {
			k += "@" + r.Old.Version
		}
		replace[k] = r.New
	}
	want := map[string]*pkg{}
	for _, r := range mf.Require {
		m := r.Mod
		if module.Check(m.Path, m.Version) != nil {
			continue // not a module path and version: names nothing
		}
		p := &pkg{name: m.Path, version: m.Version, typ: typeLibrary, ecosystem: "golang",
			supplier: goSupplier(m.Path), locations: []string{loc}}
		if r.Indirect {
			p.setProp("signet:go:indirect", "true")
		}
		nv, ok := replace[m.Path+"@"+m.Version]
		if !ok {
			nv, ok = replace[m.Path]
		}
		switch {
		case ok && nv.Version == "": // a local directory: no version
			p.version = ""
			p.setProp("signet:go:replaced-by", nv.Path)
		case ok && module.Check(nv.Path, nv.Version) == nil:
			p.name, p.version, p.supplier = nv.Path, nv.Version, goSupplier(nv.Path)
			p.setProp("signet:go:replaces", m.Path+"@"+m.Version)
		}
		p.purl = goPurl(p.name, p.version)
		want[p.name+" "+p.version] = p
	}
	goSums(sum, want)
	for _, p := range sortedPkgs(want) {
		t.s.inv.link(mainKey, t.s.inv.add(p), relDependsOn)
	}
	return []string{mainKey}
}

// goSums sets the h1 sum of each wanted module from go.sum lines "PATH VERSION h1:HASH"
// (the "/go.mod" lines hash only the module's go.mod and are skipped).
func goSums(sum []byte, want map[string]*pkg) {
	sc := bufio.NewScanner(bytes.NewReader(sum))
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || !strings.HasPrefix(f[2], "h1:") {
			continue
		}
		if p, ok := want[f[0]+" "+f[1]]; ok {
			p.setProp("signet:go:h1", f[2])
		}
	}
}

// sortedPkgs returns the packages of m ordered by key.
func sortedPkgs(m map[string]*pkg) []*pkg {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*pkg, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

package sbom

import (
	"fmt"
	"sort"
	"strings"
)

// compType is what a package is, in CycloneDX's component-type words.
type compType string

const (
	typeLibrary     compType = "library"
	typeApplication compType = "application"
	typeOS          compType = "operating-system"
	typeContainer   compType = "container"
	typeFile        compType = "file"
)

// party is a supplier: a person or an organization.
type party struct {
	kind  string // "Person" or "Organization"
	name  string
	email string
}

// pkg is one package found in the artifact, identified by its purl.
type pkg struct {
	name        string
	version     string
	purl        string
	typ         compType
	ecosystem   string // "golang", "deb", "npm" …: used to build readable ids
	supplier    *party
	license     string // a valid SPDX license expression, or ""
	licenseText string // the declared license when it is not an SPDX expression
	homepage    string
	description string
	locations   []string
	locSet      map[string]bool   // the locations, once there are many (keeps addLocation constant-time)
	hashes      map[string]string // algorithm ("SHA-256", "SHA-1") → lower-case hex
	props       map[string]string
}

// key identifies a package for de-duplication.
func (p *pkg) key() string { return p.purl }

func (p *pkg) addLocation(loc string) {
	if loc == "" {
		return
	}
	if p.locSet == nil && len(p.locations) >= 8 {
		p.locSet = make(map[string]bool, 2*len(p.locations))
		for _, l := range p.locations {
			p.locSet[l] = true
		}
	}
	if p.locSet != nil {
		if !p.locSet[loc] {
			p.locSet[loc] = true
			p.locations = append(p.locations, loc)
		}
		return
	}
	for _, l := range p.locations {
		if l == loc {
			return
		}
	}
	p.locations = append(p.locations, loc)
}

func (p *pkg) setProp(name, value string) {
	if value == "" {
		return
	}
	if p.props == nil {
		p.props = map[string]string{}
	}
	p.props[name] = value
}

// relKind is how two packages relate.
type relKind string

const (
	relContains  relKind = "CONTAINS"
	relDependsOn relKind = "DEPENDS_ON"
)

type edge struct {
	from, to string
	kind     relKind
}

// fileEntry is a regular file inside the artifact with its digests (only with file digests on).
type fileEntry struct {
	path   string
	sha1   string
	sha256 string
}

// inventory is everything found in one subject.
type inventory struct {
	primary *pkg
	pkgs    map[string]*pkg
	edges   map[edge]bool
	files   []fileEntry

	subject      string // the subject's name, first in every message
	limits       fieldLimits
	maxPackages  int
	maxRelations int
	// size is a running low estimate of the document's size; once it passes maxOutput the
	// catalog stops growing (so memory stays in proportion to the output limit).
	size      int64
	maxOutput int64
	// err is the first limit breached while cataloging (sticky, like bufio.Scanner's): once
	// it is set, add and link do nothing and the walk stops at its next member.
	err error
}

func newInventory(primary *pkg, subject string, cfg *config) *inventory {
	inv := &inventory{primary: primary, pkgs: map[string]*pkg{}, edges: map[edge]bool{}, subject: subject,
		limits:      fieldLimits{maxField: cfg.maxField, maxText: cfg.maxText, truncate: cfg.truncate},
		maxPackages: cfg.maxPackages, maxRelations: cfg.maxRelations, maxOutput: cfg.maxOutput}
	inv.pkgs[primary.key()] = primary
	return inv
}

// fail records the first error; later ones are consequences of it.
func (inv *inventory) fail(err error) {
	if inv.err == nil {
		inv.err = err
	}
}

// add records p, merging it into an earlier package with the same purl; it returns the key,
// or "" once a limit is breached (p's own fields, or the number of packages).
func (inv *inventory) add(p *pkg) string {
	if inv.err != nil || p.name == "" { // a package without a name has no valid purl
		return ""
	}
	truncated := inv.limits.truncated
	if err := inv.admit(p); err != nil {
		inv.fail(err)
		return ""
	}
	k := p.key()
	old, ok := inv.pkgs[k]
	if !ok {
		if len(inv.pkgs) >= inv.maxPackages+1 { // the primary package is not counted
			inv.fail(&LimitError{Limit: LimitPackages, Max: int64(inv.maxPackages), Where: inv.where(p),
				Detail: fmt.Sprintf("more than %d packages", inv.maxPackages)})
			return ""
		}
		inv.pkgs[k] = p
		inv.grow(pkgSize(p))
		return k
	}
	inv.limits.truncated = truncated // the same package again: its fields were counted once
	had := len(old.locations)
	for _, l := range p.locations {
		old.addLocation(l)
	}
	for _, l := range old.locations[had:] {
		inv.grow(int64(len(l)))
	}
	if old.supplier == nil {
		old.supplier = p.supplier
	}
	if old.license == "" && old.licenseText == "" {
		old.license, old.licenseText = p.license, p.licenseText
	}
	for n, v := range p.props {
		if _, ok := old.props[n]; !ok {
			old.setProp(n, v)
		}
	}
	return k
}

func (inv *inventory) link(from, to string, kind relKind) {
	if from == "" || to == "" || from == to || inv.err != nil {
		return
	}
	e := edge{from: from, to: to, kind: kind}
	if inv.edges[e] {
		return
	}
	if len(inv.edges) >= inv.maxRelations {
		inv.fail(&LimitError{Limit: LimitRelations, Max: int64(inv.maxRelations), Where: inv.where(inv.pkgs[from]),
			Detail: fmt.Sprintf("more than %d relationships", inv.maxRelations)})
		return
	}
	inv.edges[e] = true
	inv.grow(int64(len(to) + 8))
}

// grow adds n bytes to the running estimate of the document's size.
func (inv *inventory) grow(n int64) {
	inv.size += n
	if err := inv.checkOutput(inv.size, true, inv.maxOutput); err != nil {
		inv.fail(err)
	}
}

// sorted returns the packages other than the primary, ordered by purl.
func (inv *inventory) sorted() []*pkg {
	out := make([]*pkg, 0, len(inv.pkgs))
	for _, p := range inv.pkgs {
		if p != inv.primary {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].purl < out[j].purl })
	return out
}

// sortedEdges returns the relationships in a stable order.
func (inv *inventory) sortedEdges() []edge {
	out := make([]edge, 0, len(inv.edges))
	for e := range inv.edges {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.from != b.from {
			return a.from < b.from
		}
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		return a.to < b.to
	})
	return out
}

// finish makes the graph complete: every package that nothing contains or depends on is
// contained by the primary, so each one is reachable from the artifact.
func (inv *inventory) finish() {
	reached := map[string]bool{}
	for e := range inv.edges {
		reached[e.to] = true
	}
	for k, p := range inv.pkgs {
		if p != inv.primary && !reached[k] {
			inv.link(inv.primary.key(), k, relContains)
		}
	}
	sort.Slice(inv.files, func(i, j int) bool { return inv.files[i].path < inv.files[j].path })
	for _, p := range inv.pkgs {
		sort.Strings(p.locations)
	}
}

// sortedProps returns p's properties ordered by name.
func sortedProps(props map[string]string) [][2]string {
	out := make([][2]string, 0, len(props))
	for n, v := range props {
		out = append(out, [2]string{n, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// idSafe turns s into characters allowed in an SPDX identifier.
func idSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

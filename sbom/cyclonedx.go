package sbom

import (
	"bytes"
	"sort"
	"strconv"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/signet-ci/signet/core"
)

var cdxHash = map[string]cdx.HashAlgorithm{
	"SHA-1": cdx.HashAlgoSHA1, "SHA-256": cdx.HashAlgoSHA256, "SHA-512": cdx.HashAlgoSHA512,
}

// encodeCycloneDX writes inv as a CycloneDX 1.6 JSON BOM.
func encodeCycloneDX(inv *inventory, cfg *config, s core.Subject) ([]byte, error) {
	created := cfg.now().UTC().Format(time.RFC3339)
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + docIdentity(cfg, s, inv, created, FormatCycloneDX).String()
	bom.Version = 1
	primary := cdxComponent(inv.primary)
	bom.Metadata = &cdx.Metadata{
		Timestamp: created,
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "signet", Version: cfg.toolVersion,
			Supplier: &cdx.OrganizationalEntity{Name: "signet-ci"}}}},
		Component: &primary,
	}
	if n := inv.limits.truncated; n > 0 {
		bom.Metadata.Properties = &[]cdx.Property{{Name: "signet:truncated-fields", Value: strconv.Itoa(n)},
			{Name: "signet:truncation-note", Value: truncatedNote(n)}}
	}
	var comps []cdx.Component
	for _, p := range inv.sorted() {
		comps = append(comps, cdxComponent(p))
	}
	for _, f := range inv.files {
		comps = append(comps, cdx.Component{Type: cdx.ComponentTypeFile, BOMRef: fileRef(f.path), Name: f.path,
			Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA1, Value: f.sha1}, {Algorithm: cdx.HashAlgoSHA256, Value: f.sha256}}})
	}
	if len(comps) > 0 {
		bom.Components = &comps
	}
	deps := cdxDependencies(inv)
	bom.Dependencies = &deps
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON).SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fileRef(p string) string { return "file:" + p }

func cdxComponent(p *pkg) cdx.Component {
	c := cdx.Component{
		BOMRef: p.purl, Type: cdx.ComponentType(p.typ), Name: p.name, Version: p.version,
		PackageURL: p.purl, Description: p.description, Supplier: cdxSupplier(p.supplier),
	}
	if g := p.props["signet:maven:groupId"]; g != "" {
		c.Group = g
	}
	if p.license != "" {
		c.Licenses = &cdx.Licenses{{Expression: p.license}}
	} else if p.licenseText != "" {
		c.Licenses = &cdx.Licenses{{License: &cdx.License{Name: p.licenseText}}}
	}
	if u := webURL(p.homepage); u != "" {
		c.ExternalReferences = &[]cdx.ExternalReference{{Type: cdx.ERTypeWebsite, URL: u}}
	}
	if hs := cdxHashes(p.hashes); len(hs) > 0 {
		c.Hashes = &hs
	}
	if props := sortedProps(p.props); len(props) > 0 {
		ps := make([]cdx.Property, 0, len(props))
		for _, kv := range props {
			ps = append(ps, cdx.Property{Name: kv[0], Value: kv[1]})
		}
		c.Properties = &ps
	}
	if len(p.locations) > 0 {
		occ := make([]cdx.EvidenceOccurrence, 0, len(p.locations))
		for _, l := range p.locations {
			occ = append(occ, cdx.EvidenceOccurrence{Location: l})
		}
		c.Evidence = &cdx.Evidence{Occurrences: &occ}
	}
	return c
}

func cdxHashes(h map[string]string) []cdx.Hash {
	algs := make([]string, 0, len(h))
	for a := range h {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	out := make([]cdx.Hash, 0, len(algs))
	for _, a := range algs {
		out = append(out, cdx.Hash{Algorithm: cdxHash[a], Value: h[a]})
	}
	return out
}

func cdxSupplier(p *party) *cdx.OrganizationalEntity {
	if p == nil || p.name == "" {
		return nil
	}
	e := &cdx.OrganizationalEntity{Name: p.name}
	if p.kind == "Person" {
		e.Contact = &[]cdx.OrganizationalContact{{Name: p.name, Email: validEmail(p.email)}}
	}
	return e
}

// cdxDependencies is the complete graph: one entry per component (files included), leaves
// with an empty dependsOn, containment and dependency edges both listed. Each edge costs a
// map lookup: a node with 100k edges is no slower per edge than one with ten.
func cdxDependencies(inv *inventory) []cdx.Dependency {
	out := make(map[string][]string, len(inv.pkgs)+len(inv.files))
	for k := range inv.pkgs {
		out[k] = nil
	}
	seen := make(map[[2]string]bool, len(inv.edges))
	for e := range inv.edges { // an edge may be both CONTAINS and DEPENDS_ON: list it once
		if pair := [2]string{e.from, e.to}; !seen[pair] {
			seen[pair] = true
			out[e.from] = append(out[e.from], e.to)
		}
	}
	for _, f := range inv.files {
		out[inv.primary.key()] = append(out[inv.primary.key()], fileRef(f.path))
		out[fileRef(f.path)] = nil
	}
	refs := make([]string, 0, len(out))
	for r := range out {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	deps := make([]cdx.Dependency, 0, len(refs))
	for _, r := range refs {
		on := out[r]
		sort.Strings(on)
		deps = append(deps, cdx.Dependency{Ref: r, Dependencies: &on})
	}
	return deps
}

package verify

import (
	"fmt"
	"io"
	"time"
)

// RenderInspectionsHTML writes what bundles claim as one self-contained HTML page, labelled
// as unverified throughout: it draws the claimed chains but links nowhere, since nothing in
// an unverified bundle may choose where a reader's click goes.
func RenderInspectionsHTML(w io.Writer, ins []*Inspection, o HTMLOptions) error {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	p := &page{Title: "signet inspect (NOT verified)", Unverified: true, Generated: now().UTC().Format(time.RFC3339),
		Version: escape(o.Version), Headline: fmt.Sprintf("NOT VERIFIED: what %d bundle(s) claim", len(ins))}
	order := []chain{}
	arts := map[chain][]graphArtifact{}
	for i, in := range ins {
		bv := &bundleView{ID: fmt.Sprintf("bundle-%d", i+1), Path: escape(in.Bundle), Artifacts: len(in.Subjects)}
		add := func(label, v string) {
			if v != "" {
				bv.Fields = append(bv.Fields, field{Label: label + " (claimed)", Value: escape(v), Code: true})
			}
		}
		add("Predicate type", in.PredicateType)
		if s := in.Signer; s != nil {
			add("Signer identity", s.Identity)
			add("OIDC issuer", s.Issuer)
			add("Source", source(s.SourceRepository, s.SourceRef, s.SourceDigest))
			add("Workflow", s.SignerWorkflow)
			add("Run", s.RunInvocation)
			add("Certificate valid", in.NotBefore+" to "+in.NotAfter)
		} else {
			add("Key hint", in.KeyHint)
		}
		if f := in.Provenance; f != nil {
			add("Builder id", f.BuilderID)
			add("Build type", f.BuildType)
			add("From", f.Describe())
		}
		for _, t := range in.SignedTimes {
			add("RFC 3161 time", t.Format(time.RFC3339))
		}
		for _, e := range in.LogEntries {
			add("Log entry", fmt.Sprintf("index %d, log id %s, integrated %s", e.Index, e.LogID, e.IntegratedTime.Format(time.RFC3339)))
		}
		if s := in.SBOM; s != nil {
			add("SBOM", fmt.Sprintf("%s, %d package(s)", s.Format, s.Packages))
		}
		p.Bundles = append(p.Bundles, bv)
		c := chainOf(in.Signer, in.Provenance, false)
		c.Claimed = true
		if _, ok := arts[c]; !ok {
			order = append(order, c)
		}
		for _, s := range in.Subjects {
			d := digestString(s)
			arts[c] = append(arts[c], graphArtifact{Name: escape(s.Name), Digest: escape(d)})
			p.Artifacts = append(p.Artifacts, artifactRow{Name: escape(s.Name), Digest: escape(d), Bundle: bv.Path,
				BundleID: bv.ID, Verdict: "NOT VERIFIED", Class: "unverified"})
		}
	}
	p.Summary.Total = len(p.Artifacts)
	p.ArtifactsOpen = len(p.Artifacts) <= artifactsOpenMax
	p.BundlesOpen = len(p.Bundles) <= bundlesOpenMax
	p.Graph = buildGraph(order, arts)
	return writePage(w, p)
}

package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/signet-ci/signet/core"
)

// Inspection is what one bundle says, in human terms. Nothing in it is verified.
type Inspection struct {
	Bundle        string         `json:"bundle"`
	PredicateType string         `json:"predicateType"`
	Subjects      []core.Subject `json:"subjects"`
	// MessageDigest is ALG:HEX for a message-signature bundle, which signs that digest and
	// carries no statement (no predicate type, subjects or provenance).
	MessageDigest string `json:"messageDigest,omitempty"`
	// Signer is read from the certificate; KeyHint is set for key-signed bundles instead.
	Signer    *Signer `json:"signer,omitempty"`
	KeyHint   string  `json:"keyHint,omitempty"`
	NotBefore string  `json:"certificateNotBefore,omitempty"`
	NotAfter  string  `json:"certificateNotAfter,omitempty"`
	// SignedTimes are the RFC 3161 timestamps' times.
	SignedTimes []time.Time     `json:"signedTimes,omitempty"`
	LogEntries  []TlogEntryInfo `json:"logEntries,omitempty"`
	Provenance  *Facts          `json:"provenance,omitempty"`
	SBOM        *SBOMSummary    `json:"sbom,omitempty"`
}

// SBOMSummary counts what an SBOM predicate lists.
type SBOMSummary struct {
	Format   string `json:"format"`
	Packages int    `json:"packages"`
}

// Inspect reads a bundle, or every bundle an index lists, and says what each claims.
func Inspect(path string) ([]*Inspection, error) {
	b, err := ReadBundleFile(path)
	if err != nil {
		return nil, err
	}
	var probe struct {
		MediaType string `json:"mediaType"`
	}
	if json.Unmarshal(b, &probe) == nil && probe.MediaType == core.IndexMediaType {
		return inspectIndex(path)
	}
	ins, err := inspectBundle(path, b)
	if err != nil {
		return nil, err
	}
	return []*Inspection{ins}, nil
}

func inspectIndex(path string) ([]*Inspection, error) {
	ix, err := ReadIndex(path)
	if err != nil {
		return nil, err
	}
	var out []*Inspection
	for _, a := range ix.Attestations {
		p, err := confinedPath(filepath.Dir(path), a.Bundle)
		if err != nil {
			return nil, fmt.Errorf("index %q: bundle %q: %w", path, a.Bundle, err)
		}
		b, err := ReadBundleFile(p)
		if err != nil {
			return nil, err
		}
		ins, err := inspectBundle(p, b)
		if err != nil {
			return nil, err
		}
		out = append(out, ins)
	}
	return out, nil
}

func inspectBundle(path string, b []byte) (*Inspection, error) {
	info, err := ParseBundle(b)
	if err != nil {
		return nil, fmt.Errorf("bundle %q: %w", path, err)
	}
	ins := &Inspection{Bundle: path, PredicateType: info.PredicateType, Subjects: info.Subjects, LogEntries: info.TlogEntries}
	if md := info.MessageDigest; md != nil {
		ins.MessageDigest = md.String()
	}
	if info.Summary != nil {
		s := SignerOf(*info.Summary)
		ins.Signer = &s
	}
	if c := info.Certificate; c != nil {
		ins.NotBefore, ins.NotAfter = c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339)
	} else {
		ins.KeyHint = info.KeyHint
	}
	for _, raw := range info.SignedTimestamps {
		if ts, err := timestamp.ParseResponse(raw); err == nil {
			ins.SignedTimes = append(ins.SignedTimes, ts.Time.UTC())
		}
	}
	if info.PredicateType == core.ProvenancePredicateType {
		if f, err := ExtractFacts(info.Statement); err == nil {
			ins.Provenance = &f
		}
	}
	ins.SBOM = sbomSummary(info.PredicateType, info.Statement)
	return ins, nil
}

// sbomSummary counts the packages of SPDX and components of CycloneDX predicates.
func sbomSummary(predicateType string, statement []byte) *SBOMSummary {
	var st struct {
		Predicate struct {
			Packages   []json.RawMessage `json:"packages"`
			Components []component       `json:"components"`
		} `json:"predicate"`
	}
	switch {
	case strings.HasPrefix(predicateType, "https://spdx.dev/Document"):
		if json.Unmarshal(statement, &st) == nil {
			return &SBOMSummary{Format: "SPDX", Packages: len(st.Predicate.Packages)}
		}
	case strings.HasPrefix(predicateType, core.CycloneDXPredicateType):
		if json.Unmarshal(statement, &st) == nil {
			return &SBOMSummary{Format: "CycloneDX", Packages: countComponents(st.Predicate.Components)}
		}
	}
	return nil
}

type component struct {
	Components []component `json:"components"`
}

func countComponents(cs []component) int {
	n := len(cs)
	for _, c := range cs {
		n += countComponents(c.Components)
	}
	return n
}

// RenderInspections writes inspections as text (labelled lines) or JSON. Every value a bundle
// states (subject names, certificate and provenance claims) is escaped: nothing in it is
// verified, and a name must not drive the terminal or fake another line.
func RenderInspections(w io.Writer, ins []*Inspection, f Format) error {
	switch f {
	case FormatJSON:
		return renderJSON(w, ins)
	case FormatText:
	default:
		return fmt.Errorf("%w %q for inspect: expected text or json", ErrUnknownFormat, f)
	}
	var b strings.Builder
	for i, in := range ins {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, l := range inspectionLines(in) {
			fmt.Fprintf(&b, "%-10s %s\n", l[0], escape(l[1]))
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing the inspection: %w", err)
	}
	return nil
}

func inspectionLines(in *Inspection) [][2]string {
	out := [][2]string{{"bundle", in.Bundle + " (not verified: use signet verify to check it)"}, {"type", in.PredicateType}}
	if in.MessageDigest != "" {
		out[1] = [2]string{"type", "message signature: a signed artifact digest; it carries no provenance"}
		out = append(out, [2]string{"digest", in.MessageDigest})
	}
	if s := in.Signer; s != nil {
		out = append(out, [2]string{"signer", s.Identity}, [2]string{"issuer", s.Issuer})
		if src := source(s.SourceRepository, s.SourceRef, s.SourceDigest); src != "" {
			out = append(out, [2]string{"source", src})
		}
		if s.RunInvocation != "" {
			out = append(out, [2]string{"run", s.RunInvocation})
		}
		out = append(out, [2]string{"cert", "valid " + in.NotBefore + " to " + in.NotAfter})
	} else {
		out = append(out, [2]string{"key", in.KeyHint})
	}
	if p := in.Provenance; p != nil {
		out = append(out, [2]string{"builder", p.BuilderID}, [2]string{"build", p.BuildType})
		if d := p.Describe(); d != "" {
			out = append(out, [2]string{"from", d})
		}
	}
	for _, t := range in.SignedTimes {
		out = append(out, [2]string{"signed", t.Format(time.RFC3339) + " (RFC 3161 timestamp)"})
	}
	for _, e := range in.LogEntries {
		if e.IntegratedTime.IsZero() {
			out = append(out, [2]string{"log", fmt.Sprintf("entry %d, no integrated time (a Rekor v2 entry is dated by a signed timestamp)", e.Index)})
			continue
		}
		out = append(out, [2]string{"log", fmt.Sprintf("entry %d, integrated %s", e.Index, e.IntegratedTime.Format(time.RFC3339))})
	}
	if s := in.SBOM; s != nil {
		out = append(out, [2]string{"sbom", fmt.Sprintf("%s, %d package(s)", s.Format, s.Packages)})
	}
	if in.MessageDigest != "" {
		return out
	}
	out = append(out, [2]string{"subjects", fmt.Sprint(len(in.Subjects))})
	for _, s := range in.Subjects {
		out = append(out, [2]string{"", s.Name + " " + digestString(s)})
	}
	return out
}

// Describe says the predicate's source and run in one line, or "".
func (f Facts) Describe() string {
	s := source(f.SourceRepo, f.Ref, f.Commit)
	if f.InvocationID != "" {
		if s != "" {
			s += ", "
		}
		s += "run " + f.InvocationID
	}
	return s
}

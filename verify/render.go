package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/signet-ci/signet/core/sigstore"
)

// Format is a report format.
type Format string

// Report formats.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
)

// ErrUnknownFormat is returned for a format other than text, json or markdown.
var ErrUnknownFormat = errors.New("unknown report format")

// ParseFormat parses a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatText, FormatJSON, FormatMarkdown:
		return f, nil
	}
	return "", fmt.Errorf("%w %q: expected text, json or markdown", ErrUnknownFormat, s)
}

// Render writes r to w in format f.
func Render(w io.Writer, r *Report, f Format) error {
	var err error
	switch f {
	case FormatText:
		err = renderText(w, r)
	case FormatJSON:
		err = renderJSON(w, r)
	case FormatMarkdown:
		err = renderMarkdown(w, r)
	default:
		return fmt.Errorf("%w %q: expected text, json or markdown", ErrUnknownFormat, f)
	}
	if err != nil {
		return fmt.Errorf("writing the %s report: %w", f, err)
	}
	return nil
}

func renderJSON(w io.Writer, r any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// shortDigest abbreviates ALG:HEX to twelve hex digits.
func shortDigest(d string) string {
	alg, h, ok := strings.Cut(d, ":")
	if !ok || len(h) <= 12 {
		return d
	}
	return alg + ":" + h[:12]
}

func renderText(w io.Writer, r *Report) error {
	var b strings.Builder
	for _, a := range r.Artifacts {
		verdict := "PASS"
		if !a.Verified {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s %s\n", verdict, a.Name, a.Digest)
		for _, l := range detailLines(a) {
			fmt.Fprintf(&b, "  %-9s %s\n", l[0], l[1])
		}
	}
	fmt.Fprintf(&b, "\n%s\n", summaryLine(r))
	_, err := io.WriteString(w, b.String())
	return err
}

func summaryLine(r *Report) string {
	s := r.Summary
	if r.Verified {
		return fmt.Sprintf("verified: all %d artifact(s) passed (%s)", s.Total, r.PredicateType)
	}
	return fmt.Sprintf("NOT verified: %d of %d artifact(s) failed (%s)", s.Failed, s.Total, r.PredicateType)
}

// detailLines are the labelled lines under an artifact's verdict.
func detailLines(a *Result) [][2]string {
	var out [][2]string
	if a.Failure != nil {
		out = append(out, [2]string{"reason", a.Failure.Error()})
	}
	if s := a.Signer; s != nil && a.Verified {
		out = append(out, [2]string{"signer", s.Identity}, [2]string{"issuer", s.Issuer})
		if src := source(s.SourceRepository, s.SourceRef, s.SourceDigest); src != "" {
			out = append(out, [2]string{"source", src})
		} else if p := a.Provenance; p != nil && p.Describe() != "" {
			out = append(out, [2]string{"source", p.Describe() + " (signed provenance)"})
		}
		if s.RunInvocation != "" {
			out = append(out, [2]string{"run", s.RunInvocation})
		}
	}
	if a.Verified {
		out = append(out, [2]string{"signed", signedLine(a)})
	}
	if a.Bundle != "" {
		out = append(out, [2]string{"bundle", a.Bundle})
	}
	for _, rj := range a.Rejected {
		out = append(out, [2]string{"also", rj.Bundle + ": " + rj.Failure.Error()})
	}
	return out
}

func source(repo, ref, commit string) string {
	if repo == "" {
		return ""
	}
	s := repo
	if ref != "" {
		s += " @ " + ref
	}
	if commit != "" {
		s += " (" + commit + ")"
	}
	return s
}

func signedLine(a *Result) string {
	var parts []string
	for _, ts := range a.Timestamps {
		what := "RFC 3161 timestamp"
		if ts.Kind == sigstore.TransparencyLog {
			what = "log integrated time"
		}
		parts = append(parts, ts.Time.UTC().Format(time.RFC3339)+" ("+what+")")
	}
	for _, le := range a.LogEntries {
		parts = append(parts, fmt.Sprintf("log entry %d", le.Index))
	}
	if len(parts) == 0 {
		return "no verified time"
	}
	return strings.Join(parts, ", ")
}

func renderMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	icon := "✅"
	if !r.Verified {
		icon = "❌"
	}
	fmt.Fprintf(&b, "### %s signet verify: %d of %d artifact(s) verified\n\n", icon, r.Summary.Verified, r.Summary.Total)
	fmt.Fprintf(&b, "Predicate type `%s`. %s\n\n", r.PredicateType, policyLine(r.Policy))
	b.WriteString("| Verdict | Artifact | Digest | Signer | Source | Signed at | Details |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, a := range r.Artifacts {
		b.WriteString(markdownRow(a))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func markdownRow(a *Result) string {
	verdict, signer, src, at, details := "✅ pass", "", "", "", code(a.Bundle)
	if !a.Verified {
		verdict = "❌ fail"
		details = cell(a.Failure.Error())
	}
	if a.Signer != nil && a.Verified {
		signer = code(a.Signer.Identity)
		src = code(source(a.Signer.SourceRepository, a.Signer.SourceRef, shortCommit(a.Signer.SourceDigest)))
	}
	if t := a.SignedAt(); !t.IsZero() && a.Verified {
		at = t.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |\n",
		verdict, code(a.Name), code(shortDigest(a.Digest)), signer, src, at, details)
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// policyLine describes the identity policy in one sentence.
func policyLine(p Policy) string {
	id := p.Identity
	var parts []string
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+" "+code(v))
		}
	}
	add("issuer", id.Issuer)
	add("issuer matching", id.IssuerRegexp)
	add("identity", id.Subject)
	add("identity matching", id.SubjectRegexp)
	add("source repository", id.SourceRepository)
	add("source ref", id.SourceRef)
	add("source digest", id.SourceDigest)
	add("signer workflow", id.SignerWorkflow)
	add("runner environment", id.RunnerEnvironment)
	add("trigger", id.Trigger)
	add("builder id", p.Provenance.BuilderID)
	add("build type", p.Provenance.BuildType)
	if len(parts) == 0 {
		return ""
	}
	s := "Policy: " + strings.Join(parts, ", ")
	if p.RequireTlog {
		s += "; a transparency-log entry is required"
	}
	return s + "."
}

// code renders s as Markdown inline code, safe inside a table cell.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.NewReplacer("`", "'", "|", "\\|", "\n", " ").Replace(s) + "`"
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

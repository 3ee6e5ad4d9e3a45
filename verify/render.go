package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

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
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return err
	}
	_, err := w.Write(escapeJSON(buf.Bytes()))
	return err
}

// escape makes s safe to print in a terminal line or a Markdown cell: every rune that is not
// printable — C0 and C1 controls (ESC, newline, CR, CSI), DEL, line and paragraph separators,
// bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) and other format
// characters, spaces other than ' ' — and every byte that is not UTF-8 is written as a Go
// escape (\x1b, \n, \u202e, \xff). A name can then neither drive the terminal, reorder the
// text around it, nor break a line of the report or a row of a table.
func escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || unsafeRune(r) {
			return true
		}
		i += n
	}
	return false
}

// unsafeRune reports whether r must not be printed as it is.
func unsafeRune(r rune) bool { return !strconv.IsPrint(r) }

// escapeJSON writes the runes encoding/json leaves raw but a terminal acts on — DEL, C1
// controls, bidirectional and other format characters — as \uXXXX escapes. They only occur
// inside JSON strings (the rest of the document is ASCII), so the document means the same.
func escapeJSON(b []byte) []byte {
	if utf8.Valid(b) && !bytes.ContainsFunc(b, jsonUnsafe) {
		return b
	}
	out := make([]byte, 0, len(b)+64)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if !jsonUnsafe(r) {
			out = append(out, b[i:i+n]...)
			i += n
			continue
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += n
	}
	return out
}

// jsonUnsafe reports whether encoding/json leaves r raw although a terminal may act on it
// (it escapes C0 controls, U+2028 and U+2029 itself).
func jsonUnsafe(r rune) bool {
	return r >= 0x7f && r != utf8.RuneError && unsafeRune(r)
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
		fmt.Fprintf(&b, "%s %s %s\n", verdict, escape(a.Name), escape(a.Digest))
		for _, l := range detailLines(a) {
			fmt.Fprintf(&b, "  %-9s %s\n", l[0], escape(l[1]))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", summaryLine(r))
	_, err := io.WriteString(w, b.String())
	return err
}

func summaryLine(r *Report) string {
	s := r.Summary
	what := escape(r.PredicateType)
	if n := messageSigned(r); n > 0 {
		what += fmt.Sprintf("; %d by a message signature, which carries no provenance", n)
	}
	if r.Verified {
		return fmt.Sprintf("verified: all %d artifact(s) passed (%s)", s.Total, what)
	}
	return fmt.Sprintf("NOT verified: %d of %d artifact(s) failed (%s)", s.Failed, s.Total, what)
}

// messageSigned counts the artifacts a message signature verified.
func messageSigned(r *Report) int {
	n := 0
	for _, a := range r.Artifacts {
		if a.Verified && a.Kind == KindMessageSignature {
			n++
		}
	}
	return n
}

// noProvenance is what reports say of an artifact a message signature verified.
const noProvenance = "message signature: its digest and signer are verified; it carries no provenance"

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
			out = append(out, [2]string{"source", p.Describe() + " (the signer's own claim in its provenance: the certificate binds no source)"})
		}
		if s.RunInvocation != "" {
			out = append(out, [2]string{"run", s.RunInvocation})
		}
	}
	if a.Verified {
		out = append(out, [2]string{"signed", signedLine(a)})
	}
	if a.Verified && a.Kind == KindMessageSignature {
		out = append(out, [2]string{"kind", noProvenance})
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
	fmt.Fprintf(&b, "Predicate type %s. %s\n\n", code(r.PredicateType), policyLine(r.Policy))
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
	} else if a.Kind == KindMessageSignature {
		details += " " + cell("("+noProvenance+")")
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

// code renders s as Markdown inline code, safe inside a table cell: control and format
// characters escaped, so the cell stays on its row.
func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + strings.NewReplacer("`", "'", "|", "\\|").Replace(escape(s)) + "`"
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;").Replace(escape(s))
}

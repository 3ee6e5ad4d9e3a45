package sbom

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	packageurl "github.com/package-url/packageurl-go"
)

// fieldLimits holds the per-field limits of one scan and counts what it truncated.
type fieldLimits struct {
	maxField, maxText int
	truncate          bool
	truncated         int
}

// truncationMark ends a truncated value; the hash of the whole value keeps two long values
// that share a prefix distinct.
func truncationMark(s string) string { return "…(truncated sha256:" + shortHash(s) + ")" }

// truncate cuts s to at most max bytes (at a UTF-8 boundary) including its truncation mark.
func truncate(s string, max int) string {
	mark := truncationMark(s)
	cut := max - len(mark)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// check applies limit max (named limit) to field *v of the package found at where: a value
// over it is truncated when truncation is on, else refused.
func (f *fieldLimits) check(v *string, field, limit string, max int, where string) error {
	if len(*v) <= max {
		return nil
	}
	if !f.truncate {
		return &LimitError{Limit: limit, Max: int64(max), Where: where,
			Detail: fmt.Sprintf("%s is %d bytes, over the %d-byte limit", field, len(*v), max)}
	}
	*v = truncate(*v, max)
	f.truncated++
	return nil
}

// fieldCheck is one field of a package to check: text fields have the text limit.
type fieldCheck struct {
	v     *string
	field string
	text  bool
}

// admit checks every field of p against the field and text limits, truncating fields when
// asked (the purl is then rebuilt from truncated parts, so it still parses, and a license
// expression cut short, no longer an expression, becomes license text).
func (inv *inventory) admit(p *pkg) error {
	f := &inv.limits
	where := inv.where(p)
	if f.truncate && len(p.license) > f.maxText && p.licenseText == "" {
		p.license, p.licenseText = "", p.license
	}
	checks := []fieldCheck{
		{&p.name, "package name", false}, {&p.version, "package version", false}, {&p.homepage, "homepage", false},
		{&p.description, "description", true}, {&p.license, "license expression", true}, {&p.licenseText, "license text", true},
	}
	if p.supplier != nil {
		s := *p.supplier // suppliers may be shared between packages: check a copy
		p.supplier = &s
		checks = append(checks, fieldCheck{&s.name, "supplier name", false}, fieldCheck{&s.email, "supplier email", false})
	}
	for _, c := range checks {
		limit, max := LimitFieldBytes, f.maxField
		if c.text {
			limit, max = LimitTextBytes, f.maxText
		}
		if err := f.check(c.v, c.field, limit, max, where); err != nil {
			return err
		}
	}
	for i := range p.locations {
		if err := f.check(&p.locations[i], "location", LimitTextBytes, f.maxText, where); err != nil {
			return err
		}
	}
	for n, v := range p.props {
		if err := f.check(&v, "property "+n, LimitFieldBytes, f.maxField, where); err != nil {
			return err
		}
		p.props[n] = v
	}
	for a, h := range p.hashes {
		if len(h) > 128 { // hex SHA-512; a longer "digest" is not one
			delete(p.hashes, a)
		}
	}
	return inv.admitPurl(p, where)
}

// admitPurl bounds the purl; with truncation on, an oversized one is rebuilt from parts cut
// ever shorter until it fits.
func (inv *inventory) admitPurl(p *pkg, where string) error {
	f := &inv.limits
	if len(p.purl) <= f.maxField {
		return nil
	}
	if !f.truncate {
		return &LimitError{Limit: LimitFieldBytes, Max: int64(f.maxField), Where: where,
			Detail: fmt.Sprintf("package URL is %d bytes, over the %d-byte limit", len(p.purl), f.maxField)}
	}
	u, err := packageurl.FromString(p.purl)
	if err != nil {
		return fmt.Errorf("%s: package URL %.64q…: %w", where, p.purl, err)
	}
	for part := f.maxField / 4; part >= 64; part /= 2 {
		c := u
		c.Qualifiers = append(packageurl.Qualifiers(nil), u.Qualifiers...)
		for _, v := range []*string{&c.Namespace, &c.Name, &c.Version, &c.Subpath} {
			if len(*v) > part {
				*v = truncate(*v, part)
			}
		}
		for i := range c.Qualifiers {
			if len(c.Qualifiers[i].Value) > part {
				c.Qualifiers[i].Value = truncate(c.Qualifiers[i].Value, part)
			}
		}
		if s := c.ToString(); len(s) <= f.maxField {
			p.purl = s
			f.truncated++
			return nil
		}
	}
	return &LimitError{Limit: LimitFieldBytes, Max: int64(f.maxField), Where: where,
		Detail: fmt.Sprintf("package URL is %d bytes and does not fit even with its parts truncated", len(p.purl))}
}

// truncatedNote is what a document says about the fields truncated to fit their limits.
func truncatedNote(n int) string {
	return fmt.Sprintf("signet truncated %d field(s) over their size limits; each ends with \"…(truncated sha256:HASH)\", HASH the first 12 hex digits of the whole value's SHA-256", n)
}

// fileStem is the base name of the file at location loc (an archive member chain) without
// extension ext, or "unnamed" when nothing is left.
func fileStem(loc, ext string) string {
	if i := strings.LastIndex(loc, "!/"); i >= 0 {
		loc = loc[i+2:]
	}
	if s := strings.TrimSuffix(path.Base(loc), ext); s != "" && s != "." && s != "/" {
		return s
	}
	return "unnamed"
}

// where names the file a package was found in: the subject, then the archive members.
func (inv *inventory) where(p *pkg) string {
	if p == nil || len(p.locations) == 0 {
		return inv.subject
	}
	return inv.whereLoc(p.locations[0])
}

func (inv *inventory) whereLoc(loc string) string {
	if loc == "" || loc == inv.subject || loc == path.Base(inv.subject) && !strings.Contains(loc, "/") {
		return inv.subject
	}
	if len(loc) > 512 {
		loc = loc[:512] + "…"
	}
	return inv.subject + "!/" + loc
}

// estimateSize is a low estimate of the size of inv's document in format: the bytes of its
// values plus a little JSON around each (the fuzz targets check it never exceeds the
// document). A document estimated over the output limit is refused before it is built in
// memory.
func estimateSize(inv *inventory, format string) int64 {
	var n int64
	for _, p := range inv.pkgs {
		n += pkgSize(p)
		for _, l := range p.locations[min(1, len(p.locations)):] {
			n += int64(len(l))
		}
	}
	perEdge := int64(80) // an SPDX relationship object
	for e := range inv.edges {
		if format == FormatCycloneDX {
			perEdge = int64(len(e.to) + 8) // one quoted ref in a dependsOn list
		}
		n += perEdge
	}
	for _, f := range inv.files {
		n += int64(len(f.path) + len(f.sha1) + len(f.sha256) + 100)
	}
	return n
}

// pkgSize is a low estimate of the bytes a package takes in either format: each value it
// counts appears at least once, escaped, in both (a homepage or email that is not valid is
// left out of the documents, so neither is counted), and both spend more than 150 bytes of
// JSON on any package. Only its first location is counted; more are counted as they are added.
func pkgSize(p *pkg) int64 {
	n := int64(len(p.name) + len(p.version) + len(p.purl) + len(p.description) + len(p.license) +
		len(p.licenseText) + 150)
	if p.supplier != nil {
		n += int64(len(p.supplier.name))
	}
	if len(p.locations) > 0 {
		n += int64(len(p.locations[0]))
	}
	for k, v := range p.props {
		n += int64(len(k) + len(v))
	}
	for _, h := range p.hashes {
		n += int64(len(h))
	}
	return n
}

// signedSize bounds the size doc takes inside a signed in-toto statement, which core
// re-encodes with encoding/json: compact (never larger), but with "<", ">" and "&" escaped
// as six-byte \u sequences and U+2028 and U+2029 as six bytes instead of three. A document
// full of "<" would otherwise pass the limit here and make a bundle six times larger.
func signedSize(doc []byte) int64 {
	n := int64(len(doc)) + 5*int64(bytes.Count(doc, []byte("<"))+bytes.Count(doc, []byte(">"))+bytes.Count(doc, []byte("&")))
	return n + 3*int64(bytes.Count(doc, []byte("\u2028"))+bytes.Count(doc, []byte("\u2029")))
}

// checkWritten refuses a written document whose size, as written or as it will be signed,
// exceeds the output limit.
func (inv *inventory) checkWritten(doc []byte, max int64) error {
	if err := inv.checkOutput(int64(len(doc)), false, max); err != nil {
		return err
	}
	if n := signedSize(doc); n > max {
		return &LimitError{Limit: LimitOutputBytes, Max: max, Where: inv.subject,
			Detail: fmt.Sprintf("the document is %d bytes, %d once its \"<\", \">\" and \"&\" are escaped in the signed statement", len(doc), n)}
	}
	return nil
}

// checkOutput refuses a document estimated or found to exceed the output limit.
func (inv *inventory) checkOutput(size int64, estimated bool, max int64) error {
	if size <= max {
		return nil
	}
	detail := fmt.Sprintf("the document is %d bytes", size)
	if estimated {
		detail = fmt.Sprintf("the document would be at least %d bytes (%d packages, %d relationships)", size, len(inv.pkgs), len(inv.edges))
	}
	return &LimitError{Limit: LimitOutputBytes, Max: max, Where: inv.subject, Detail: detail}
}

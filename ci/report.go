package ci

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/signet-ci/signet/core"
)

// ProvenanceType is the SLSA provenance predicate type, the one gh attestation verify checks
// by default and the one a platform's "bundle" output names.
const ProvenanceType = "https://slsa.dev/provenance/v1"

// PublicRekorHost is the public-good Rekor, the only log whose entries have a search page
// (search.sigstore.dev).
const PublicRekorHost = "rekor.sigstore.dev"

// DigestString is the digest every report shows for a subject: sha256:HEX, else sha512:HEX,
// else the first algorithm in sorted order; "" for none.
func DigestString(d map[string]string) string {
	for _, alg := range []string{core.SHA256, core.SHA512} {
		if h := d[alg]; h != "" {
			return alg + ":" + h
		}
	}
	algs := make([]string, 0, len(d))
	for a := range d {
		algs = append(algs, a)
	}
	slices.Sort(algs)
	if len(algs) == 0 {
		return ""
	}
	return algs[0] + ":" + d[algs[0]]
}

// TlogText is the transparency-log sentence of a run: "used" or "not used", and the reason.
func TlogText(t core.TlogDecision) string {
	s := "not used"
	if t.Used {
		s = "used"
	}
	if t.Reason != "" {
		s += " (" + t.Reason + ")"
	}
	return s
}

// Proof is one piece of evidence a bundle carries: a log entry or a signed timestamp.
type Proof struct {
	// Text describes it: "log index 12" or "timestamped 2026-12-02T10:00:00Z".
	Text string
	// URL is the log entry's public search page; "" when there is none.
	URL string
}

// Proofs returns a bundle's log entry, then its signed timestamps.
func Proofs(a core.IndexAttestation) []Proof {
	var out []Proof
	if e := a.LogEntry; e != nil {
		out = append(out, Proof{Text: fmt.Sprintf("log index %d", e.Index), URL: LogSearchURL(e)})
	}
	for _, t := range a.Timestamps {
		out = append(out, Proof{Text: "timestamped " + t.UTC().Format(time.RFC3339)})
	}
	return out
}

// LogSearchURL links a log entry on search.sigstore.dev when it is in the public-good Rekor;
// other logs have no known search page and get "".
func LogSearchURL(e *core.LogEntry) string {
	u, err := url.Parse(e.URL)
	if err != nil || u.Host != PublicRekorHost {
		return ""
	}
	return fmt.Sprintf("https://search.sigstore.dev/?logIndex=%d", e.Index)
}

// Rel returns p relative to the workspace with forward slashes, or p cleaned when it lies
// outside the workspace or the workspace is unknown.
func (o Outcome) Rel(p string) string {
	if o.Dir != "" && filepath.IsAbs(p) {
		if r, err := filepath.Rel(o.Dir, p); err == nil && filepath.IsLocal(r) {
			return filepath.ToSlash(r)
		}
	}
	return filepath.ToSlash(filepath.Clean(p))
}

// IndexPath is the index file, relative to the workspace.
func (o Outcome) IndexPath() string {
	return o.Rel(filepath.Join(o.OutputDir, core.IndexFile))
}

// BundlePath is a bundle named in the index, relative to the workspace.
func (o Outcome) BundlePath(name string) string {
	return o.Rel(filepath.Join(o.OutputDir, filepath.FromSlash(name)))
}

// ProvenanceBundle is the index name of the first bundle holding SLSA provenance, else of the
// first bundle; "" when the run wrote none. It is the bundle a platform's single "bundle"
// output names.
func (o Outcome) ProvenanceBundle() string {
	if o.Index == nil || len(o.Index.Attestations) == 0 {
		return ""
	}
	for _, a := range o.Index.Attestations {
		if a.PredicateType == ProvenanceType {
			return a.Bundle
		}
	}
	return o.Index.Attestations[0].Bundle
}

// BundleFor is the index name of the bundle holding the provenance of the subject name with
// digest, else of the first bundle naming it; "" when none does.
func (o Outcome) BundleFor(name string, digest map[string]string) string {
	bundles := o.Index.BundlesFor(name, digest)
	for _, a := range o.Index.Attestations {
		if a.PredicateType == ProvenanceType && slices.Contains(bundles, a.Bundle) {
			return a.Bundle
		}
	}
	if len(bundles) > 0 {
		return bundles[0]
	}
	return ""
}

// Artifact is a subject as a verifier names it on the command line.
type Artifact struct {
	// Arg is the file, relative to the workspace, or NAME@ALG:HEX for a subject that is not a
	// file of the workspace (an image, a file built elsewhere).
	Arg string
	// File reports whether Arg is a file of the workspace.
	File bool
	// Subject is the index entry.
	Subject core.IndexSubject
}

// Artifacts names every subject for a verify command, in index order.
func (o Outcome) Artifacts() []Artifact {
	out := make([]Artifact, 0, len(o.Index.Subjects))
	for _, s := range o.Index.Subjects {
		if o.isFile(s.Name) {
			out = append(out, Artifact{Arg: s.Name, File: true, Subject: s})
			continue
		}
		out = append(out, Artifact{Arg: s.Name + "@" + DigestString(s.Digest), Subject: s})
	}
	return out
}

// isFile reports whether name is a regular file inside the workspace.
func (o Outcome) isFile(name string) bool {
	if o.Dir == "" || !filepath.IsLocal(filepath.FromSlash(name)) {
		return false
	}
	fi, err := os.Lstat(filepath.Join(o.Dir, filepath.FromSlash(name)))
	return err == nil && fi.Mode().IsRegular()
}

// Example is the first file subject with a provenance bundle, for the gh and cosign commands
// (which verify one file against one bundle); ok is false when there is none.
func (o Outcome) Example() (file, bundle string, ok bool) {
	types := make(map[string]string, len(o.Index.Attestations))
	for _, a := range o.Index.Attestations {
		types[a.Bundle] = a.PredicateType
	}
	for _, art := range o.Artifacts() {
		if !art.File {
			continue
		}
		for _, b := range art.Subject.Bundles {
			if types[b] == ProvenanceType {
				return art.Arg, o.BundlePath(b), true
			}
		}
	}
	return "", "", false
}

// OneLine folds every run of whitespace (newlines included) in s into one space.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

package gitlab

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/signet-ci/signet/core"
)

// AnnotationSection is the section signet's links appear under on the job page.
const AnnotationSection = "signet"

// MaxLinks bounds the links of an annotations report, so a run with thousands of bundles
// still gives a readable job page; the index links to everything.
const MaxLinks = 50

// Annotations is GitLab's annotations report (artifacts:reports:annotations): sections of
// external links shown on the job page.
type Annotations map[string][]Annotation

// Annotation is one entry of a section.
type Annotation struct {
	ExternalLink ExternalLink `json:"external_link"`
}

// ExternalLink is a labelled link.
type ExternalLink struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// EncodeAnnotations renders the report as JSON.
func EncodeAnnotations(a Annotations) ([]byte, error) {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the annotations report: %w", err)
	}
	return append(b, '\n'), nil
}

// buildAnnotations links the index and each bundle in the job's artifacts (when the output
// directory is inside the project), and each bundle's transparency-log entry on the public
// Rekor's search page. At most MaxLinks links are given.
func buildAnnotations(job Job, ix *core.Index, outDir string) Annotations {
	var links []Annotation
	add := func(label, u string) {
		if u != "" && len(links) < MaxLinks {
			links = append(links, Annotation{ExternalLink{Label: label, URL: u}})
		}
	}
	artifacts := job.InProject(outDir)
	if artifacts {
		idx := job.Rel(joinPath(outDir, core.IndexFile))
		add("signet index: "+idx, job.ArtifactURL(idx))
	}
	for _, a := range ix.Attestations {
		rel := job.Rel(joinPath(outDir, a.Bundle))
		if artifacts {
			add(fmt.Sprintf("bundle %s (%s, %d subject(s))", rel, a.PredicateType, a.SubjectCount), job.ArtifactURL(rel))
		}
		if e := a.LogEntry; e != nil {
			add(fmt.Sprintf("Rekor log index %d: %s", e.Index, rel), logURL(e))
		}
	}
	return Annotations{AnnotationSection: links}
}

// logURL links a log entry on search.sigstore.dev when it is in the public-good Rekor, whose
// search page is the only one known to exist; other logs get no link.
func logURL(e *core.LogEntry) string {
	u, err := url.Parse(e.URL)
	if err != nil || u.Host != "rekor.sigstore.dev" {
		return ""
	}
	return fmt.Sprintf("https://search.sigstore.dev/?logIndex=%d", e.Index)
}

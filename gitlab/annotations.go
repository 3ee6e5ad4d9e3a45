package gitlab

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/signet-ci/signet/ci"
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
func buildAnnotations(job Job, out ci.Outcome) Annotations {
	var links []Annotation
	add := func(label, u string) {
		if u != "" && len(links) < MaxLinks {
			links = append(links, Annotation{ExternalLink{Label: label, URL: u}})
		}
	}
	artifacts := filepath.IsLocal(filepath.FromSlash(out.Rel(out.OutputDir)))
	if artifacts {
		add("signet index: "+out.IndexPath(), job.ArtifactURL(out.IndexPath()))
	}
	for _, a := range out.Index.Attestations {
		rel := out.BundlePath(a.Bundle)
		if artifacts {
			add(fmt.Sprintf("bundle %s (%s, %d subject(s))", rel, a.PredicateType, a.SubjectCount), job.ArtifactURL(rel))
		}
		if e := a.LogEntry; e != nil {
			add(fmt.Sprintf("Rekor log index %d: %s", e.Index, rel), ci.LogSearchURL(e))
		}
	}
	return Annotations{AnnotationSection: links}
}

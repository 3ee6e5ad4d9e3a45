package tekton

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/signet-ci/signet/core"
)

// SLSAProvenanceType is the predicate type whose bundle bundle-path names, when there is one.
const SLSAProvenanceType = "https://slsa.dev/provenance/v1"

// Run is a finished attest run, as the adapter reports it.
type Run struct {
	// Index is what the run wrote; bundle paths in it are relative to OutputDir.
	Index *core.Index
	// OutputDir is the absolute directory holding the index and bundles.
	OutputDir string
	// Subjects are the run's subjects in index order.
	Subjects []core.Subject
}

// artifactOutputs is the ARTIFACT_OUTPUTS object, with exactly the keys Chains reads.
type artifactOutputs struct {
	URI             string `json:"uri"`
	Digest          string `json:"digest"`
	IsBuildArtifact string `json:"isBuildArtifact"`
}

// BuildResults returns the Task's results for run. images holds the names of subjects given as
// container image references; workspace, when not empty, is what paths are made relative to.
func BuildResults(run Run, workspace string, images map[string]bool) ([]Result, error) {
	if run.Index == nil || len(run.Subjects) == 0 {
		return nil, errors.New("building Tekton results: the run signed no subjects")
	}
	prim := primary(run.Subjects, images)
	ao, err := json.Marshal(artifactOutputs{URI: prim.Name, Digest: digestString(prim.Digest), IsBuildArtifact: "true"})
	if err != nil {
		return nil, err
	}
	return []Result{
		{Name: ResultArtifactOutputs, Value: string(ao)},
		{Name: ResultImages, Value: imagesValue(run.Subjects, images)},
		{Name: ResultIndexPath, Value: relTo(workspace, filepath.Join(run.OutputDir, core.IndexFile))},
		{Name: ResultBundlePath, Value: bundlePath(run, workspace, prim)},
	}, nil
}

// bundlePath is the primary artifact's provenance bundle, or "" when no bundle names it.
func bundlePath(run Run, workspace string, prim core.Subject) string {
	b := bundleFor(run.Index, prim)
	if b == "" {
		return ""
	}
	return relTo(workspace, filepath.Join(run.OutputDir, b))
}

// isImage reports whether s was given as an image reference with a sha256 digest.
func isImage(s core.Subject, images map[string]bool) bool {
	return images[s.Name] && s.Path == "" && s.Digest[core.SHA256] != ""
}

// primary is the artifact ARTIFACT_OUTPUTS names: the first subject that is not an image
// (files come first in index order), else the first image.
func primary(subjects []core.Subject, images map[string]bool) core.Subject {
	for _, s := range subjects {
		if !isImage(s, images) {
			return s
		}
	}
	return subjects[0]
}

// digestString renders a digest set as Chains parses it: sha256:<hex>, else sha512:<hex>.
func digestString(d map[string]string) string {
	for _, alg := range []string{core.SHA256, core.SHA512} {
		if h := d[alg]; h != "" {
			return alg + ":" + h
		}
	}
	return ""
}

// imagesValue is the IMAGES hint: every image subject as NAME@sha256:HEX, comma-separated.
func imagesValue(subjects []core.Subject, images map[string]bool) string {
	var refs []string
	for _, s := range subjects {
		if isImage(s, images) {
			refs = append(refs, s.Name+"@sha256:"+s.Digest[core.SHA256])
		}
	}
	return strings.Join(refs, ",")
}

// bundleFor returns the bundle (relative to the index) holding the provenance of s, or the
// first bundle naming s when no provenance was signed.
func bundleFor(ix *core.Index, s core.Subject) string {
	bundles := ix.BundlesFor(s.Name, s.Digest)
	for _, a := range ix.Attestations {
		for _, b := range bundles {
			if a.Bundle == b && a.PredicateType == SLSAProvenanceType {
				return b
			}
		}
	}
	if len(bundles) > 0 {
		return bundles[0]
	}
	return ""
}

// relTo returns p relative to dir when p lies inside it, else p unchanged.
func relTo(dir, p string) string {
	if dir == "" {
		return p
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return filepath.ToSlash(rel)
}

// The grammar of an image repository (distribution/reference): a registry host with a dot, a
// port or "localhost", then lower-case path components, and an optional tag.
var (
	domainRE    = regexp.MustCompile(`^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$`)
	componentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagRE       = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
)

// IsImageName reports whether name reads as a container image repository with its registry,
// such as ghcr.io/org/app or localhost:5000/app:v1, so Chains can treat NAME@sha256:HEX as an
// image. A bare file name or relative path never does.
func IsImageName(name string) bool {
	host, rest, ok := strings.Cut(name, "/")
	if !ok || !domainRE.MatchString(host) || (host != "localhost" && !strings.ContainsAny(host, ".:")) {
		return false
	}
	parts := strings.Split(rest, "/")
	last := parts[len(parts)-1]
	if repo, tag, hasTag := strings.Cut(last, ":"); hasTag {
		if !tagRE.MatchString(tag) {
			return false
		}
		parts[len(parts)-1] = repo
	}
	for _, p := range parts {
		if !componentRE.MatchString(p) {
			return false
		}
	}
	return true
}

package tekton

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
)

// artifactOutputs is the ARTIFACT_OUTPUTS object, with exactly the keys Chains reads.
type artifactOutputs struct {
	URI             string `json:"uri"`
	Digest          string `json:"digest"`
	IsBuildArtifact string `json:"isBuildArtifact"`
}

// BuildResults returns the Task's results for a finished run: the primary artifact, the
// images, and the index and primary bundle relative to the workspace.
func BuildResults(out ci.Outcome) ([]Result, error) {
	if out.Index == nil || len(out.Subjects) == 0 {
		return nil, errors.New("building Tekton results: the run signed no subjects")
	}
	prim := primary(out.Subjects)
	bundle := ""
	if b := out.BundleFor(prim.Name, prim.Digest); b != "" {
		bundle = out.BundlePath(b)
	}
	return []Result{
		artifactOutputsResult(prim),
		{Name: ResultImages, Value: imagesValue(out.Subjects)},
		{Name: ResultIndexPath, Value: out.IndexPath()},
		{Name: ResultBundlePath, Value: bundle},
		registryResult(out),
	}, nil
}

// artifactOutputsResult is the ARTIFACT_OUTPUTS result naming s. The digest is shown as
// ci.DigestString does, sha256:HEX else sha512:HEX: the <algorithm>:<hex> form Chains checks
// (go-digest algorithms), and core digests nothing else.
func artifactOutputsResult(s core.Subject) Result {
	b, _ := json.Marshal(artifactOutputs{URI: s.Name, Digest: ci.DigestString(s.Digest), IsBuildArtifact: "true"}) // strings only: cannot fail
	return Result{Name: ResultArtifactOutputs, Value: string(b)}
}

// isImage reports whether s is a container image: given by a sha256 digest (no file), under a
// name that reads as an image repository.
func isImage(s core.Subject) bool {
	return s.Path == "" && s.Digest[core.SHA256] != "" && IsImageName(s.Name)
}

// primary is the artifact ARTIFACT_OUTPUTS names: the first subject that is not an image
// (files come first in index order), else the first image.
func primary(subjects []core.Subject) core.Subject {
	for _, s := range subjects {
		if !isImage(s) {
			return s
		}
	}
	return subjects[0]
}

// imagesValue is the IMAGES hint: every image subject as NAME@sha256:HEX, comma-separated.
func imagesValue(subjects []core.Subject) string {
	var refs []string
	for _, s := range subjects {
		if isImage(s) {
			refs = append(refs, s.Name+"@sha256:"+s.Digest[core.SHA256])
		}
	}
	return strings.Join(refs, ",")
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

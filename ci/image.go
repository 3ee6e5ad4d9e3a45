package ci

import (
	"fmt"
	"strings"
)

// ImageInputs names a platform's inputs for container images: a list of image references
// (tag or digest), the platform choice of an index, and whether to push attestations to
// the registry.
type ImageInputs struct {
	Images, Platforms, Push string
}

// Images reads the image inputs into p. Each reference must be REGISTRY/REPOSITORY with a tag
// or @sha256 digest and no whitespace inside; the platforms input is "all" or empty. The
// references are checked by the registry when resolved; here only their shape.
func (r *Reader) Images(p *Plan, in ImageInputs) {
	for _, ref := range r.List(in.Images) {
		if err := checkImageRef(ref); err != nil {
			r.Fail(in.Images, err)
			continue
		}
		p.Images = append(p.Images, ref)
	}
	switch v := r.String(in.Platforms); v {
	case "", "all":
		p.Settings.ImagePlatforms = v
	default:
		r.Fail(in.Platforms, fmt.Errorf("%q: expected all, or empty for the index alone", v))
	}
	if p.Settings.ImagePlatforms != "" && len(p.Images) == 0 {
		r.Fail(in.Platforms, fmt.Errorf("all: name the images in %s", in.Images))
	}
	p.Settings.PushToRegistry = r.Bool(in.Push, false)
}

// checkImageRef refuses what cannot be a registry image reference before any request.
func checkImageRef(ref string) error {
	if strings.ContainsAny(ref, " \t\r\n\x00") || strings.Contains(ref, "://") {
		return fmt.Errorf("%q: expected REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:HEX", ref)
	}
	host, _, ok := strings.Cut(ref, "/")
	if !ok || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return fmt.Errorf("%q: expected a registry host first, such as ghcr.io/org/app:v1", ref)
	}
	return nil
}

// Pushed lists where the run's bundles were attached in registries, one REPOSITORY@MANIFEST
// per attachment, in index order without repeats.
func (o Outcome) Pushed() []string {
	if o.Index == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range o.Index.Attestations {
		for _, p := range a.Pushed {
			k := p.Repository + "@" + p.Manifest
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

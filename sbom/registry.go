package sbom

import (
	"context"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/signet-ci/signet/core"
)

// RegistryImage is an image or index pulled from a registry, read lazily: layers are
// streamed when cataloged, never stored whole.
type RegistryImage struct {
	// Ref is REPOSITORY@sha256:HEX, as the image is shown in the document.
	Ref string
	// Image is set for a single image; Index for a multi-platform index.
	Image v1.Image
	Index v1.ImageIndex
}

// ImageSBOM catalogs an image from a registry as a docker-archive holding it is cataloged:
// its layers squashed (whiteouts applied) into one filesystem, every platform of an index,
// within the generator's limits (manifests and configurations within max-manifest-bytes,
// the expanded bytes and member counts as for archives). The primary package is subject s,
// whose sha256 is the manifest or index digest.
func (g *Generator) ImageSBOM(ctx context.Context, s core.Subject, img RegistryImage, format string) (core.Predicate, error) {
	typ, err := PredicateType(format)
	if err != nil {
		return core.Predicate{}, err
	}
	key := "registry\x00" + s.Name + "\x00" + s.Digest[core.SHA256]
	g.mu.Lock()
	inv, hit := g.last.inv, g.last.key == key
	g.mu.Unlock()
	if !hit {
		if inv, err = g.catalogImage(ctx, s, img); err != nil {
			return core.Predicate{}, err
		}
		g.mu.Lock()
		g.last.key, g.last.inv = key, inv
		g.mu.Unlock()
	}
	doc, err := g.encode(inv, s, format)
	if err != nil {
		return core.Predicate{}, err
	}
	return core.Predicate{Type: typ, JSON: doc}, nil
}

func (g *Generator) catalogImage(ctx context.Context, s core.Subject, img RegistryImage) (*inventory, error) {
	digest := s.Digest[core.SHA256]
	if digest == "" {
		return nil, fmt.Errorf("SBOM of %q: an image subject needs its sha256 digest", s.Name)
	}
	sc := &scan{subject: s.Name, cfg: &g.cfg, budget: &budget{max: g.cfg.maxExpanded}}
	primary := primaryPackage(s, digest)
	sc.inv = newInventory(primary, s.Name, &g.cfg)
	root := sc.root()
	var keys []string
	var err error
	switch {
	case img.Index != nil:
		keys, err = root.registryIndex(ctx, img)
	case img.Image != nil:
		var k string
		if err = root.imageConfigSize(img.Image); err == nil {
			k, err = root.image(ctx, img.Image, img.Ref)
		}
		keys = []string{k}
	default:
		err = fmt.Errorf("SBOM of %q: no image to catalog", s.Name)
	}
	if sc.inv.err != nil {
		return nil, sc.inv.err
	}
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		sc.inv.link(primary.key(), k, relContains)
	}
	sc.inv.finish()
	if sc.inv.err != nil {
		return nil, sc.inv.err
	}
	return sc.inv, nil
}

// imageConfigSize bounds an image's configuration, which is read whole, by its size in the
// (already bounded) manifest.
func (t *tree) imageConfigSize(img v1.Image) error {
	m, err := img.Manifest()
	if err != nil {
		return fmt.Errorf("reading image %s: %w", t.displayName(), err)
	}
	return t.imageMetadata("config "+m.Config.Digest.String(), m.Config.Size)
}

// registryIndex catalogs each platform image of an index, leaving out attestation manifests
// (platform unknown/unknown, as docker buildx pushes them), whose layers are not filesystems.
func (t *tree) registryIndex(ctx context.Context, img RegistryImage) ([]string, error) {
	im, err := img.Index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading image index of %s: %w", t.displayName(), err)
	}
	repo, _, _ := strings.Cut(img.Ref, "@")
	var keys []string
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() || (d.Platform != nil && d.Platform.OS == "unknown") {
			continue
		}
		child, err := img.Index.Image(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading image %s of %s: %w", d.Digest, t.displayName(), err)
		}
		if err := t.imageConfigSize(child); err != nil {
			return nil, err
		}
		k, err := t.image(ctx, child, repo+"@"+d.Digest.String())
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

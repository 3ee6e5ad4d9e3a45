package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/oci"
	"github.com/signet-ci/signet/verify"
)

// ociScheme prefixes a verify argument that names an image in a registry.
const ociScheme = "oci://"

// ociArtifacts are verify arguments naming images: the artifacts and the bundles their
// registries hold for them, fetched into a private directory.
type ociArtifacts struct {
	artifacts []core.Subject
	bundles   verify.Files
	// names maps a fetched bundle's file to where it came from (REPOSITORY@MANIFEST).
	names map[string]string
	dir   string
}

// close removes the fetched bundles.
func (o *ociArtifacts) close() {
	if o != nil && o.dir != "" {
		os.RemoveAll(o.dir)
	}
}

// splitOCI separates oci:// arguments from the others; mixing them is refused, as is
// --bundle or --index with them: an image's bundles come from its registry.
func splitOCI(cfg verifyConfig, args []string) ([]string, error) {
	var refs []string
	for _, a := range args {
		if r, ok := strings.CutPrefix(a, ociScheme); ok {
			refs = append(refs, r)
		}
	}
	switch {
	case len(refs) == 0:
		return nil, nil
	case len(refs) != len(args) || len(cfg.Digests) > 0:
		return nil, &ExitError{Code: 2, Err: errors.New("oci:// images are verified on their own: give files and --digest in another signet verify")}
	case cfg.Index != "" || len(cfg.Bundles) > 0:
		return nil, &ExitError{Code: 2, Err: errors.New("oci:// images take their bundles from the registry: leave out --bundle and --index")}
	}
	return refs, nil
}

// fetchOCI resolves each image reference to its digest (once), lists the Sigstore bundles
// attached to it by both discovery paths, and fetches them. A referrer that carries no
// bundle, or whose manifest is not what the list said, is skipped with a note on stderr:
// only a bundle that verifies can pass an image, so an image with none fails closed.
func fetchOCI(ctx context.Context, env Env, refs []string) (*ociArtifacts, error) {
	reg, err := registryClient(nil)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "signet-oci-")
	if err != nil {
		return nil, err
	}
	out := &ociArtifacts{names: map[string]string{}, dir: dir}
	for _, ref := range refs {
		img, err := reg.Resolve(ctx, ref)
		if err != nil {
			out.close()
			return nil, fmt.Errorf("%s%s: %w", ociScheme, core.PrintableName(ref), err)
		}
		d := img.Descriptor.Digest
		out.artifacts = append(out.artifacts, core.Subject{Name: img.Repository, Digest: map[string]string{core.SHA256: d.Hex}})
		found, err := reg.Referrers(ctx, img.Repository, d)
		if err != nil {
			out.close()
			return nil, fmt.Errorf("%s%s: %w", ociScheme, core.PrintableName(ref), err)
		}
		for _, r := range found {
			b, err := reg.Bundle(ctx, img.Repository, d, r)
			if err != nil {
				if !errors.Is(err, oci.ErrNotBundle) {
					fmt.Fprintf(env.Stderr, "signet: skipped %s@%s: %v\n", img.Repository, r.Manifest.Digest, err)
				}
				continue
			}
			p := filepath.Join(dir, fmt.Sprintf("%d-%s.sigstore.json", len(out.bundles), r.Manifest.Digest.Hex))
			if err := os.WriteFile(p, b, 0o600); err != nil {
				out.close()
				return nil, err
			}
			out.bundles = append(out.bundles, p)
			out.names[p] = img.Repository + "@" + r.Manifest.Digest.String()
		}
	}
	return out, nil
}

// name reports a fetched bundle by where it lives in the registry.
func (o *ociArtifacts) rename(r *verify.Report) {
	for _, a := range r.Artifacts {
		if n, ok := o.names[a.Bundle]; ok {
			a.Bundle = n
		}
		for i := range a.Rejected {
			if n, ok := o.names[a.Rejected[i].Bundle]; ok {
				a.Rejected[i].Bundle = n
			}
		}
	}
}

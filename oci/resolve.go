package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// manifestTypes are the manifest media types signet resolves and attaches to.
var manifestTypes = []types.MediaType{types.OCIManifestSchema1, types.OCIImageIndex, types.DockerManifestSchema2, types.DockerManifestList}

// Image is an image reference resolved to what its registry serves.
type Image struct {
	// Repository is the fully qualified repository, without tag or digest ("ghcr.io/org/app").
	Repository string
	// Descriptor is the manifest or index the reference names: media type, digest, size.
	Descriptor v1.Descriptor
	// Platforms are an index's platform manifests (attestation manifests left out); nil for a
	// single manifest.
	Platforms []PlatformManifest
}

// PlatformManifest is one platform's manifest in an index.
type PlatformManifest struct {
	// Platform is os/arch[/variant], such as "linux/arm64/v8".
	Platform   string
	Descriptor v1.Descriptor
}

// IsIndex reports whether the image is a multi-platform index.
func (i *Image) IsIndex() bool { return i.Descriptor.MediaType.IsIndex() }

// Reference returns repository@digest.
func (i *Image) Reference() string { return i.Repository + "@" + i.Descriptor.Digest.String() }

// ParseReference parses an image reference (tag or digest) strictly enough for a subject: a
// name go-containerregistry accepts, whose digest, if any, is sha256.
func ParseReference(ref string) (name.Reference, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", printable(ref), err)
	}
	if d, ok := r.(name.Digest); ok && !strings.HasPrefix(d.DigestStr(), "sha256:") {
		return nil, fmt.Errorf("image reference %q: only sha256 digests are supported", printable(ref))
	}
	return r, nil
}

// Resolve asks the registry, once, which manifest ref names. A tag becomes the digest the
// registry serves for it now; a digest must be served with exactly that content. The digest
// is computed from the bytes received, and a registry whose Docker-Content-Digest header
// disagrees with them is refused (ErrDigestMismatch).
func (c *Client) Resolve(ctx context.Context, ref string) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	s, err := c.open(ctx, r.Context(), false)
	if err != nil {
		return nil, err
	}
	body, desc, err := s.manifest(ctx, r)
	if err != nil {
		return nil, registryError("resolving "+printable(ref), r.Context(), digestOf(r), s.source, err)
	}
	img := &Image{Repository: r.Context().Name(), Descriptor: desc}
	if desc.MediaType.IsIndex() {
		if img.Platforms, err = platforms(body); err != nil {
			return nil, registryError("resolving "+printable(ref), r.Context(), desc.Digest.String(), s.source, err)
		}
	}
	return img, nil
}

func digestOf(r name.Reference) string {
	if d, ok := r.(name.Digest); ok {
		return d.DigestStr()
	}
	return ""
}

// manifest fetches the manifest r names and checks its digest.
func (s *session) manifest(ctx context.Context, r name.Reference) ([]byte, v1.Descriptor, error) {
	accept := make([]string, len(manifestTypes))
	for i, t := range manifestTypes {
		accept[i] = string(t)
	}
	hdr := http.Header{"Accept": {strings.Join(accept, ",")}}
	resp, err := s.do(ctx, http.MethodGet, s.endpoint("manifests/"+r.Identifier()), hdr, nil, MaxManifestSize, http.StatusOK)
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	got, _, err := v1.SHA256(bytes.NewReader(resp.body))
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	if want := digestOf(r); want != "" && got.String() != want {
		return nil, v1.Descriptor{}, &ProtocolError{What: "manifest " + want, Err: fmt.Errorf("%w: the registry served content whose digest is %s", ErrDigestMismatch, got)}
	}
	if h := resp.header.Get("Docker-Content-Digest"); h != "" && h != got.String() {
		return nil, v1.Descriptor{}, &ProtocolError{What: "manifest " + r.Identifier(), Err: fmt.Errorf("%w: Docker-Content-Digest says %s, the content's digest is %s", ErrDigestMismatch, printable(h), got)}
	}
	mt, err := mediaType(resp.body, resp.header.Get("Content-Type"))
	if err != nil {
		return nil, v1.Descriptor{}, &ProtocolError{What: "manifest " + got.String(), Err: err}
	}
	return resp.body, v1.Descriptor{MediaType: mt, Digest: got, Size: int64(len(resp.body))}, nil
}

// mediaType is the manifest's own mediaType field, else the Content-Type the registry sent;
// it must be one signet knows, and agree with the header when both are given.
func mediaType(body []byte, contentType string) (types.MediaType, error) {
	var doc struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("not JSON: %w", err)
	}
	header := types.MediaType(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	mt := doc.MediaType
	if mt == "" {
		mt = header
	}
	for _, t := range manifestTypes {
		if mt == t {
			return mt, nil
		}
	}
	return "", fmt.Errorf("media type %q is not an image manifest or index", printable(string(mt)))
}

// platforms lists an index's platform manifests, leaving out buildx attestation manifests
// (platform unknown/unknown) and nested indexes.
func platforms(body []byte) ([]PlatformManifest, error) {
	var ix v1.IndexManifest
	if err := json.Unmarshal(body, &ix); err != nil {
		return nil, &ProtocolError{What: "index", Err: err}
	}
	if len(ix.Manifests) > MaxReferrers {
		return nil, &ProtocolError{What: "index", Err: fmt.Errorf("%w: %d manifests, at most %d are read", ErrTooLarge, len(ix.Manifests), MaxReferrers)}
	}
	var out []PlatformManifest
	for _, d := range ix.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" || d.MediaType.IsIndex() {
			continue
		}
		if d.Digest.Algorithm != "sha256" || len(d.Digest.Hex) != 64 {
			return nil, &ProtocolError{What: "index", Err: fmt.Errorf("manifest digest %q is not sha256", printable(d.Digest.String()))}
		}
		p := d.Platform.OS + "/" + d.Platform.Architecture
		if d.Platform.Variant != "" {
			p += "/" + d.Platform.Variant
		}
		out = append(out, PlatformManifest{Platform: printable(p), Descriptor: v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}})
	}
	return out, nil
}

// Hash parses a sha256:HEX digest.
func Hash(digest string) (v1.Hash, error) {
	h, err := v1.NewHash(digest)
	if err != nil || h.Algorithm != "sha256" {
		return v1.Hash{}, fmt.Errorf("digest %q: expected sha256:<64 hex digits>", printable(digest))
	}
	return h, nil
}

// RepositoryName reports whether s is a fully qualified repository whose first component is a
// registry host (it has a dot or a port, or is localhost), as image subjects are named
// ("ghcr.io/org/app"), and returns it.
func RepositoryName(s string) (string, bool) {
	host, _, ok := strings.Cut(s, "/")
	if !ok || strings.HasPrefix(host, ".") || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return "", false
	}
	repo, err := name.NewRepository(s, name.StrictValidation)
	if err != nil || repo.Name() != s {
		return "", false
	}
	return repo.Name(), true
}

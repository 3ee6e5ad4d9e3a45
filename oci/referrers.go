package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Referrer is a Sigstore bundle (or, where the registry does not say, a candidate) attached to an image, as found in the registry.
type Referrer struct {
	// Manifest is the artifact manifest's descriptor.
	Manifest v1.Descriptor
	// Method is the discovery path that listed it (the API's when both did).
	Method Method
}

// listedAsBundle reports whether a listed descriptor may be a bundle: its artifactType is a
// bundle's, or is missing or the empty config's (registries that derive artifactType from
// the config, as go-containerregistry's pkg/registry does, list it so). Bundle checks the
// manifest itself.
func listedAsBundle(d v1.Descriptor) bool {
	return d.MediaType == types.OCIManifestSchema1 &&
		(isBundleType(d.ArtifactType) || d.ArtifactType == "" || d.ArtifactType == EmptyMediaType)
}

// ErrNotBundle means a referrer's manifest carries no Sigstore bundle.
var ErrNotBundle = errors.New("not a Sigstore bundle")

// isBundleType reports whether an artifact or layer media type is a Sigstore bundle's
// (v0.3, or the older "application/vnd.dev.sigstore.bundle+json;version=0.x").
func isBundleType(mt string) bool {
	return mt == BundleMediaType || strings.HasPrefix(mt, "application/vnd.dev.sigstore.bundle+json")
}

// Referrers lists the Sigstore-bundle referrers of repository@subject by both discovery
// paths, the referrers API and the sha256-<hex> tag-schema index, so attestations pushed
// either way are found. Each list is read within MaxManifestSize and MaxReferrers; a
// registry without the API (404) or without the tag (404) contributes nothing.
func (c *Client) Referrers(ctx context.Context, repository string, subject v1.Hash) ([]Referrer, error) {
	repo, err := name.NewRepository(repository)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", printable(repository), err)
	}
	s, err := c.open(ctx, repo, false)
	if err != nil {
		return nil, err
	}
	out, err := s.referrers(ctx, subject)
	if err != nil {
		return nil, registryError("listing attestations", repo, subject.String(), s.source, err)
	}
	return out, nil
}

func (s *session) referrers(ctx context.Context, subject v1.Hash) ([]Referrer, error) {
	var out []Referrer
	seen := map[v1.Hash]bool{}
	add := func(ix *v1.IndexManifest, m Method) error {
		if ix == nil {
			return nil
		}
		for _, d := range ix.Manifests {
			if seen[d.Digest] || !listedAsBundle(d) {
				continue
			}
			if len(out) >= MaxReferrers {
				return &ProtocolError{What: "referrers", Err: fmt.Errorf("%w: more than %d bundles", ErrTooLarge, MaxReferrers)}
			}
			seen[d.Digest] = true
			out = append(out, Referrer{Manifest: d, Method: m})
		}
		return nil
	}
	api, err := s.referrersAPI(ctx, subject)
	if err != nil {
		return nil, err
	}
	if err := add(api, ByReferrersAPI); err != nil {
		return nil, err
	}
	tagged, err := s.tagIndex(ctx, subject)
	if err != nil {
		return nil, err
	}
	if err := add(tagged, ByReferrersTag); err != nil {
		return nil, err
	}
	return out, nil
}

// referrersAPI reads GET /v2/<name>/referrers/<digest>; nil when the registry has no API.
func (s *session) referrersAPI(ctx context.Context, subject v1.Hash) (*v1.IndexManifest, error) {
	hdr := http.Header{"Accept": {string(types.OCIImageIndex)}}
	resp, err := s.do(ctx, http.MethodGet, s.endpoint("referrers/"+subject.String())+"?artifactType="+url.QueryEscape(BundleMediaType), hdr, nil, MaxManifestSize, http.StatusOK)
	if StatusOf(err) == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the referrers API: %w", err)
	}
	ix, err := referrersIndex(resp.body)
	if err != nil {
		return nil, fmt.Errorf("the referrers API: %w", err)
	}
	return ix, nil
}

// Bundle fetches the bundle a referrer carries. The manifest must be the one its descriptor
// names (digest checked), an artifact manifest whose subject is exactly subject and whose
// bundle layer is within MaxBundleSize; the layer's content must have the layer's digest.
// Whether the bundle itself signs subject is for the verifier to decide.
func (c *Client) Bundle(ctx context.Context, repository string, subject v1.Hash, r Referrer) ([]byte, error) {
	repo, err := name.NewRepository(repository)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", printable(repository), err)
	}
	s, err := c.open(ctx, repo, false)
	if err != nil {
		return nil, err
	}
	b, err := s.bundle(ctx, subject, r.Manifest.Digest)
	if err != nil {
		return nil, registryError("reading attestation "+r.Manifest.Digest.String(), repo, subject.String(), s.source, err)
	}
	return b, nil
}

func (s *session) bundle(ctx context.Context, subject, manifest v1.Hash) ([]byte, error) {
	body, _, err := s.manifest(ctx, s.repo.Digest(manifest.String()))
	if err != nil {
		return nil, err
	}
	var m artifactManifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, &ProtocolError{What: "artifact manifest", Err: err}
	}
	if m.Subject == nil || m.Subject.Digest != subject {
		got := "none"
		if m.Subject != nil {
			got = m.Subject.Digest.String()
		}
		return nil, &ProtocolError{What: "artifact manifest", Err: fmt.Errorf("its subject is %s, not %s", got, subject)}
	}
	if !isBundleType(m.ArtifactType) {
		return nil, fmt.Errorf("%w: artifactType %q", ErrNotBundle, printable(m.ArtifactType))
	}
	var layer *v1.Descriptor
	for i := range m.Layers {
		if isBundleType(string(m.Layers[i].MediaType)) {
			layer = &m.Layers[i]
			break
		}
	}
	if layer == nil {
		return nil, fmt.Errorf("%w: no layer of media type %s", ErrNotBundle, BundleMediaType)
	}
	if layer.Size <= 0 || layer.Size > MaxBundleSize {
		return nil, &ProtocolError{What: "bundle layer", Err: fmt.Errorf("%w: size %d, expected 1 to %d bytes", ErrTooLarge, layer.Size, MaxBundleSize)}
	}
	resp, err := s.do(ctx, http.MethodGet, s.endpoint("blobs/"+layer.Digest.String()), nil, nil, layer.Size, http.StatusOK)
	if err != nil {
		return nil, fmt.Errorf("the bundle layer: %w", err)
	}
	got, _, err := v1.SHA256(bytes.NewReader(resp.body))
	if err != nil {
		return nil, err
	}
	if got != layer.Digest {
		return nil, &ProtocolError{What: "bundle layer", Err: fmt.Errorf("%w: layer %s has content %s", ErrDigestMismatch, layer.Digest, got)}
	}
	return resp.body, nil
}

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
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Attachment is one Sigstore bundle to attach to an image.
type Attachment struct {
	// Bundle is the bundle's JSON.
	Bundle []byte
	// PredicateType is the predicate type of the statement it signs.
	PredicateType string
	// Created is recorded in org.opencontainers.image.created (the client's clock when zero).
	// The same bundle with the same Created makes the same manifest, so a repeated push adds
	// nothing.
	Created time.Time
}

// Method names how a referrer was made discoverable.
type Method string

// The two discovery paths of the OCI distribution specification.
const (
	// ByReferrersAPI means the registry indexes the manifest's subject itself.
	ByReferrersAPI Method = "referrers-api"
	// ByReferrersTag means signet keeps the sha256-<hex> tag-schema index.
	ByReferrersTag Method = "referrers-tag"
)

// Pushed is where an attachment went.
type Pushed struct {
	// Repository is the fully qualified repository ("ghcr.io/org/app").
	Repository string
	// Subject is the image digest the attachment refers to.
	Subject string
	// Manifest is the artifact manifest's descriptor.
	Manifest v1.Descriptor
	// Method is how it is discovered.
	Method Method
}

// artifactManifest is an OCI 1.1 image manifest carrying an artifact, with its fields in the
// order @sigstore/oci writes them.
type artifactManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     types.MediaType   `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        v1.Descriptor     `json:"config"`
	Layers        []v1.Descriptor   `json:"layers"`
	Subject       *v1.Descriptor    `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

var emptyConfig = []byte("{}")

// Attach pushes a as a referrer of the image repository@subject: the bundle and the empty
// config as blobs, then the artifact manifest by digest, then, where the registry has no
// referrers API, the manifest's descriptor into the subject's sha256-<hex> tag-schema index
// (unless it is there already). The subject is fetched by digest first, so the descriptor
// recorded is the registry's and a missing image fails before anything is pushed; a tag is
// never consulted.
func (c *Client) Attach(ctx context.Context, repository string, subject v1.Hash, a Attachment) (*Pushed, error) {
	repo, err := name.NewRepository(repository)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", printable(repository), err)
	}
	if subject.Algorithm != "sha256" || len(subject.Hex) != 64 {
		return nil, fmt.Errorf("subject digest %q: expected sha256:<64 hex digits>", printable(subject.String()))
	}
	if len(a.Bundle) == 0 || len(a.Bundle) > MaxBundleSize {
		return nil, fmt.Errorf("bundle of %d bytes: expected 1 to %d", len(a.Bundle), MaxBundleSize)
	}
	s, err := c.open(ctx, repo, true)
	if err != nil {
		return nil, err
	}
	p, err := s.attach(ctx, subject, a)
	if err != nil {
		return nil, registryError("pushing attestation", repo, subject.String(), s.source, err)
	}
	return p, nil
}

func (s *session) attach(ctx context.Context, subject v1.Hash, a Attachment) (*Pushed, error) {
	_, sub, err := s.manifest(ctx, s.repo.Digest(subject.String()))
	if err != nil {
		return nil, fmt.Errorf("the image: %w", err)
	}
	cfg, err := s.uploadBlob(ctx, emptyConfig)
	if err != nil {
		return nil, fmt.Errorf("the empty config: %w", err)
	}
	layer, err := s.uploadBlob(ctx, a.Bundle)
	if err != nil {
		return nil, fmt.Errorf("the bundle: %w", err)
	}
	created := a.Created
	if created.IsZero() {
		created = s.c.now()
	}
	annotations := map[string]string{
		AnnotationContent:       "dsse-envelope",
		AnnotationPredicateType: a.PredicateType,
		AnnotationCreated:       created.UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	m := artifactManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  BundleMediaType,
		Config:        v1.Descriptor{MediaType: EmptyMediaType, Digest: cfg, Size: int64(len(emptyConfig))},
		Layers:        []v1.Descriptor{{MediaType: BundleMediaType, Digest: layer, Size: int64(len(a.Bundle))}},
		Subject:       &sub,
		Annotations:   annotations,
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	dgst, _, err := v1.SHA256(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	desc := v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: dgst, Size: int64(len(body)),
		ArtifactType: BundleMediaType, Annotations: annotations}
	method, err := s.referrersMethod(ctx, subject)
	if err != nil {
		return nil, err
	}
	hdr := http.Header{"Content-Type": {string(types.OCIManifestSchema1)}}
	if _, err := s.do(ctx, http.MethodPut, s.endpoint("manifests/"+dgst.String()), hdr, body, maxErrorBody, http.StatusCreated, http.StatusOK); err != nil {
		return nil, fmt.Errorf("the artifact manifest %s: %w", dgst, err)
	}
	if method == ByReferrersTag {
		if err := s.addToTagIndex(ctx, subject, desc); err != nil {
			return nil, err
		}
	}
	return &Pushed{Repository: s.repo.Name(), Subject: subject.String(), Manifest: desc, Method: method}, nil
}

// referrersMethod pings GET /v2/<name>/referrers/<digest>: an image index answer means the
// registry has the API; 404 means it has not. (An OCI-Subject header alone is not trusted:
// some registries send it without serving the API.)
func (s *session) referrersMethod(ctx context.Context, subject v1.Hash) (Method, error) {
	hdr := http.Header{"Accept": {string(types.OCIImageIndex)}}
	resp, err := s.do(ctx, http.MethodGet, s.endpoint("referrers/"+subject.String()), hdr, nil, MaxManifestSize, http.StatusOK)
	if StatusOf(err) == http.StatusNotFound {
		return ByReferrersTag, nil
	}
	if err != nil {
		return "", fmt.Errorf("asking whether the registry has the referrers API: %w", err)
	}
	if _, err := referrersIndex(resp.body); err != nil {
		return ByReferrersTag, nil // not an index: not the API
	}
	return ByReferrersAPI, nil
}

// TagFor returns the referrers tag-schema tag of a digest: sha256-<hex>.
func TagFor(subject v1.Hash) string { return subject.Algorithm + "-" + subject.Hex }

// addToTagIndex adds desc to the subject's tag-schema index unless a descriptor of the same
// digest is there already.
func (s *session) addToTagIndex(ctx context.Context, subject v1.Hash, desc v1.Descriptor) error {
	tag := TagFor(subject)
	ix, err := s.tagIndex(ctx, subject)
	if err != nil {
		return err
	}
	if ix == nil {
		ix = &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	}
	for _, d := range ix.Manifests {
		if d.Digest == desc.Digest {
			return nil
		}
	}
	if len(ix.Manifests) >= MaxReferrers {
		return fmt.Errorf("the referrers index %s already lists %d manifests, the most signet keeps", tag, len(ix.Manifests))
	}
	ix.Manifests = append(ix.Manifests, desc)
	body, err := json.Marshal(ix)
	if err != nil {
		return err
	}
	hdr := http.Header{"Content-Type": {string(types.OCIImageIndex)}}
	if _, err := s.do(ctx, http.MethodPut, s.endpoint("manifests/"+tag), hdr, body, maxErrorBody, http.StatusCreated, http.StatusOK); err != nil {
		return fmt.Errorf("the referrers index %s: %w", tag, err)
	}
	return nil
}

// tagIndex reads the subject's tag-schema index; nil when there is none.
func (s *session) tagIndex(ctx context.Context, subject v1.Hash) (*v1.IndexManifest, error) {
	tag := TagFor(subject)
	body, _, err := s.manifest(ctx, s.repo.Tag(tag))
	if StatusOf(err) == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("the referrers index %s: %w", tag, err)
	}
	ix, err := referrersIndex(body)
	if err != nil {
		return nil, fmt.Errorf("the referrers index %s: %w", tag, err)
	}
	return ix, nil
}

// referrersIndex parses a referrers list or tag-schema index, bounded to MaxReferrers entries.
func referrersIndex(body []byte) (*v1.IndexManifest, error) {
	var ix v1.IndexManifest
	if err := json.Unmarshal(body, &ix); err != nil {
		return nil, &ProtocolError{What: "referrers index", Err: err}
	}
	if ix.MediaType != "" && ix.MediaType != types.OCIImageIndex {
		return nil, &ProtocolError{What: "referrers index", Err: fmt.Errorf("media type %q, expected %s", printable(string(ix.MediaType)), types.OCIImageIndex)}
	}
	if len(ix.Manifests) > MaxReferrers {
		return nil, &ProtocolError{What: "referrers index", Err: fmt.Errorf("%w: %d manifests, at most %d are read", ErrTooLarge, len(ix.Manifests), MaxReferrers)}
	}
	return &ix, nil
}

// uploadBlob pushes content unless the repository has it, and returns its digest.
func (s *session) uploadBlob(ctx context.Context, content []byte) (v1.Hash, error) {
	dgst, _, err := v1.SHA256(bytes.NewReader(content))
	if err != nil {
		return v1.Hash{}, err
	}
	_, err = s.do(ctx, http.MethodHead, s.endpoint("blobs/"+dgst.String()), nil, nil, 0, http.StatusOK)
	if err == nil {
		return dgst, nil
	}
	if StatusOf(err) != http.StatusNotFound {
		return v1.Hash{}, err
	}
	resp, err := s.do(ctx, http.MethodPost, s.endpoint("blobs/uploads/"), nil, nil, maxErrorBody, http.StatusAccepted)
	if err != nil {
		return v1.Hash{}, err
	}
	loc, err := s.uploadURL(resp.header.Get("Location"), dgst)
	if err != nil {
		return v1.Hash{}, err
	}
	hdr := http.Header{"Content-Type": {"application/octet-stream"}}
	if _, err := s.do(ctx, http.MethodPut, loc, hdr, content, maxErrorBody, http.StatusCreated); err != nil {
		return v1.Hash{}, err
	}
	return dgst, nil
}

// uploadURL resolves an upload Location against the registry and adds the digest.
func (s *session) uploadURL(location string, dgst v1.Hash) (string, error) {
	if location == "" {
		return "", &ProtocolError{What: "blob upload", Err: errors.New("the registry sent no Location")}
	}
	base, err := url.Parse(s.endpoint(""))
	if err != nil {
		return "", err
	}
	u, err := base.Parse(location)
	if err != nil {
		return "", &ProtocolError{What: "blob upload", Err: fmt.Errorf("Location %q: %w", printable(location), err)}
	}
	if !strings.EqualFold(u.Host, base.Host) {
		return "", &ProtocolError{What: "blob upload", Err: fmt.Errorf("Location points at another host %q", printable(u.Host))}
	}
	q := u.Query()
	q.Set("digest", dgst.String())
	u.RawQuery = q.Encode()
	return u.String(), nil
}

package oci

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Pulled is an image or index to read lazily from its registry: layers are fetched, and
// their digests checked, as they are read.
type Pulled struct {
	// Ref is REPOSITORY@sha256:HEX.
	Ref   string
	Image v1.Image      // a single image
	Index v1.ImageIndex // a multi-platform index
}

// Pull opens repository@digest through the client's credentials. Manifests are read within
// MaxManifestSize; go-containerregistry checks every manifest and layer against its digest.
func (c *Client) Pull(ctx context.Context, repository string, digest v1.Hash) (*Pulled, error) {
	repo, err := name.NewRepository(repository)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", printable(repository), err)
	}
	s, err := c.open(ctx, repo, false)
	if err != nil {
		return nil, err
	}
	ref := repo.Digest(digest.String())
	desc, err := remote.Get(ref, remote.WithContext(ctx), remote.WithTransport(s.rt))
	if err != nil {
		return nil, registryError("pulling", repo, digest.String(), s.source, err)
	}
	out := &Pulled{Ref: ref.String()}
	if desc.MediaType.IsIndex() {
		out.Index, err = desc.ImageIndex()
	} else {
		out.Image, err = desc.Image()
	}
	if err != nil {
		return nil, registryError("pulling", repo, digest.String(), s.source, err)
	}
	return out, nil
}

// boundedManifests cuts a manifest response off after MaxManifestSize bytes
// (go-containerregistry reads manifests whole).
type boundedManifests struct{ rt http.RoundTripper }

func (b boundedManifests) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.rt.RoundTrip(req)
	if err != nil || !strings.Contains(req.URL.Path, "/manifests/") {
		return resp, err
	}
	resp.Body = &limitedBody{r: io.LimitReader(resp.Body, MaxManifestSize+1), c: resp.Body}
	return resp, nil
}

type limitedBody struct {
	r io.Reader
	c io.Closer
	n int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > MaxManifestSize {
		return n, fmt.Errorf("%w: manifest larger than %d bytes", ErrTooLarge, MaxManifestSize)
	}
	return n, err
}

func (l *limitedBody) Close() error { return l.c.Close() }

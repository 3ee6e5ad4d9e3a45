// Package registrytest starts go-containerregistry's in-process registry (pkg/registry) for
// tests, with or without its referrers API and optionally behind basic authentication, and
// pushes test images built with its random and mutate packages.
package registrytest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Registry is a running test registry.
type Registry struct {
	// Host is host:port on loopback (go-containerregistry speaks plain HTTP to it).
	Host string
	// Referrers reports whether the registry serves the referrers API.
	Referrers bool
	user      string
	password  string
}

// Option configures Start.
type Option func(*config)

type config struct {
	referrers      bool
	user, password string
	wrap           func(http.Handler) http.Handler
}

// WithReferrers turns the referrers API on.
func WithReferrers() Option { return func(c *config) { c.referrers = true } }

// WithBasicAuth requires this user name and password (challenging with 401 Basic).
func WithBasicAuth(user, password string) Option {
	return func(c *config) { c.user, c.password = user, password }
}

// WithHandler wraps the registry's handler, to tamper with what it serves.
func WithHandler(wrap func(http.Handler) http.Handler) Option {
	return func(c *config) { c.wrap = wrap }
}

// Start runs a registry until the test ends.
func Start(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(c.referrers))
	if c.user != "" {
		h = basicAuth(h, c.user, c.password)
	}
	if c.wrap != nil {
		h = c.wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), Referrers: c.referrers, user: c.user, password: c.password}
}

func basicAuth(next http.Handler, user, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// auth returns the registry's credentials for go-containerregistry's writers.
func (r *Registry) auth() remote.Option {
	if r.user == "" {
		return remote.WithAuth(nil)
	}
	return remote.WithAuthFromKeychain(keychain{r})
}

type keychain struct{ r *Registry }

func (k keychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return &authn.Basic{Username: k.r.user, Password: k.r.password}, nil
}

// Image pushes a random single-platform image to repo:tag (repo below the registry host) and
// returns its digest reference.
func (r *Registry) Image(t testing.TB, repo, tag string) (name.Digest, v1.Image) {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	return r.Put(t, repo, tag, img), img
}

// Put pushes img to repo:tag and returns its digest reference.
func (r *Registry) Put(t testing.TB, repo, tag string, img remote.Taggable) name.Digest {
	t.Helper()
	ref, err := name.NewTag(r.Host + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	switch v := img.(type) {
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, v, r.auth())
	case v1.Image:
		err = remote.Write(ref, v, r.auth())
	default:
		err = remote.Put(ref, v, r.auth())
	}
	if err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	desc, err := remote.Head(ref, r.auth())
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(desc.Digest.String())
}

// Index pushes a two-platform index (linux/amd64, linux/arm64/v8) of random images, plus a
// buildx-style attestation manifest (platform unknown/unknown), to repo:tag.
func (r *Registry) Index(t testing.TB, repo, tag string) (name.Digest, v1.ImageIndex) {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}, {OS: "unknown", Architecture: "unknown"}} {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		p := p
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	ix := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	return r.Put(t, repo, tag, ix), ix
}

package oci

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/signet-ci/signet/internal/backoff"
)

// Media types and annotations of a Sigstore bundle attached as an OCI referrer.
const (
	// BundleMediaType is the bundle layer's media type and the artifact manifest's artifactType.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// EmptyMediaType is the media type of the empty config ("{}") of an artifact manifest.
	EmptyMediaType = "application/vnd.oci.empty.v1+json"
	// AnnotationContent says what the bundle holds ("dsse-envelope").
	AnnotationContent = "dev.sigstore.bundle.content"
	// AnnotationPredicateType is the in-toto predicate type the bundle signs.
	AnnotationPredicateType = "dev.sigstore.bundle.predicateType"
	// AnnotationCreated is when the artifact was made (RFC 3339, UTC, milliseconds).
	AnnotationCreated = "org.opencontainers.image.created"
)

// Bounds on what is read from a registry.
const (
	// MaxManifestSize bounds a manifest, index or referrers list (distribution's own limit).
	MaxManifestSize = 4 << 20
	// MaxBundleSize bounds a bundle layer.
	MaxBundleSize = 16 << 20
	// MaxReferrers bounds the descriptors read from one referrers list or tag-schema index.
	MaxReferrers = 4096
)

// Credential is a user name and password for one registry host, and where they came from.
type Credential struct {
	// Registry is the host (and port) they are for, such as "ghcr.io" or "registry.gitlab.com".
	Registry string
	Username string
	Password string
	// Source names where they came from in errors ("the github-token input"); never a value.
	Source string
}

// keychainSource names credentials found through a keychain in errors.
const keychainSource = "the Docker config (DOCKER_CONFIG, ~/.docker/config.json or a credential helper)"

// anonymousSource names the absence of credentials in errors.
const anonymousSource = "no credentials (anonymous)"

// Client talks to registries. The zero value is not usable; make one with New.
type Client struct {
	keychain authn.Keychain
	creds    []Credential
	base     http.RoundTripper
	retry    backoff.Policy
	now      func() time.Time

	mu       sync.Mutex
	sessions map[string]*session // by scope: one token exchange per repository and access
}

// Option configures a Client.
type Option func(*Client) error

// WithKeychain resolves credentials for registries no explicit credential names
// (authn.DefaultKeychain reads the Docker config and its credential helpers).
func WithKeychain(k authn.Keychain) Option {
	return func(c *Client) error {
		if k == nil {
			return errors.New("oci: nil keychain")
		}
		c.keychain = k
		return nil
	}
}

// WithCredential adds credentials for one registry host; they win over the keychain's.
func WithCredential(cr Credential) Option {
	return func(c *Client) error {
		host := strings.ToLower(strings.TrimSpace(cr.Registry))
		if host == "" || strings.ContainsAny(host, "/ ") {
			return fmt.Errorf("oci: credential registry %q: expected a host such as ghcr.io", cr.Registry)
		}
		if cr.Username == "" || cr.Password == "" {
			return fmt.Errorf("oci: credentials for %s from %s: user name and password must both be given", host, cr.Source)
		}
		if cr.Source == "" {
			return fmt.Errorf("oci: credentials for %s: say where they came from", host)
		}
		reg, err := name.NewRegistry(host)
		if err != nil {
			return fmt.Errorf("oci: credential registry %q: %w", cr.Registry, err)
		}
		cr.Registry = reg.RegistryStr()
		c.creds = append(c.creds, cr)
		return nil
	}
}

// WithTransport sets the HTTP transport under authentication (http.DefaultTransport when unset).
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) error {
		if rt == nil {
			return errors.New("oci: nil transport")
		}
		c.base = rt
		return nil
	}
}

// WithRetry sets the retry rule for registry requests.
func WithRetry(p backoff.Policy) Option {
	return func(c *Client) error {
		if p.Attempts() < 1 {
			return errors.New("oci: retry policy must be made with backoff.New")
		}
		c.retry = p
		return nil
	}
}

// WithClock sets the clock used for the created annotation when none is given.
func WithClock(now func() time.Time) Option {
	return func(c *Client) error {
		if now == nil {
			return errors.New("oci: nil clock")
		}
		c.now = now
		return nil
	}
}

// New returns a Client. Without WithKeychain only explicit credentials are used.
func New(opts ...Option) (*Client, error) {
	retry, err := backoff.New(backoff.WithAttempts(4), backoff.WithDelay(200*time.Millisecond, 3*time.Second))
	if err != nil {
		return nil, err
	}
	c := &Client{base: http.DefaultTransport, retry: retry, now: time.Now, sessions: map[string]*session{}}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// authFor returns the authenticator for a registry and the name of its source. Explicit
// credentials match the registry host exactly (letter case aside): "ghcr.io" credentials
// are never sent to "ghcr.io.example" or "evil-ghcr.io".
func (c *Client) authFor(reg name.Registry) (authn.Authenticator, string, error) {
	host := strings.ToLower(reg.RegistryStr())
	for _, cr := range c.creds {
		if strings.EqualFold(cr.Registry, host) {
			return authn.FromConfig(authn.AuthConfig{Username: cr.Username, Password: cr.Password}), cr.Source, nil
		}
	}
	if c.keychain == nil {
		return authn.Anonymous, anonymousSource, nil
	}
	a, err := c.keychain.Resolve(reg)
	if err != nil {
		return nil, keychainSource, fmt.Errorf("registry %s: reading credentials from %s: %w", host, keychainSource, err)
	}
	if a == nil || a == authn.Anonymous {
		return authn.Anonymous, anonymousSource, nil
	}
	return a, keychainSource, nil
}

// session is an authenticated connection to one repository.
type session struct {
	c      *Client
	repo   name.Repository
	rt     http.RoundTripper
	hc     *http.Client // rt, following redirects (registries send blobs from elsewhere)
	source string
}

// open authenticates to repo for pulling, or pushing too; a session is reused for later
// calls (go-containerregistry's transport renews an expired token itself).
func (c *Client) open(ctx context.Context, repo name.Repository, push bool) (*session, error) {
	key := fmt.Sprintf("%s|%t", repo.Name(), push)
	c.mu.Lock()
	s, ok := c.sessions[key]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := c.dial(ctx, repo, push)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.sessions[key] = s
	c.mu.Unlock()
	return s, nil
}

func (c *Client) dial(ctx context.Context, repo name.Repository, push bool) (*session, error) {
	auth, source, err := c.authFor(repo.Registry)
	if err != nil {
		return nil, err
	}
	scope := repo.Scope(transport.PullScope)
	if push {
		scope = repo.Scope(transport.PushScope)
	}
	var rt http.RoundTripper
	err = c.retry.Do(ctx, "registry "+repo.RegistryStr(), func(ctx context.Context) error {
		var err error
		rt, err = transport.NewWithContext(ctx, repo.Registry, auth, boundedManifests{c.base}, []string{scope})
		return classify(err)
	})
	if err != nil {
		return nil, registryError("authenticating", repo, "", source, err)
	}
	return &session{c: c, repo: repo, rt: rt, hc: &http.Client{Transport: rt}, source: source}, nil
}

// classify marks an error from a registry as permanent unless another attempt may help.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var te *transport.Error
	if errors.As(err, &te) && !te.Temporary() {
		return backoff.Permanent(err)
	}
	var se *StatusError
	if errors.As(err, &se) && se.Status < 500 && se.Status != http.StatusTooManyRequests && se.Status != http.StatusRequestTimeout {
		return backoff.Permanent(err)
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return backoff.Permanent(err)
	}
	return err
}

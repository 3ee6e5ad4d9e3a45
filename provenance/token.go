package provenance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/backoff"
)

// Errors VerifyToken returns (wrapped), so callers can branch on the reason. No error ever
// contains the token. What a token's shape, audience and expiry can tell without its
// signature has core's sentinels, the same whichever package checks it: core.ErrNoToken,
// core.ErrTokenMalformed, core.ErrTokenAudience and core.ErrTokenExpired.
var (
	// ErrTokenSignature means the token's signature does not verify with the issuer's keys.
	ErrTokenSignature = errors.New("OIDC token signature is invalid")
	// ErrTokenIssuer means the token comes from another issuer than the one required.
	ErrTokenIssuer = errors.New("OIDC token issuer is not accepted")
	// ErrTokenNotYetValid means the token's nbf is in the future.
	ErrTokenNotYetValid = errors.New("OIDC token not yet valid")
	// ErrClaim means a claim the caller needs is missing or has the wrong shape.
	ErrClaim = errors.New("OIDC token claim")
	// ErrIssuerUnreachable means the issuer's discovery document or keys could not be fetched.
	ErrIssuerUnreachable = errors.New("OIDC issuer unreachable")
)

// Defaults for fetching the issuer's discovery document and keys.
const (
	DefaultVerifyTimeout = 60 * time.Second
	DefaultAttempts      = 3
	DefaultBackoff       = 500 * time.Millisecond
	attemptTimeout       = 15 * time.Second
	// nbfLeeway tolerates clock skew between the issuer and this machine for nbf only.
	nbfLeeway = time.Minute
)

type verifyConfig struct {
	issuer   string
	audience string
	now      func() time.Time
	base     http.RoundTripper
	timeout  time.Duration
	retry    backoff.Policy
}

// VerifyOption configures VerifyToken.
type VerifyOption func(*verifyConfig) error

// WithIssuer requires the token's iss claim to be exactly issuer. Without it any issuer is
// accepted and the token's own iss is used for discovery (https only, or http on loopback).
func WithIssuer(issuer string) VerifyOption {
	return func(c *verifyConfig) error {
		u, err := url.Parse(issuer)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("WithIssuer(%q): expected an absolute http(s) URL such as https://token.actions.githubusercontent.com", issuer)
		}
		c.issuer = issuer
		return nil
	}
}

// WithAudience requires the token's aud claim to include aud (default core.Audience, the one
// Fulcio accepts).
func WithAudience(aud string) VerifyOption {
	return func(c *verifyConfig) error {
		if aud == "" {
			return errors.New("WithAudience: audience is empty")
		}
		c.audience = aud
		return nil
	}
}

// WithNow sets the clock expiry is checked against (default time.Now).
func WithNow(now func() time.Time) VerifyOption {
	return func(c *verifyConfig) error {
		if now == nil {
			return errors.New("WithNow: clock is nil")
		}
		c.now = now
		return nil
	}
}

// WithHTTPClient fetches the issuer's documents through client's transport (default
// http.DefaultTransport); timeouts and retries are still VerifyToken's.
func WithHTTPClient(client *http.Client) VerifyOption {
	return func(c *verifyConfig) error {
		if client == nil {
			return errors.New("WithHTTPClient: client is nil")
		}
		c.base = client.Transport
		if c.base == nil {
			c.base = http.DefaultTransport
		}
		return nil
	}
}

// WithTimeout bounds the whole verification, fetches and retries included (default
// DefaultVerifyTimeout).
func WithTimeout(d time.Duration) VerifyOption {
	return func(c *verifyConfig) error {
		if d <= 0 {
			return fmt.Errorf("WithTimeout(%s): expected a positive duration", d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetries sets how many times each issuer request is tried (1 to backoff.MaxAttempts) and
// the first pause between tries (positive), doubled after each up to the larger of
// backoff.DefaultMax and first (defaults DefaultAttempts, DefaultBackoff). The retry rule is
// internal/backoff's.
func WithRetries(attempts int, first time.Duration) VerifyOption {
	return func(c *verifyConfig) error {
		p, err := retryPolicy(attempts, first)
		if err != nil {
			return fmt.Errorf("WithRetries(%d, %s): %w", attempts, first, err)
		}
		c.retry = p
		return nil
	}
}

func retryPolicy(attempts int, first time.Duration) (backoff.Policy, error) {
	return backoff.New(backoff.WithAttempts(attempts), backoff.WithDelay(first, max(first, backoff.DefaultMax)))
}

func newVerifyConfig(opts []VerifyOption) (*verifyConfig, error) {
	retry, err := retryPolicy(DefaultAttempts, DefaultBackoff)
	if err != nil {
		return nil, err
	}
	c := &verifyConfig{audience: core.Audience, now: time.Now, base: http.DefaultTransport,
		timeout: DefaultVerifyTimeout, retry: retry}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("verifying OIDC token: %w", err)
		}
	}
	return c, nil
}

// VerifyToken verifies an OIDC identity token and returns its claims. It checks, in order: the
// issuer (WithIssuer, or any issuer reachable over https), the signature against the keys the
// issuer publishes (discovery and JWKS fetched with go-oidc, with a timeout and bounded
// retries), the audience (core.Audience unless WithAudience) and exp/nbf (WithNow). Its errors
// wrap core's token sentinels where core has one (malformed, audience, expired) and never
// contain the token.
func VerifyToken(ctx context.Context, rawToken string, opts ...VerifyOption) (*Claims, error) {
	cfg, err := newVerifyConfig(opts)
	if err != nil {
		return nil, err
	}
	rawToken = strings.TrimSpace(rawToken)
	unverified, err := core.PeekToken(rawToken) // only to learn the issuer to ask for keys
	if err != nil {
		return nil, err
	}
	iss := unverified.String("iss")
	if err := cfg.checkIssuer(iss); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	payload, err := cfg.verifySignature(ctx, iss, rawToken)
	if err != nil {
		return nil, err
	}
	claims, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	if err := cfg.checkAudience(claims); err != nil {
		return nil, err
	}
	return claims, cfg.checkTime(claims)
}

func (c *verifyConfig) checkIssuer(iss string) error {
	if iss == "" {
		return fmt.Errorf("%w: token has no iss claim", ErrTokenIssuer)
	}
	if c.issuer != "" {
		if iss != c.issuer {
			return fmt.Errorf("%w: token issuer %q is not the required issuer %q", ErrTokenIssuer, iss, c.issuer)
		}
		return nil
	}
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return fmt.Errorf("%w: token issuer %q: expected an https URL (http only on loopback) to fetch its keys from", ErrTokenIssuer, iss)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// verifySignature fetches the issuer's keys and verifies the token with go-oidc; expiry and
// audience are checked afterwards so that each failure gets its own error.
func (c *verifyConfig) verifySignature(ctx context.Context, iss, raw string) ([]byte, error) {
	client := &http.Client{Transport: &retryTransport{base: c.base, service: fmt.Sprintf("OIDC issuer %q", iss),
		retry: c.retry, perTry: min(attemptTimeout, c.timeout)}}
	octx := oidc.ClientContext(ctx, client)
	provider, err := oidc.NewProvider(octx, iss)
	if err != nil {
		return nil, discoveryError(iss, err)
	}
	var disc struct {
		JWKS string   `json:"jwks_uri"`
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&disc); err != nil || disc.JWKS == "" {
		return nil, fmt.Errorf("%w: OIDC issuer %q: discovery document has no jwks_uri", ErrIssuerUnreachable, iss)
	}
	keys := &keySet{remote: oidc.NewRemoteKeySet(octx, disc.JWKS)}
	v := oidc.NewVerifier(iss, keys, &oidc.Config{SkipClientIDCheck: true, SkipExpiryCheck: true, SupportedSigningAlgs: disc.Algs})
	tok, err := v.Verify(ctx, raw)
	switch {
	case keys.fetchErr != nil:
		return nil, fmt.Errorf("%w: %w", ErrIssuerUnreachable, keys.fetchErr)
	case err != nil:
		return nil, fmt.Errorf("%w: it does not verify with the keys OIDC issuer %q publishes at %s (%v)", ErrTokenSignature, iss, disc.JWKS, err)
	}
	var payload jsonRaw
	if err := tok.Claims(&payload); err != nil {
		return nil, fmt.Errorf("%w: %w", core.ErrTokenMalformed, err)
	}
	return payload, nil
}

func discoveryError(iss string, err error) error {
	var fe *fetchError
	if errors.As(err, &fe) {
		return fmt.Errorf("%w: %w", ErrIssuerUnreachable, fe)
	}
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return fmt.Errorf("%w: OIDC issuer %q: its discovery document names issuer %q", ErrTokenIssuer, iss, mismatch.Discovered)
	}
	return fmt.Errorf("%w: OIDC issuer %q: discovery at %s/.well-known/openid-configuration: %w",
		ErrIssuerUnreachable, iss, strings.TrimSuffix(iss, "/"), err)
}

// jsonRaw captures a token's payload as bytes.
type jsonRaw []byte

// UnmarshalJSON keeps a copy of the bytes.
func (j *jsonRaw) UnmarshalJSON(b []byte) error {
	*j = append((*j)[:0], b...)
	return nil
}

// keySet wraps go-oidc's remote key set to tell a key fetch failure from a bad signature.
type keySet struct {
	remote   *oidc.RemoteKeySet
	fetchErr error
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	p, err := k.remote.VerifySignature(ctx, jwt)
	var fe *fetchError
	if errors.As(err, &fe) {
		k.fetchErr = fe
	}
	return p, err
}

func (c *verifyConfig) checkAudience(claims *Claims) error {
	aud := claims.Audience()
	if !slices.Contains(aud, c.audience) {
		return fmt.Errorf("%w: token audience %q does not include %q: request the token with audience %q",
			core.ErrTokenAudience, aud, c.audience, c.audience)
	}
	return nil
}

func (c *verifyConfig) checkTime(claims *Claims) error {
	now := c.now().UTC()
	exp := claims.Expiry()
	if exp.IsZero() {
		return fmt.Errorf("%w: token has no numeric exp claim", ErrClaim)
	}
	if !now.Before(exp) {
		return fmt.Errorf("%w: token expired at %s, %s before now (%s): request a fresh token right before signing",
			core.ErrTokenExpired, exp.Format(time.RFC3339), now.Sub(exp).Round(time.Second), now.Format(time.RFC3339))
	}
	if nbf := claims.NotBefore(); !nbf.IsZero() && now.Add(nbfLeeway).Before(nbf) {
		return fmt.Errorf("%w: token is valid from %s, but now is %s: check this machine's clock",
			ErrTokenNotYetValid, nbf.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return nil
}

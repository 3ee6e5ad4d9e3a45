package provenance

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Errors VerifyToken returns (wrapped), so callers can branch on the reason. No error ever
// contains the token.
var (
	// ErrTokenMalformed means the token is not a compact JWS with a JSON payload.
	ErrTokenMalformed = errors.New("OIDC token is malformed")
	// ErrTokenSignature means the token's signature does not verify with the issuer's keys.
	ErrTokenSignature = errors.New("OIDC token signature is invalid")
	// ErrTokenIssuer means the token comes from another issuer than the one required.
	ErrTokenIssuer = errors.New("OIDC token issuer is not accepted")
	// ErrTokenAudience means the token was not issued for the required audience.
	ErrTokenAudience = errors.New("OIDC token audience is wrong")
	// ErrTokenExpired means the token's exp is past.
	ErrTokenExpired = errors.New("OIDC token expired")
	// ErrTokenNotYetValid means the token's nbf is in the future.
	ErrTokenNotYetValid = errors.New("OIDC token not yet valid")
	// ErrClaim means a claim the caller needs is missing or has the wrong shape.
	ErrClaim = errors.New("OIDC token claim")
	// ErrIssuerUnreachable means the issuer's discovery document or keys could not be fetched.
	ErrIssuerUnreachable = errors.New("OIDC issuer unreachable")
)

// DefaultAudience is the audience Fulcio requires.
const DefaultAudience = "sigstore"

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
	attempts int
	backoff  time.Duration
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

// WithAudience requires the token's aud claim to include aud (default DefaultAudience).
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

// WithRetries sets how many times each issuer request is tried (at least 1) and the first
// pause between tries, doubled after each (defaults DefaultAttempts, DefaultBackoff).
func WithRetries(attempts int, backoff time.Duration) VerifyOption {
	return func(c *verifyConfig) error {
		if attempts < 1 || backoff < 0 {
			return fmt.Errorf("WithRetries(%d, %s): expected at least 1 attempt and a backoff of 0 or more", attempts, backoff)
		}
		c.attempts, c.backoff = attempts, backoff
		return nil
	}
}

func newVerifyConfig(opts []VerifyOption) (*verifyConfig, error) {
	c := &verifyConfig{audience: DefaultAudience, now: time.Now, base: http.DefaultTransport,
		timeout: DefaultVerifyTimeout, attempts: DefaultAttempts, backoff: DefaultBackoff}
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
// retries), the audience (DefaultAudience unless WithAudience) and exp/nbf (WithNow).
func VerifyToken(ctx context.Context, rawToken string, opts ...VerifyOption) (*Claims, error) {
	cfg, err := newVerifyConfig(opts)
	if err != nil {
		return nil, err
	}
	unverified, err := peek(rawToken)
	if err != nil {
		return nil, err
	}
	iss := unverified.Issuer()
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

// peek decodes the payload without verifying it, only to learn the issuer to ask for keys.
func peek(raw string) (*Claims, error) {
	parts := strings.Split(strings.TrimSpace(raw), ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: expected a compact JWT (three base64url parts separated by dots), got %d part(s)", ErrTokenMalformed, len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not base64url", ErrTokenMalformed)
	}
	return parseClaims(payload)
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
		attempts: c.attempts, backoff: c.backoff, perTry: min(attemptTimeout, c.timeout)}}
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
		return nil, fmt.Errorf("%w: %w", ErrTokenMalformed, err)
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
			ErrTokenAudience, aud, c.audience, c.audience)
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
			ErrTokenExpired, exp.Format(time.RFC3339), now.Sub(exp).Round(time.Second), now.Format(time.RFC3339))
	}
	if nbf := claims.NotBefore(); !nbf.IsZero() && now.Add(nbfLeeway).Before(nbf) {
		return fmt.Errorf("%w: token is valid from %s, but now is %s: check this machine's clock",
			ErrTokenNotYetValid, nbf.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return nil
}

package localsigstore

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// ErrInvalidOption is returned (wrapped) by Start and Token when an option's value is unusable.
var ErrInvalidOption = errors.New("invalid option")

// DefaultAddr is where Start listens unless WithAddr says otherwise: loopback, any free port.
const DefaultAddr = "127.0.0.1:0"

type options struct {
	stateDir string
	addr     string
	caOrg    string
}

// Option configures Start.
type Option func(*options) error

// WithStateDir keeps the Fulcio CA and the timestamp authority's key and chain in dir, so a
// later Start with the same dir has the same trust material and earlier bundles still verify.
// "" (the default) keeps them in memory and temporary files removed by Close.
func WithStateDir(dir string) Option {
	return func(o *options) error {
		o.stateDir = dir
		return nil
	}
}

// WithAddr sets the host:port to listen on (default DefaultAddr). Port 0 picks a free port.
func WithAddr(addr string) Option {
	return func(o *options) error {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return fmt.Errorf("%w: WithAddr(%q): expected host:port such as %q: %w", ErrInvalidOption, addr, DefaultAddr, err)
		}
		if host == "" || port == "" {
			return fmt.Errorf("%w: WithAddr(%q): expected both a host and a port, such as %q", ErrInvalidOption, addr, DefaultAddr)
		}
		o.addr = addr
		return nil
	}
}

// WithCAOrganization names the organization of a new Fulcio CA (default "signet localsigstore"),
// the value verifiers such as gh read to tell Sigstore instances apart ("GitHub, Inc." is
// GitHub's instance, "sigstore.dev" public-good). It needs WithStateDir, and applies when the
// state directory has no CA yet.
func WithCAOrganization(org string) Option {
	return func(o *options) error {
		if org == "" || strings.ContainsAny(org, "\r\n") {
			return fmt.Errorf("%w: WithCAOrganization(%q): expected a one-line name", ErrInvalidOption, org)
		}
		o.caOrg = org
		return nil
	}
}

func buildOptions(opts []Option) (options, error) {
	o := options{addr: DefaultAddr}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return options{}, err
		}
	}
	if o.caOrg != "" && o.stateDir == "" {
		return options{}, fmt.Errorf("%w: WithCAOrganization needs WithStateDir (the in-memory CA names its own organization)", ErrInvalidOption)
	}
	return o, nil
}

// DefaultAudience is the audience tokens carry unless WithAudience says otherwise; Fulcio
// requires it.
const DefaultAudience = "sigstore"

// DefaultExpiry is how long a token is valid unless WithExpiry says otherwise.
const DefaultExpiry = 10 * time.Minute

type tokenOptions struct {
	claims   map[string]any
	remove   []string
	audience string
	expiry   time.Duration
	issuedAt time.Time
}

// TokenOption configures Token.
type TokenOption func(*tokenOptions) error

// WithClaims merges claims over the preset's defaults (and over iss, aud, iat, nbf, exp, jti).
// A key whose value is nil is kept as a JSON null, as GitLab sends ci_config_ref_uri when the
// pipeline definition lives in another project; use WithoutClaims to leave a claim out.
func WithClaims(claims map[string]any) TokenOption {
	return func(o *tokenOptions) error {
		for k, v := range claims {
			if k == "" {
				return fmt.Errorf("%w: WithClaims: empty claim name", ErrInvalidOption)
			}
			o.claims[k] = v
		}
		return nil
	}
}

// WithoutClaims leaves the named claims out of the token (to emulate a token missing a claim).
func WithoutClaims(names ...string) TokenOption {
	return func(o *tokenOptions) error {
		o.remove = append(o.remove, names...)
		return nil
	}
}

// WithAudience sets the aud claim (default DefaultAudience).
func WithAudience(aud string) TokenOption {
	return func(o *tokenOptions) error {
		if aud == "" {
			return fmt.Errorf("%w: WithAudience: empty audience", ErrInvalidOption)
		}
		o.audience = aud
		return nil
	}
}

// WithExpiry sets exp to iat+d (default DefaultExpiry). A negative d mints an expired token.
func WithExpiry(d time.Duration) TokenOption {
	return func(o *tokenOptions) error {
		if d == 0 {
			return fmt.Errorf("%w: WithExpiry: zero duration", ErrInvalidOption)
		}
		o.expiry = d
		return nil
	}
}

// WithIssuedAt sets iat (and nbf, five seconds earlier) instead of the current time.
func WithIssuedAt(t time.Time) TokenOption {
	return func(o *tokenOptions) error {
		if t.IsZero() {
			return fmt.Errorf("%w: WithIssuedAt: zero time", ErrInvalidOption)
		}
		o.issuedAt = t
		return nil
	}
}

func buildTokenOptions(opts []TokenOption) (tokenOptions, error) {
	o := tokenOptions{claims: map[string]any{}, audience: DefaultAudience, expiry: DefaultExpiry}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return tokenOptions{}, err
		}
	}
	if o.issuedAt.IsZero() {
		o.issuedAt = time.Now()
	}
	return o, nil
}

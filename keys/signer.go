package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/signet-ci/signet/internal/backoff"
)

// DefaultTimeout bounds one call to a KMS or HSM.
const DefaultTimeout = 20 * time.Second

// config is what Open and PublicKey are told by options.
type config struct {
	timeout time.Duration
	retry   backoff.Policy
	pin     string
}

// Option configures Open and PublicKey; each validates its value.
type Option func(*config) error

// WithTimeout bounds each call to the key's service (default DefaultTimeout).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v: expected more than 0", ErrRef, d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetry sets how often a call that failed for a transient reason (a timeout, a reset, a
// 5xx answer) is tried again (default: backoff's defaults).
func WithRetry(p backoff.Policy) Option {
	return func(c *config) error {
		if p.Attempts() < 1 {
			return fmt.Errorf("%w: a retry policy must be made with backoff.New", ErrRef)
		}
		c.retry = p
		return nil
	}
}

// WithPIN is the PKCS#11 user PIN when the URI carries neither pin-value nor pin-source.
func WithPIN(pin string) Option {
	return func(c *config) error {
		c.pin = pin
		return nil
	}
}

func newConfig(opts []Option) (config, error) {
	p, err := backoff.New(backoff.WithAttempts(3), backoff.WithDelay(250*time.Millisecond, 2*time.Second))
	if err != nil {
		return config{}, err
	}
	c := config{timeout: DefaultTimeout, retry: p}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// backend is one KMS or HSM key: it signs digests and reports its public key.
type backend interface {
	public(ctx context.Context) (crypto.PublicKey, error)
	sign(ctx context.Context, digest []byte, h crypto.Hash) ([]byte, error)
	close() error
}

// Signer is a private key held by a KMS or an HSM. It implements crypto.Signer: Sign sends
// the digest to the service under the Open context, and SignContext under the caller's. It is
// safe for concurrent use when its service's client is (sigstore's KMS clients and crypto11 are).
type Signer struct {
	ref Ref
	cfg config
	ctx context.Context
	pub crypto.PublicKey
	b   backend
}

var _ crypto.Signer = (*Signer)(nil)

// Open connects to the KMS or HSM that ref names and fetches the key's public key. A File
// reference is refused: read and parse the PEM file instead.
func Open(ctx context.Context, ref Ref, opts ...Option) (*Signer, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	b, err := openBackend(ctx, ref, cfg)
	if err != nil {
		return nil, err
	}
	s := &Signer{ref: ref, cfg: cfg, ctx: ctx, b: b}
	if s.pub, err = s.fetchPublic(ctx); err != nil {
		_ = b.close()
		return nil, err
	}
	return s, nil
}

// PublicKey fetches the public key of the KMS or HSM key ref names.
func PublicKey(ctx context.Context, ref Ref, opts ...Option) (crypto.PublicKey, error) {
	s, err := Open(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.pub, nil
}

func openBackend(ctx context.Context, ref Ref, cfg config) (backend, error) {
	switch ref.kind {
	case File:
		return nil, fmt.Errorf("%w: %q is a file path, not a KMS or HSM reference", ErrRef, ref.raw)
	case PKCS11:
		return openPKCS11(ref, cfg)
	default:
		return openKMS(ctx, ref)
	}
}

func (s *Signer) fetchPublic(ctx context.Context) (crypto.PublicKey, error) {
	var pub crypto.PublicKey
	err := s.call(ctx, "fetching the public key", func(ctx context.Context) error {
		var err error
		pub, err = s.b.public(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, fmt.Errorf("%w: %s %s returned no public key", ErrService, s.ref.Service(), s.ref)
	}
	return pub, nil
}

// call runs op under the per-call timeout and the retry policy, naming the service and the
// key in the error that ends it.
func (s *Signer) call(ctx context.Context, what string, op func(ctx context.Context) error) error {
	service := fmt.Sprintf("%s %s: %s", s.ref.Service(), s.ref, what)
	err := s.cfg.retry.Do(ctx, service, func(ctx context.Context) error {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
		defer cancel()
		err := op(cctx)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return backoff.Permanent(ctx.Err())
		case errors.Is(cctx.Err(), context.DeadlineExceeded):
			return fmt.Errorf("no answer within %v: %w", s.cfg.timeout, err)
		case permanentErr(err):
			return backoff.Permanent(err)
		}
		return err
	})
	if err == nil {
		return nil
	}
	var be *backoff.Error
	if errors.As(err, &be) {
		return fmt.Errorf("%w: %w", ErrService, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrService, service, err)
}

// Public returns the key's public key, fetched once by Open.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// Sign sends digest to the key's service, under the context Open was given.
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.SignContext(s.ctx, digest, opts)
}

// SignContext sends digest (made with opts.HashFunc()) to the key's service.
func (s *Signer) SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	var sig []byte
	err := s.call(ctx, "signing", func(ctx context.Context) error {
		var err error
		sig, err = s.b.sign(ctx, digest, opts.HashFunc())
		return err
	})
	return sig, err
}

// Ref is the reference the signer was opened from.
func (s *Signer) Ref() Ref { return s.ref }

// Close releases the connection to the service (a PKCS#11 session); it is safe to call twice.
func (s *Signer) Close() error { return s.b.close() }

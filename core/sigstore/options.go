package sigstore

import (
	"fmt"
	"time"

	"github.com/signet-ci/signet/core"
)

// SignerOption configures NewKeylessSigner and NewKeySigner; invalid values are refused.
type SignerOption func(*signerConfig) error

type signerConfig struct {
	tlog *bool
	net  netConfig
	now  func() time.Time
	rec  core.Recorder
}

func newSignerConfig(opts []SignerOption) (signerConfig, error) {
	c := signerConfig{net: defaultNet(), now: time.Now}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return c, fmt.Errorf("signer option: %w", err)
		}
	}
	return c, nil
}

// WithTransparencyLog overrides the signing configuration: false never logs (for private
// repositories), true requires the configuration to list a log. Without this option the
// keyless signer logs when the configuration lists a log. Key-based signers never log.
func WithTransparencyLog(use bool) SignerOption {
	return func(c *signerConfig) error {
		c.tlog = &use
		return nil
	}
}

// WithRecorder times the signer's certificate, timestamp and log phases on r; they nest in
// whatever phase the caller has started (core.Attest's sign).
func WithRecorder(r core.Recorder) SignerOption {
	return func(c *signerConfig) error {
		c.rec = r
		return nil
	}
}

// WithHTTPTimeout sets the timeout of each attempt of every Fulcio, TSA and Rekor call.
func WithHTTPTimeout(d time.Duration) SignerOption {
	return func(c *signerConfig) error { return c.net.setTimeout(d) }
}

// WithRetries sets how many times a call failing with 5xx, 429, a reset connection or a
// timeout is retried (0 to 9, so at most internal/backoff's 10 attempts; default 3).
func WithRetries(n int) SignerOption {
	return func(c *signerConfig) error { return c.net.setRetries(n) }
}

// WithBackoff sets the wait before the first retry, doubled at each retry up to limit. A
// server's Retry-After lengthens a wait, never beyond limit.
func WithBackoff(initial, limit time.Duration) SignerOption {
	return func(c *signerConfig) error { return c.net.setBackoff(initial, limit) }
}

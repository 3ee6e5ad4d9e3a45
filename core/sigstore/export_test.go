package sigstore

import "time"

// WithClock replaces the signer's clock (service selection and certificate expiry) in tests.
func WithClock(now func() time.Time) SignerOption {
	return func(c *signerConfig) error {
		c.now = now
		return nil
	}
}

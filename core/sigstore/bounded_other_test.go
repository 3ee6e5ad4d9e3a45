//go:build !unix

package sigstore_test

import "testing"

// specialTrustFiles returns no cases: outside Unix there are no devices or FIFOs in the file
// system to point the trust options at.
func specialTrustFiles(*testing.T, []byte) []boundedCase { return nil }

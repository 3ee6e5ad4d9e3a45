//go:build !unix && !nolocalsigstore

package cli

import "testing"

// fifoTrustedRoots returns nothing: outside Unix there are no FIFOs in the file system.
func fifoTrustedRoots(*testing.T, string) []trustedRootRefusal { return nil }

//go:build !unix

package verify_test

import "testing"

// specialFiles returns nothing: outside Unix there are no devices or FIFOs in the file system.
func specialFiles(*testing.T) map[string]string { return nil }

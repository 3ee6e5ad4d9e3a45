// Package layering holds the test that keeps signet's packages in the layout of the
// architecture: which package may import which (an allow-list with a reason for every
// third-party module), and that nothing below cli reads the process environment. It has no
// code of its own; run it with go test.
package layering

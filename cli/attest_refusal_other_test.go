//go:build !unix

package cli

// fifoRefusals returns nothing: outside Unix there are no FIFOs in the file system.
func fifoRefusals() []attestRefusal { return nil }

//go:build !unix

package tekton

// fifoTokenFiles returns nothing: outside Unix there are no FIFOs in the file system.
func fifoTokenFiles() []tokenFileCase { return nil }

//go:build !unix

package core

// On systems without O_NONBLOCK/O_NOFOLLOW, os.Root still keeps opens inside the base and
// the same-file check after the open still applies.
const (
	nonblock = 0
	nofollow = 0
)

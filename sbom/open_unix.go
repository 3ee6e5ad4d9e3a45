//go:build unix

package sbom

import (
	"os"
	"syscall"
)

// openFlags open a subject without blocking on a FIFO. Links are followed, as the collector
// follows those inside its base: the content digest check in openSubject is what ties the
// bytes cataloged to the ones signed.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// noFollow makes opening a link fail instead of following it.
const noFollow = syscall.O_NOFOLLOW

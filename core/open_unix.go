//go:build unix

package core

import "syscall"

// Flags for opening subjects: a FIFO must not block the open, and the last path component
// must not be a symlink that is followed.
const (
	nonblock = syscall.O_NONBLOCK
	nofollow = syscall.O_NOFOLLOW
)

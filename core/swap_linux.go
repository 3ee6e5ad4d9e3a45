package core

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange atomically swaps two directories (renameat2 RENAME_EXCHANGE). It reports false,
// with no error, where the file system or kernel cannot exchange.
func exchange(a, b string) (bool, error) {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		return false, nil
	}
	return err == nil, err
}

//go:build unix

package checkout

import (
	"errors"
	"os"
	"syscall"
)

// tryFlock takes an exclusive, non-blocking flock on f; ok is false when another process
// holds it. Closing f, or the process's death, releases it.
func tryFlock(f *os.File) (ok bool, err error) {
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

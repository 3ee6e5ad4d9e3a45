//go:build unix

package core_test

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// peakRSS returns the peak resident set size of the finished process ps in KiB, from
// getrusage (whose maxrss is KiB on Linux and the BSDs, bytes on macOS).
func peakRSS(ps *os.ProcessState) (int64, error) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, fmt.Errorf("process %d: no rusage", ps.Pid())
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return ru.Maxrss / 1024, nil
	}
	return ru.Maxrss, nil
}

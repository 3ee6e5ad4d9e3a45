//go:build !unix

package core_test

import (
	"fmt"
	"os"
	"runtime"
)

// peakRSS fails: a finished process's rusage has no peak memory outside Unix (Windows reports
// only times), so a bound on it cannot be checked there, and the test says so.
func peakRSS(ps *os.ProcessState) (int64, error) {
	return 0, fmt.Errorf("process %d: the peak RSS of a child process is not measured on %s", ps.Pid(), runtime.GOOS)
}

package ci

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/signet-ci/signet/core"
)

// PhaseTime is the time a run spent in one phase, nested phases excluded (docs/metrics.md).
type PhaseTime struct {
	Phase   core.Phase
	Seconds float64
}

// MetricsFile checks a platform's metrics-file input p: a file inside the workspace ws (a path
// relative to it, or absolute inside it), neither the output directory outDir nor inside it
// (each run replaces that directory as a whole, so a record written there by a failed run would
// break its all-or-nothing rule). outDir is relative to ws or absolute; "" checks nothing. It
// returns the file's absolute path; "" for an empty p.
func MetricsFile(p, ws, outDir string) (string, error) {
	if p == "" {
		return "", nil
	}
	if ws == "" {
		return "", errors.New("the workspace is unknown, so the metrics file cannot be placed in it")
	}
	abs := inside(ws, p)
	rel, err := filepath.Rel(ws, abs)
	if err != nil || !filepath.IsLocal(rel) || rel == "." {
		return "", fmt.Errorf("%q: expected a file inside the workspace %q, such as signet-metrics.prom", p, ws)
	}
	if outDir != "" {
		out := inside(ws, outDir)
		if r, err := filepath.Rel(out, abs); err == nil && (r == "." || filepath.IsLocal(r)) {
			return "", fmt.Errorf("%q: expected a file outside the output directory %q, which each run replaces as a whole", p, outDir)
		}
	}
	if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%q: its directory %q does not exist in the workspace: create it first, or name a file of an existing directory", p, filepath.Dir(abs))
	}
	// A directory that is a symbolic link out of the workspace would take the file with it.
	realWS, err1 := filepath.EvalSymlinks(ws)
	realDir, err2 := filepath.EvalSymlinks(filepath.Dir(abs))
	if r, err := filepath.Rel(realWS, realDir); err1 != nil || err2 != nil || err != nil || (r != "." && !filepath.IsLocal(r)) {
		return "", fmt.Errorf("%q: its directory leads out of the workspace %q through a symbolic link", p, ws)
	}
	return abs, nil
}

func inside(ws, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(ws, p)
}

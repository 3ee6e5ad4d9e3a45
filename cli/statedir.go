package cli

import (
	"os"
	"path/filepath"
)

// defaultStateDir is where the local Sigstore keeps its CA and TSA keys:
// $XDG_STATE_HOME/signet/localsigstore, else ~/.local/state/signet/localsigstore.
func defaultStateDir(env Env) string {
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "signet", "localsigstore")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "signet", "localsigstore")
	}
	return filepath.Join(os.TempDir(), "signet", "localsigstore")
}

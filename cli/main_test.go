package cli

import (
	"os"
	"testing"

	"github.com/spf13/pflag"
)

// TestMain gives cobra an empty pflag.CommandLine, as main.go does: the timestamp authority's
// generated server registers flags there at init, and cobra merges that global set into every
// command it runs, which races when tests run commands in parallel.
func TestMain(m *testing.M) {
	pflag.CommandLine = pflag.NewFlagSet("signet", pflag.ContinueOnError)
	os.Exit(m.Run())
}

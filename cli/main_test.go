package cli

import (
	"context"
	"os"
	"testing"

	"github.com/spf13/pflag"
)

// TestMain gives cobra an empty pflag.CommandLine, as main.go does: the timestamp authority's
// generated server registers flags there at init, and cobra merges that global set into every
// command it runs, which races when tests run commands in parallel.
//
// With SIGNET_TEST_CHILD=1 the test binary is signet itself (main.go's wiring), so tests can
// run it as a child process and kill it.
func TestMain(m *testing.M) {
	pflag.CommandLine = pflag.NewFlagSet("signet", pflag.ContinueOnError)
	if os.Getenv("SIGNET_TEST_CHILD") == "1" {
		os.Exit(Run(context.Background(), os.Args[1:], Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

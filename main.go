// Command signet signs a CI pipeline's build outputs keylessly into Sigstore bundles with
// SLSA provenance and SBOMs, and verifies them offline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/signet-ci/signet/cli"
)

func main() {
	// cobra shows pflag.CommandLine as global flags; the timestamp authority's generated server
	// (linked for the embedded local Sigstore) registers its listener flags there at init.
	// signet takes none of them.
	pflag.CommandLine = pflag.NewFlagSet(os.Args[0], pflag.ExitOnError)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// Command signet signs a CI pipeline's build outputs keylessly into Sigstore bundles with
// SLSA provenance and SBOMs, and verifies them offline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/signet-ci/signet/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}

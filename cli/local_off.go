//go:build nolocalsigstore

package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
)

// errNoLocal explains why a release image has no embedded Sigstore.
var errNoLocal = errors.New("this signet was built without the embedded local Sigstore (build tag nolocalsigstore, " +
	"used for the release image to keep Fulcio's and the timestamp authority's server code out of it); " +
	"use --sigstore public or --sigstore DIR, or a full build: go install github.com/signet-ci/signet@latest")

func startLocal(context.Context, string) (localStack, error) { return nil, errNoLocal }

func newSigstoreCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sigstore",
		Short: "Run a local Sigstore (not in this build)",
		RunE:  func(*cobra.Command, []string) error { return errNoLocal },
	}
	cmd.AddCommand(newSigstoreTrustedRootCmd(env)) // needs no embedded Sigstore
	return cmd
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
)

// newSigstoreTrustedRootCmd is `signet sigstore trusted-root`: a Sigstore's trusted root as one
// JSON line, the form gh attestation verify --custom-trusted-root reads (JSON Lines, one
// trusted root a line) and cosign --trusted-root reads too.
func newSigstoreTrustedRootCmd(env Env) *cobra.Command {
	var cfg verifyConfig
	var output string
	cmd := &cobra.Command{
		Use:   "trusted-root",
		Short: "Write a Sigstore's trusted root as one JSON line, for gh attestation verify and cosign",
		Long: `Write the trusted root of a Sigstore as one compact JSON line ending in a newline.

gh attestation verify --custom-trusted-root reads JSON Lines: one trusted root a line. A
pretty-printed trusted_root.json is refused there ("no custom verifier found for issuer"); this
command's output is accepted by gh and by cosign --trusted-root alike. The trusted root is read
the way signet verify --sigstore reads it: the public-good instance's from its TUF repository
(cached), the local Sigstore's from its state directory, a private one's from DIR.`,
		Example: `  signet sigstore trusted-root --sigstore sigstore --output trusted_root.jsonl
  gh attestation verify dist/app --bundle attestations/provenance.sigstore.json --repo org/repo \
    --custom-trusted-root trusted_root.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.StateDir != "" && cfg.Sigstore != "local" {
				return &ExitError{Code: 2, Err: fmt.Errorf("--state-dir %q: it names the local Sigstore's state; "+
					"use it with --sigstore local, not --sigstore %s", cfg.StateDir, cfg.Sigstore)}
			}
			if output == "" {
				return &ExitError{Code: 2, Err: errors.New("--output: expected a file name, or - for standard output")}
			}
			return writeTrustedRoot(cmd.Context(), env, cfg, output)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Sigstore, "sigstore", "public", `Sigstore whose trusted root to write: "public", "github" (GitHub's instance), "local", or a directory holding trusted_root.json`)
	f.StringVar(&cfg.StateDir, "state-dir", "", "state directory of the local Sigstore, with --sigstore local (default: $XDG_STATE_HOME/signet/localsigstore)")
	f.StringVarP(&output, "output", "o", "-", `file to write (replaced atomically), or "-" for standard output`)
	return cmd
}

// writeTrustedRoot reads the trusted root of cfg's Sigstore as signet verify does and writes it
// to output as one JSON line.
func writeTrustedRoot(ctx context.Context, env Env, cfg verifyConfig, output string) error {
	mat, err := loadTrustedRoot(ctx, env, cfg)
	if err != nil {
		return err // names --sigstore
	}
	line, err := trustedRootLine(mat.TrustedRootJSON)
	if err != nil {
		return fmt.Errorf("--sigstore %s: %w", cfg.Sigstore, err)
	}
	if output == "-" {
		if _, err := env.Stdout.Write(line); err != nil {
			return fmt.Errorf("--output -: writing the trusted root: %w", err)
		}
		return nil
	}
	if err := core.WriteFileAtomic(inDir(env, output), line, 0o644); err != nil {
		return fmt.Errorf("--output %q: %w", output, err)
	}
	return nil
}

// trustedRootLine returns a trusted_root.json document as one compact JSON line ending in "\n",
// after checking that the line is one valid Sigstore trusted root.
func trustedRootLine(trustedRootJSON []byte) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, trustedRootJSON); err != nil {
		return nil, fmt.Errorf("%w: %s is not one JSON document: %w", sigstore.ErrTrust, sigstore.TrustedRootFile, err)
	}
	if bytes.ContainsAny(b.Bytes(), "\r\n") {
		// Valid JSON has no raw line breaks inside strings, so Compact leaves none.
		return nil, fmt.Errorf("%w: %s still spans several lines once compacted", sigstore.ErrTrust, sigstore.TrustedRootFile)
	}
	if _, err := sigstore.ParseMaterial(b.Bytes(), nil); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/signet-ci/signet/verify"
)

func newInspectCmd(env Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect BUNDLE|INDEX...",
		Short: "Show what bundles say: who signed, from which source and run, when, which log entry, which subjects",
		Long: `inspect renders what a Sigstore bundle, or every bundle an attest index lists, claims in human
terms: the signer's identity and issuer, the source repository, ref and commit, the run, the signing
certificate's validity, the timestamps and log entries, the subjects and, for SBOMs, package counts.
Nothing is verified: use signet verify to decide.`,
		Example: `  signet inspect attestations/index.json
  signet inspect --format json attestations/provenance.sigstore.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := verify.ParseFormat(format)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			var all []*verify.Inspection
			for _, a := range args {
				ins, err := verify.Inspect(inDir(env, a))
				if err != nil {
					return err
				}
				all = append(all, ins...)
			}
			return verify.RenderInspections(env.Stdout, all, f)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/signet-ci/signet/verify"
)

func newInspectCmd(env Env) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "inspect BUNDLE|INDEX...",
		Short: "Show what bundles say: who signed, from which source and run, when, which log entry, which subjects",
		Long: `inspect renders what a Sigstore bundle, or every bundle an attest index lists, claims in human
terms: the signer's identity and issuer, the source repository, ref and commit, the run, the signing
certificate's validity, the timestamps and log entries, the subjects and, for SBOMs, package counts.
Nothing is verified: use signet verify to decide.`,
		Example: `  signet inspect attestations/index.json
  signet inspect --format json attestations/provenance.sigstore.json
  signet inspect --format html --output claims.html attestations/index.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFormat(format)
			if err == nil && f == verify.FormatMarkdown {
				err = fmt.Errorf("--format %q: inspect writes text, json or html", format)
			}
			if err != nil {
				return err
			}
			var all []*verify.Inspection
			for _, a := range args {
				ins, err := verify.Inspect(inDir(env, a))
				if err != nil {
					return err
				}
				all = append(all, ins...)
			}
			return writeReport(env, output, func(w io.Writer) error {
				if f == verify.FormatHTML {
					return verify.RenderInspectionsHTML(w, all, verify.HTMLOptions{Version: version()})
				}
				return verify.RenderInspections(w, all, f)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json, or html (one self-contained page, labelled unverified)")
	cmd.Flags().StringVar(&output, "output", "", "write to this file instead of standard output")
	return cmd
}

package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

// buildVersion is the release version, set by the release build (internal/release) with
// -ldflags -X; empty otherwise.
var buildVersion string

func newVersionCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print signet's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(env.Stdout, "signet %s (%s, %s/%s)\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

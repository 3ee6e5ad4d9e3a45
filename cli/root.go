// Package cli holds signet's cobra commands. It is the only package that reads the process
// environment and flags; it detects the platform and wires concrete implementations.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Env is what the commands may touch of the process: its environment, streams and directory.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Dir is the working directory subject names are relative to ("" means the process's).
	Dir string
}

// ExitError carries a process exit code; commands return it to fail without usage noise. Err
// may be nil when the command already said why (Run then prints nothing).
type ExitError struct {
	Code int
	Err  error
}

// Error returns Err's message, or names the exit code when Err is nil.
func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns Err.
func (e *ExitError) Unwrap() error { return e.Err }

// Run executes signet with args and returns the process exit code.
func Run(ctx context.Context, args []string, env Env) int {
	root := NewRootCmd(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(env.Stderr, "signet:", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintln(env.Stderr, "signet:", err)
	return 1
}

// NewRootCmd builds the command tree.
func NewRootCmd(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "signet",
		Short:         "Sign CI build outputs keylessly with SLSA provenance and SBOMs; verify them offline",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.AddCommand(newAttestCmd(env), newVerifyCmd(env), newInspectCmd(env), newSBOMCmd(env),
		newProvenanceCmd(env), newSigstoreCmd(env), newPolicyCmd(env), newVersionCmd(env))
	return root
}

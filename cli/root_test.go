package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestExitErrorMessage: an ExitError without Err (which Run accepts: the command already said
// why) has a message naming its exit code instead of panicking, also when wrapped.
func TestExitErrorMessage(t *testing.T) {
	t.Parallel()
	cause := errors.New("verification failed")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "nil Err", err: &ExitError{Code: 3}, want: "exit status 3"},
		{name: "nil Err wrapped", err: fmt.Errorf("verify: %w", &ExitError{Code: 2}), want: "verify: exit status 2"},
		{name: "with Err", err: &ExitError{Code: 1, Err: cause}, want: "verification failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	if !errors.Is(&ExitError{Code: 1, Err: cause}, cause) {
		t.Error("ExitError does not unwrap to its Err")
	}
}

// TestRunExitErrorWithoutErr: a command returning an ExitError with a nil Err fails with its
// code and a message naming it, and prints nothing.
func TestRunExitErrorWithoutErr(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	env := Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr}
	root := NewRootCmd(env)
	root.AddCommand(&cobra.Command{Use: "quiet-fail", RunE: func(*cobra.Command, []string) error {
		return &ExitError{Code: 4}
	}})
	root.SetArgs([]string{"quiet-fail"})
	err := root.ExecuteContext(context.Background())
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 4 {
		t.Fatalf("err = %v, want *ExitError with code 4", err)
	}
	if got := err.Error(); got != "exit status 4" {
		t.Errorf("message %q, want %q", got, "exit status 4")
	}
	if stderr.Len() > 0 {
		t.Errorf("the command printed %q; an ExitError without Err prints nothing", stderr.String())
	}
}

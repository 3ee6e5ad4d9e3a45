package action

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// The action's outputs, as declared in action.yml.
const (
	OutputBundlePath     = "bundle-path"
	OutputIndexPath      = "index-path"
	OutputSubjectCount   = "subject-count"
	OutputAttestationIDs = "attestation-ids"
)

// Output is one step output.
type Output struct {
	Name  string
	Value string
}

// WriteOutputs appends outputs to the file at path (the runner's $GITHUB_OUTPUT) in the
// multi-line form name<<DELIM, value, DELIM, with a fresh random delimiter per value that is
// checked not to occur in it.
func WriteOutputs(path string, outs []Output) error {
	var b strings.Builder
	for _, o := range outs {
		delim, err := delimiter(o.Value)
		if err != nil {
			return fmt.Errorf("writing output %s: %w", o.Name, err)
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	return appendFile("GITHUB_OUTPUT", path, b.String())
}

// delimiter returns a random delimiter that does not occur in value.
func delimiter(value string) (string, error) {
	for range 8 {
		var r [16]byte
		if _, err := rand.Read(r[:]); err != nil {
			return "", fmt.Errorf("random delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(r[:])
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no delimiter found that the value does not contain")
}

// appendFile appends text to one of the runner's file-command files, named by its variable.
func appendFile(variable, path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening $%s file %q: %w", variable, path, err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("writing $%s file %q: %w", variable, path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing $%s file %q: %w", variable, path, err)
	}
	return nil
}

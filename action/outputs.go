package action

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/signet-ci/signet/ci"
)

// The action's outputs, as declared in action.yml.
const (
	OutputBundlePath     = "bundle-path"
	OutputIndexPath      = "index-path"
	OutputSubjectCount   = "subject-count"
	OutputBundleDigests  = "bundle-digests"
	OutputAttestationID  = "attestation-id"
	OutputAttestationURL = "attestation-url"
)

// StepOutput is one step output, as a later step reads it from steps.<id>.outputs.<name>.
type StepOutput struct {
	Name  string
	Value string
}

// stepOutputs are the outputs of a finished run: the provenance bundle, the index, the subject
// count, the sha256 of each bundle file (one a line), and, as actions/attest names them, the id
// and page of the first attestation stored in GitHub's attestation store ("" when none was).
func stepOutputs(out ci.Outcome) ([]StepOutput, error) {
	ix := out.Index
	ids := make([]string, 0, len(ix.Attestations))
	for _, at := range ix.Attestations {
		id, err := fileID(filepath.Join(out.OutputDir, filepath.FromSlash(at.Bundle)))
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	var bundle string
	if b := out.ProvenanceBundle(); b != "" {
		bundle = out.BundlePath(b)
	}
	var storeID, storeURL string
	for _, at := range ix.Attestations {
		if at.Store != nil {
			storeID, storeURL = at.Store.ID, at.Store.URL
			break
		}
	}
	return []StepOutput{
		{OutputBundlePath, bundle},
		{OutputIndexPath, out.IndexPath()},
		{OutputSubjectCount, strconv.Itoa(len(ix.Subjects))},
		{OutputBundleDigests, strings.Join(ids, "\n")},
		{OutputRegistryAttestations, strings.Join(out.Pushed(), "\n")},
		{OutputAttestationID, storeID},
		{OutputAttestationURL, storeURL},
	}, nil
}

// fileID is "sha256:HEX" of the bundle file at path, hashed as it is read.
func fileID(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading bundle %q for the %s output: %w", path, OutputBundleDigests, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading bundle %q for the %s output: %w", path, OutputBundleDigests, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// WriteOutputs appends outputs to the file at path (the runner's $GITHUB_OUTPUT) in the
// multi-line form name<<DELIM, value, DELIM, with a fresh random delimiter per value that is
// checked not to occur in it.
func WriteOutputs(path string, outs []StepOutput) error {
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

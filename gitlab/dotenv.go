package gitlab

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/signet-ci/signet/ci"
)

// Limits of GitLab's dotenv report (artifacts:reports:dotenv): the file must be smaller than
// 5 KB, and self-managed instances accept 20 variables by default (GitLab.com more).
const (
	DotenvMaxBytes     = 5 * 1024
	DotenvMaxVariables = 20
)

// The dotenv report's keys. None is one of the input variables: dotenv variables outrank a
// job's own variables, so a later signet job that needs this one must not inherit its inputs.
const (
	KeyIndex        = "SIGNET_INDEX"
	KeyBundle       = "SIGNET_BUNDLE"
	KeyBundleCount  = "SIGNET_BUNDLE_COUNT"
	KeySubjectCount = "SIGNET_SUBJECT_COUNT"
	KeyIdentity     = "SIGNET_IDENTITY"
	KeyIssuer       = "SIGNET_ISSUER"
	KeyTlog         = "SIGNET_TLOG"
	KeyLogIndex     = "SIGNET_LOG_INDEX"
)

// ErrDotenv means a variable cannot be written to a dotenv report as GitLab reads it.
var ErrDotenv = errors.New("dotenv report")

var dotenvKey = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Variable is one KEY=VALUE line of a dotenv report.
type Variable struct {
	Key, Value string
}

// EncodeDotenv renders vars as a dotenv report GitLab reads back unchanged: keys of ASCII
// letters, digits and _, values without whitespace, quotes or $ (GitLab strips surrounding
// whitespace, keeps quotes, and expands $ when a later job uses the variable), no duplicates,
// and the whole under DotenvMaxBytes and DotenvMaxVariables.
func EncodeDotenv(vars []Variable) ([]byte, error) {
	if len(vars) > DotenvMaxVariables {
		return nil, fmt.Errorf("%w: %d variables, more than the %d a self-managed GitLab accepts by default", ErrDotenv, len(vars), DotenvMaxVariables)
	}
	var b strings.Builder
	seen := map[string]bool{}
	for _, v := range vars {
		if err := checkVariable(v, seen); err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "%s=%s\n", v.Key, v.Value)
	}
	if b.Len() >= DotenvMaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, GitLab requires less than %d", ErrDotenv, b.Len(), DotenvMaxBytes)
	}
	return []byte(b.String()), nil
}

func checkVariable(v Variable, seen map[string]bool) error {
	switch {
	case !dotenvKey.MatchString(v.Key):
		return fmt.Errorf("%w: key %q: GitLab accepts only ASCII letters, digits and _", ErrDotenv, v.Key)
	case seen[v.Key]:
		return fmt.Errorf("%w: key %s appears twice", ErrDotenv, v.Key)
	case !dotenvSafe(v.Value):
		return fmt.Errorf("%w: %s=%q: the value has whitespace, a quote, a backslash, $ or a control character, which "+
			"GitLab's dotenv report does not carry unchanged (choose an output-dir without such characters)", ErrDotenv, v.Key, v.Value)
	}
	seen[v.Key] = true
	return nil
}

// dotenvSafe reports whether GitLab's dotenv report carries value unchanged: no whitespace,
// quote, backslash, $ or control character.
func dotenvSafe(value string) bool {
	if strings.ContainsAny(value, " \t\r\n\v\f\"'`$\\") {
		return false
	}
	for _, r := range value {
		if r < 0x20 || r == 0x7f || r == '\uFEFF' || r == '\uFFFD' {
			return false
		}
	}
	return true
}

// dotenvVariables are the report's variables for a run; paths are relative to the project.
// SIGNET_BUNDLE and SIGNET_LOG_INDEX describe the provenance bundle.
func dotenvVariables(out ci.Outcome) []Variable {
	ix := out.Index
	vars := []Variable{{KeyIndex, out.IndexPath()}}
	prov := out.ProvenanceBundle()
	if prov != "" {
		vars = append(vars, Variable{KeyBundle, out.BundlePath(prov)})
	}
	vars = append(vars,
		Variable{KeyBundleCount, fmt.Sprint(len(ix.Attestations))},
		Variable{KeySubjectCount, fmt.Sprint(len(ix.Subjects))},
	)
	if ix.Signer != nil {
		vars = append(vars, Variable{KeyIdentity, ix.Signer.Subject})
		if ix.Signer.Issuer != "" {
			vars = append(vars, Variable{KeyIssuer, ix.Signer.Issuer})
		}
	}
	tlog := "timestamp-only"
	if ix.Tlog.Used {
		tlog = "logged"
	}
	vars = append(vars, Variable{KeyTlog, tlog})
	for _, a := range ix.Attestations {
		if a.Bundle == prov && a.LogEntry != nil {
			vars = append(vars, Variable{KeyLogIndex, fmt.Sprint(a.LogEntry.Index)})
			break
		}
	}
	return append(vars, registryVariable(out)...)
}

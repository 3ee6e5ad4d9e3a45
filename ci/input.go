package ci

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/keys"
	"github.com/signet-ci/signet/provenance"
)

// Syntax is how a CI platform writes input values: which characters separate the items of a
// list, and how it spells the two booleans.
type Syntax struct {
	// Separators split a list input; items are trimmed and empty ones dropped.
	Separators string
	// True and False are the accepted spellings of the booleans.
	True, False []string
}

// syntaxes is the declared table of each platform's input syntax.
//   - GitHub: lists as actions/attest-build-provenance reads them (newlines or commas), and
//     the YAML 1.2 core booleans the Actions toolkit's getBooleanInput accepts.
//   - GitLab: a component's string input with spaces, commas or newlines between items, and a
//     boolean input, which GitLab renders as true or false.
//   - Tekton: a string param with one item per line (paths may hold spaces and commas), and
//     true or false.
var syntaxes = map[provenance.Platform]Syntax{
	provenance.GitHub: {Separators: "\n\r,", True: []string{"true", "True", "TRUE"}, False: []string{"false", "False", "FALSE"}},
	provenance.GitLab: {Separators: "\n\r, \t", True: []string{"true"}, False: []string{"false"}},
	provenance.Tekton: {Separators: "\n\r", True: []string{"true"}, False: []string{"false"}},
}

// SyntaxOf returns the input syntax of platform p (Tekton's, the strictest, for any other).
func SyntaxOf(p provenance.Platform) Syntax {
	if s, ok := syntaxes[p]; ok {
		return s
	}
	return syntaxes[provenance.Tekton]
}

// Split splits a list input by the syntax's separators, trimming items and dropping empty
// ones; nil when there are none.
func (s Syntax) Split(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(s.Separators, r) }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// InputError is a bad CI input: its name as the user wrote it in the workflow, pipeline or
// TaskRun, where the value came from, what is wrong and, when known, the file and line to fix.
type InputError struct {
	// Input is the input's name in the platform's configuration (subject-path).
	Input string
	// Source is where signet read it (INPUT_SUBJECT-PATH, SIGNET_SUBJECT_PATH); may be "".
	Source string
	// File and Line locate the problem, for an annotation; zero when unknown.
	File string
	Line int
	// Err is what is wrong, and what was expected.
	Err error
}

// Error names the input and what is wrong with it.
func (e *InputError) Error() string {
	if e.Source != "" {
		return fmt.Sprintf("input %s (%s): %v", e.Input, e.Source, e.Err)
	}
	return fmt.Sprintf("input %s: %v", e.Input, e.Err)
}

// Unwrap returns the underlying error, so sentinels of core still match.
func (e *InputError) Unwrap() error { return e.Err }

// Reader reads one platform's inputs and collects every problem, so a run reports all bad
// inputs at once.
type Reader struct {
	syntax Syntax
	lookup func(input string) (value, source string)
	errs   []error
}

// NewReader reads inputs in syntax s; lookup returns an input's raw value and where it was
// read from, by the input's name.
func NewReader(s Syntax, lookup func(input string) (value, source string)) *Reader {
	return &Reader{syntax: s, lookup: lookup}
}

// Named names input as its errors do: "input key (INPUT_KEY)".
func (r *Reader) Named(input string) string {
	if _, src := r.lookup(input); src != "" {
		return fmt.Sprintf("input %s (%s)", input, src)
	}
	return "input " + input
}

// Fail records a problem with input.
func (r *Reader) Fail(input string, err error) {
	_, src := r.lookup(input)
	r.errs = append(r.errs, &InputError{Input: input, Source: src, Err: err})
}

// Err returns every recorded problem (errors.Join of *InputError), or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// String returns the input's value with surrounding whitespace trimmed.
func (r *Reader) String(input string) string {
	v, _ := r.lookup(input)
	return strings.TrimSpace(v)
}

// List returns the items of a list input.
func (r *Reader) List(input string) []string {
	v, _ := r.lookup(input)
	return r.syntax.Split(v)
}

// Bool returns a boolean input, def when it is empty.
func (r *Reader) Bool(input string, def bool) bool {
	v := r.String(input)
	switch {
	case v == "":
		return def
	case slices.Contains(r.syntax.True, v):
		return true
	case slices.Contains(r.syntax.False, v):
		return false
	}
	r.Fail(input, fmt.Errorf("%q: expected %q or %q", v, r.syntax.True[0], r.syntax.False[0]))
	return def
}

// Positive returns a positive whole-number input, 0 when it is empty.
func (r *Reader) Positive(input string) int {
	v := r.String(input)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		r.Fail(input, fmt.Errorf("%q: expected a positive whole number such as 1024", v))
		return 0
	}
	return n
}

// SBOMFormats returns the SBOM formats a list input names, sorted without duplicates.
func (r *Reader) SBOMFormats(input string) []string {
	f, err := core.CheckSBOMFormats(r.List(input))
	if err != nil {
		r.Fail(input, fmt.Errorf("%w, or empty for none", err))
	}
	return f
}

// Digest returns an ALG:HEX digest input in lower case, "" when it is empty.
func (r *Reader) Digest(input string) string {
	v := r.String(input)
	if v == "" {
		return ""
	}
	alg, h, err := core.ParseDigest(v)
	if err != nil {
		r.Fail(input, fmt.Errorf("%w; give the digest as sha256:<64 hex digits>, for example the output of "+
			"`sha256sum` prefixed with \"sha256:\"", err))
		return ""
	}
	return alg + ":" + h
}

// Pair records a problem when exactly one of two inputs that go together is given.
func (r *Reader) Pair(a, b string) {
	av, bv := r.String(a), r.String(b)
	switch {
	case av != "" && bv == "":
		r.Fail(b, fmt.Errorf("missing: %s is set, so set %s too (they go together)", a, b))
	case av == "" && bv != "":
		r.Fail(a, fmt.Errorf("missing: %s is set, so set %s too (they go together)", b, a))
	}
}

// KeySchemes lists the key references a key input takes besides a file (docs/keys.md).
const KeySchemes = "awskms://, gcpkms://, azurekms://, hashivault://, pkcs11:"

// Key reads a signing-key input: a KMS or HSM reference (KeySchemes), returned as given, or a
// PEM private key file, resolved against dir (the workspace; "" leaves it relative) and
// required to be a regular file. The value is never shown when it may be key material (it
// holds whitespace or a PEM header), and a PKCS#11 PIN never is.
func (r *Reader) Key(input, dir string) string {
	v := r.String(input)
	switch {
	case v == "":
		return ""
	case strings.Contains(v, "-----BEGIN"):
		r.Fail(input, fmt.Errorf("holds PEM key material (not shown): write the key to a file and give its path, "+
			"or give a KMS or HSM reference (%s)", KeySchemes))
		return ""
	case strings.ContainsFunc(v, unicode.IsSpace):
		r.Fail(input, fmt.Errorf("holds whitespace (the value is not shown): expected one file path or key reference "+
			"(%s) without whitespace", KeySchemes))
		return ""
	}
	ref, err := keys.Parse(v)
	if err != nil {
		r.Fail(input, err)
		return ""
	}
	if !ref.IsFile() {
		return v
	}
	path := v
	if dir != "" && !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		r.Fail(input, fmt.Errorf("%q: there is no file %q: expected a PEM private key file (a relative path is "+
			"relative to the workspace), or a KMS or HSM reference (%s)", v, path, KeySchemes))
		return ""
	case !fi.Mode().IsRegular():
		r.Fail(input, fmt.Errorf("%q is not a regular file: expected a PEM private key file", v))
		return ""
	}
	return path
}

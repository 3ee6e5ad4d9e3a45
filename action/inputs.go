package action

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/signet-ci/signet/core"
)

// The action's inputs, as declared in action.yml. The runner exports each as INPUT_<NAME>
// upper-cased with hyphens kept, for example INPUT_SUBJECT-PATH.
const (
	InputSubjectPath      = "subject-path"
	InputSubjectName      = "subject-name"
	InputSubjectDigest    = "subject-digest"
	InputSubjectChecksums = "subject-checksums"
	InputSBOM             = "sbom"
	InputPredicateType    = "predicate-type"
	InputPredicatePath    = "predicate-path"
	InputSigstore         = "sigstore"
	InputOutputDir        = "output-dir"
	InputMaxSubjects      = "max-subjects"
	InputPrivateRepoTlog  = "private-repo-tlog"
	InputShowSummary      = "show-summary"
)

// SBOM formats the sbom input accepts.
var sbomFormats = []string{"spdx-json", "cyclonedx-json"}

// InputError is a bad action input: which input, what was wrong, and optionally the file and
// line the problem is in (for the ::error annotation).
type InputError struct {
	Input string
	File  string
	Line  int
	Err   error
}

// Error names the input and what is wrong with it.
func (e *InputError) Error() string { return fmt.Sprintf("input %s: %v", e.Input, e.Err) }

// Unwrap returns the underlying error, so sentinel errors of core still match.
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(input, format string, args ...any) *InputError {
	return &InputError{Input: input, Err: fmt.Errorf(format, args...)}
}

// Inputs are the action's inputs, parsed. Empty values mean the input was not given, and the
// command's own default (the same as action.yml's) applies.
type Inputs struct {
	SubjectPaths     []string
	SubjectName      string
	SubjectDigest    string // ALG:HEX, lower-case
	SubjectChecksums []string
	SBOM             []string
	PredicateType    string
	PredicatePath    string
	Sigstore         string
	OutputDir        string
	MaxSubjects      int
	PrivateRepoTlog  bool
	ShowSummary      bool
}

// ReadInputs reads every input from getenv and validates them all, so one run reports every bad
// input at once (errors.Join of *InputError).
func ReadInputs(getenv func(string) string) (Inputs, error) {
	gha := githubactions.New(githubactions.WithGetenv(getenv))
	var in Inputs
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	in.SubjectPaths = splitList(gha.GetInput(InputSubjectPath))
	in.SubjectChecksums = splitList(gha.GetInput(InputSubjectChecksums))
	in.SubjectName = gha.GetInput(InputSubjectName)
	var err error
	in.SubjectDigest, err = readDigest(gha, in.SubjectName)
	keep(err)
	in.SBOM, err = readSBOM(gha.GetInput(InputSBOM))
	keep(err)
	in.PredicateType = gha.GetInput(InputPredicateType)
	in.PredicatePath = gha.GetInput(InputPredicatePath)
	keep(checkPair(InputPredicateType, in.PredicateType, InputPredicatePath, in.PredicatePath))
	in.Sigstore = gha.GetInput(InputSigstore)
	in.OutputDir = gha.GetInput(InputOutputDir)
	in.MaxSubjects, err = readPositive(InputMaxSubjects, gha.GetInput(InputMaxSubjects))
	keep(err)
	in.PrivateRepoTlog, err = readBool(InputPrivateRepoTlog, gha.GetInput(InputPrivateRepoTlog), false)
	keep(err)
	in.ShowSummary, err = readBool(InputShowSummary, gha.GetInput(InputShowSummary), true)
	keep(err)
	return in, errors.Join(errs...)
}

// splitList splits a newline- or comma-separated list, trimming blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// readDigest reads subject-digest, which goes with subject-name.
func readDigest(gha *githubactions.Action, name string) (string, error) {
	d := gha.GetInput(InputSubjectDigest)
	if err := checkPair(InputSubjectName, name, InputSubjectDigest, d); err != nil || d == "" {
		return "", err
	}
	alg, h, err := core.ParseDigest(d)
	if err != nil {
		return "", &InputError{Input: InputSubjectDigest, Err: fmt.Errorf("%w; give the digest as sha256:<64 hex digits>, "+
			"for example the output of `sha256sum` prefixed with \"sha256:\"", err)}
	}
	return alg + ":" + h, nil
}

// checkPair fails when exactly one of two inputs that go together is given.
func checkPair(aName, a, bName, b string) error {
	switch {
	case a != "" && b == "":
		return inputErr(bName, "missing: %s is set, so set %s too (they go together)", aName, bName)
	case a == "" && b != "":
		return inputErr(aName, "missing: %s is set, so set %s too (they go together)", bName, aName)
	}
	return nil
}

func readSBOM(s string) ([]string, error) {
	formats := splitList(s)
	for _, f := range formats {
		if !slices.Contains(sbomFormats, f) {
			return nil, inputErr(InputSBOM, "%q: expected %s, a comma list of them, or empty", f, strings.Join(sbomFormats, " or "))
		}
	}
	return formats, nil
}

func readPositive(name, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, inputErr(name, "%q: expected a positive whole number such as 1024", s)
	}
	return n, nil
}

// readBool accepts the YAML 1.2 core booleans, as the Actions toolkit's getBooleanInput does.
func readBool(name, s string, def bool) (bool, error) {
	switch s {
	case "":
		return def, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return def, inputErr(name, "%q: expected \"true\" or \"false\"", s)
}

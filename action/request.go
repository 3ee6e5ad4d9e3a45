package action

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ci/signet/core"
)

// ErrNoWorkspace means GITHUB_WORKSPACE is not set: the adapter is not running in an Actions job.
var ErrNoWorkspace = errors.New("GITHUB_WORKSPACE is not set: the GitHub adapter runs inside a GitHub Actions job " +
	"(outside one, pass --platform local)")

// Request is an attest run as the action's inputs describe it, with every path resolved against
// the workspace. Zero values mean "not given": the command's defaults apply.
type Request struct {
	// Workspace is GITHUB_WORKSPACE, absolute, with symlinks resolved.
	Workspace string
	// Subjects: Paths as given (relative to Workspace), ChecksumFiles absolute, Refs NAME@ALG:HEX.
	Subjects        core.Inputs
	SBOMFormats     []string
	PredicateType   string
	PredicatePath   string // absolute
	Sigstore        string // "", "public", or an absolute directory
	OutputDir       string // "", or absolute and inside Workspace
	MaxSubjects     int
	PrivateRepoTlog bool
	ShowSummary     bool
}

// Workspace returns GITHUB_WORKSPACE as an absolute path with symlinks resolved.
func Workspace(getenv func(string) string) (string, error) {
	ws := getenv("GITHUB_WORKSPACE")
	if ws == "" {
		return "", ErrNoWorkspace
	}
	abs, err := filepath.Abs(ws)
	if err != nil {
		return "", fmt.Errorf("GITHUB_WORKSPACE %q: %w", ws, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs, nil
}

// NewRequest reads the inputs from getenv and resolves them against the workspace. It reports
// every bad input at once (errors.Join of *InputError).
func NewRequest(getenv func(string) string) (Request, error) {
	in, inErr := ReadInputs(getenv)
	ws, err := Workspace(getenv)
	if err != nil {
		return Request{}, errors.Join(inErr, err)
	}
	r, resErr := resolve(ws, in)
	return r, errors.Join(inErr, resErr)
}

func resolve(ws string, in Inputs) (Request, error) {
	r := Request{Workspace: ws, SBOMFormats: in.SBOM, PredicateType: in.PredicateType, MaxSubjects: in.MaxSubjects,
		PrivateRepoTlog: in.PrivateRepoTlog, ShowSummary: in.ShowSummary, Subjects: core.Inputs{Paths: in.SubjectPaths}}
	var errs []error
	for _, p := range in.SubjectPaths {
		errs = append(errs, checkSubjectPath(ws, p))
	}
	for _, f := range in.SubjectChecksums {
		abs, err := existing(ws, InputSubjectChecksums, f, "a sha256sum-style file")
		errs = append(errs, err)
		r.Subjects.ChecksumFiles = append(r.Subjects.ChecksumFiles, abs)
	}
	if in.SubjectName != "" && in.SubjectDigest != "" {
		r.Subjects.Refs = []string{in.SubjectName + "@" + in.SubjectDigest}
	}
	var err error
	if in.PredicatePath != "" {
		r.PredicatePath, err = existing(ws, InputPredicatePath, in.PredicatePath, "a JSON file holding the predicate")
		errs = append(errs, err)
	}
	r.Sigstore, err = resolveSigstore(ws, in.Sigstore)
	errs = append(errs, err)
	if in.OutputDir != "" {
		r.OutputDir, err = inside(ws, InputOutputDir, in.OutputDir)
		errs = append(errs, err)
	}
	return r, errors.Join(errs...)
}

// checkSubjectPath fails early for a literal path that does not exist; globs are expanded by core.
func checkSubjectPath(ws, p string) error {
	if strings.ContainsAny(p, "*?[") {
		return nil
	}
	_, err := os.Lstat(join(ws, p))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &InputError{Input: InputSubjectPath, Err: fmt.Errorf("%q matched nothing in the workspace %q: "+
			"check the path and that an earlier step wrote it there%s", p, ws, absHint(p))}
	case err != nil:
		return &InputError{Input: InputSubjectPath, Err: fmt.Errorf("%q: %w", p, err)}
	}
	return nil
}

// absHint explains the usual cause of a missing absolute path in a container action.
func absHint(p string) string {
	if !filepath.IsAbs(p) {
		return ""
	}
	return " (in a container action ${{ github.workspace }} names the runner's path, not the container's: " +
		"give paths relative to the workspace)"
}

// existing resolves p against the workspace and checks that it exists.
func existing(ws, input, p, what string) (string, error) {
	abs := join(ws, p)
	if _, err := os.Stat(abs); err != nil {
		return abs, &InputError{Input: input, Err: fmt.Errorf("%q: expected %s in the workspace: %w%s", p, what, err, absHint(p))}
	}
	return abs, nil
}

// resolveSigstore keeps "public" and resolves anything else as a directory in the workspace.
func resolveSigstore(ws, s string) (string, error) {
	if s == "" || s == "public" {
		return s, nil
	}
	dir := join(ws, s)
	for _, f := range []string{"trusted_root.json", "signing_config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return dir, &InputError{Input: InputSigstore, Err: fmt.Errorf("%q: expected \"public\" or a directory holding "+
				"trusted_root.json and signing_config.json: %w", s, err)}
		}
	}
	return dir, nil
}

// inside resolves p against the workspace and refuses a path outside it.
func inside(ws, input, p string) (string, error) {
	abs := join(ws, p)
	rel, err := filepath.Rel(ws, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return abs, inputErr(input, "%q is outside the workspace %q: give a directory inside it, such as \"attestations\"", p, ws)
	}
	return abs, nil
}

func join(ws, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(ws, p)
}

// Rel returns path relative to the workspace, slash-separated, or path itself when it lies
// outside the workspace.
func Rel(ws, path string) string {
	rel, err := filepath.Rel(ws, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return filepath.ToSlash(rel)
}

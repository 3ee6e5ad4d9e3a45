package action

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/provenance"
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
	InputGitHubToken      = "github-token"
)

// ErrNoWorkspace means GITHUB_WORKSPACE is not set: the adapter is not running in an Actions job.
var ErrNoWorkspace = errors.New("GITHUB_WORKSPACE is not set: the GitHub adapter runs inside a GitHub Actions job " +
	"(outside one, pass --platform local)")

// inputVariable is the variable the runner exports input as: INPUT_ and the name upper-cased,
// hyphens kept (the runner replaces only spaces, which no input name of signet has).
func inputVariable(input string) string { return "INPUT_" + strings.ToUpper(input) }

// inputs reads the step's inputs in GitHub's syntax: lists split at newlines and commas, the
// YAML 1.2 core booleans.
func inputs(getenv func(string) string) *ci.Reader {
	return ci.NewReader(ci.SyntaxOf(provenance.GitHub), func(input string) (string, string) {
		v := inputVariable(input)
		return getenv(v), v
	})
}

// workspace returns GITHUB_WORKSPACE as an absolute path with symlinks resolved.
func workspace(getenv func(string) string) (string, error) {
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

// readPlan reads every input, recording each problem in r, and resolves the paths they name
// against the workspace ws (unless ws is "", when the workspace is unknown).
func readPlan(r *ci.Reader, ws string) ci.Plan {
	p := ci.Plan{Dir: ws}
	p.Subjects.Paths = r.List(InputSubjectPath)
	checksums := r.List(InputSubjectChecksums)
	r.Pair(InputSubjectName, InputSubjectDigest)
	if name, digest := r.String(InputSubjectName), r.Digest(InputSubjectDigest); name != "" && digest != "" {
		p.Subjects.Refs = []string{name + "@" + digest}
	}
	s := &p.Settings
	s.SBOMFormats = r.SBOMFormats(InputSBOM)
	r.Pair(InputPredicateType, InputPredicatePath)
	s.PredicateType = r.String(InputPredicateType)
	predicate, sigstore, outDir := r.String(InputPredicatePath), r.String(InputSigstore), r.String(InputOutputDir)
	s.MaxSubjects = r.Positive(InputMaxSubjects)
	s.PrivateRepoTlog = r.Bool(InputPrivateRepoTlog, false)
	r.Bool(InputShowSummary, true) // read by Publish; checked here with the others
	r.String(InputGitHubToken)     // read by Publish, which uploads to the attestation store
	if ws == "" {
		return p
	}
	in := resolver{r: r, ws: ws}
	for _, path := range p.Subjects.Paths {
		in.subjectPath(path)
	}
	for _, f := range checksums {
		p.Subjects.ChecksumFiles = append(p.Subjects.ChecksumFiles, in.existing(InputSubjectChecksums, f, "a sha256sum-style file"))
	}
	if predicate != "" {
		s.PredicatePath = in.existing(InputPredicatePath, predicate, "a JSON file holding the predicate")
	}
	s.Sigstore = in.sigstore(sigstore)
	if outDir != "" {
		s.OutputDir = in.inside(InputOutputDir, outDir)
	}
	return p
}

// resolver resolves the paths inputs name against the workspace, recording problems in r.
type resolver struct {
	r  *ci.Reader
	ws string
}

// subjectPath fails early for a literal path that does not exist; globs are expanded by core.
func (in resolver) subjectPath(p string) {
	if strings.ContainsAny(p, "*?[") {
		return
	}
	_, err := os.Lstat(in.join(p))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		in.r.Fail(InputSubjectPath, fmt.Errorf("%q matched nothing in the workspace %q: "+
			"check the path and that an earlier step wrote it there%s", p, in.ws, absHint(p)))
	case err != nil:
		in.r.Fail(InputSubjectPath, fmt.Errorf("%q: %w", p, err))
	}
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
func (in resolver) existing(input, p, what string) string {
	abs := in.join(p)
	if _, err := os.Stat(abs); err != nil {
		in.r.Fail(input, fmt.Errorf("%q: expected %s in the workspace: %w%s", p, what, err, absHint(p)))
	}
	return abs
}

// sigstore keeps "" and "public" and resolves anything else as a directory in the workspace
// holding a Sigstore's trust material.
func (in resolver) sigstore(s string) string {
	if s == "" || s == "public" {
		return s
	}
	dir := in.join(s)
	for _, f := range []string{"trusted_root.json", "signing_config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			in.r.Fail(InputSigstore, fmt.Errorf("%q: expected \"public\" or a directory holding "+
				"trusted_root.json and signing_config.json: %w", s, err))
			break
		}
	}
	return dir
}

// inside resolves p against the workspace and refuses a path outside it.
func (in resolver) inside(input, p string) string {
	abs := in.join(p)
	if rel, err := filepath.Rel(in.ws, abs); err != nil || !filepath.IsLocal(rel) && rel != "." {
		in.r.Fail(input, fmt.Errorf("%q is outside the workspace %q: give a directory inside it, such as \"attestations\"", p, in.ws))
	}
	return abs
}

func (in resolver) join(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(in.ws, p)
}

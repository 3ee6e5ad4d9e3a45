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
	InputPredicate        = "predicate"
	InputSBOMPath         = "sbom-path"
	InputKey              = "key"
	InputMetricsFile      = "metrics-file"
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
//
// Absolute subject paths inside the workspace, as ${{ github.workspace }}/dist/* writes them,
// become workspace-relative; aliases are other spellings of the workspace (GITHUB_WORKSPACE as
// the runner gave it, before symlinks were resolved).
func readPlan(r *ci.Reader, ws string, aliases ...string) ci.Plan {
	p := ci.Plan{Dir: ws}
	p.Subjects.Paths = r.List(InputSubjectPath)
	for i, path := range p.Subjects.Paths {
		p.Subjects.Paths[i] = inWorkspace(path, append([]string{ws}, aliases...))
	}
	checksums := r.List(InputSubjectChecksums)
	r.Pair(InputSubjectName, InputSubjectDigest)
	if name, digest := r.String(InputSubjectName), r.Digest(InputSubjectDigest); name != "" && digest != "" {
		p.Subjects.Refs = []string{name + "@" + digest}
	}
	s := &p.Settings
	s.SBOMFormats = r.SBOMFormats(InputSBOM)
	s.PredicateType = r.String(InputPredicateType)
	predicate, sigstore, outDir := r.String(InputPredicatePath), r.String(InputSigstore), r.String(InputOutputDir)
	inline, sbomPath := r.String(InputPredicate), r.String(InputSBOMPath)
	customPredicate(r, s.PredicateType, predicate, inline, sbomPath)
	if inline != "" && s.PredicateType != "" {
		b, err := ci.InlinePredicate(inline)
		if err != nil {
			r.Fail(InputPredicate, err)
		}
		s.Predicate = b
	}
	s.MaxSubjects = r.Positive(InputMaxSubjects)
	s.PrivateRepoTlog = r.Bool(InputPrivateRepoTlog, false)
	r.Bool(InputShowSummary, true) // read by Publish; checked here with the others
	// key: a relative file is relative to the workspace.
	if s.Key = r.Key(InputKey, ws); s.Key != "" {
		s.KeyFrom = r.Named(InputKey)
	}
	// github-token is read by readImages (ghcr.io) and by Publish (the attestation store).
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
	if sbomPath != "" && s.PredicateType == "" {
		s.PredicatePath = in.join(sbomPath)
		if typ, err := ci.ReadSBOMDocument(s.PredicatePath); err != nil {
			in.r.Fail(InputSBOMPath, fmt.Errorf("%q: expected an SPDX or CycloneDX JSON document in the workspace: %w%s", sbomPath, err, absHint(sbomPath)))
		} else {
			s.PredicateType = typ
		}
	}
	s.Sigstore = in.sigstore(sigstore)
	if outDir != "" {
		s.OutputDir = in.inside(InputOutputDir, outDir)
	}
	metrics, err := ci.MetricsFile(r.String(InputMetricsFile), ws, s.OutputDir)
	if err != nil {
		r.Fail(InputMetricsFile, err)
	}
	s.MetricsFile = metrics
	return p
}

// customPredicate checks the inputs of the one custom predicate a run signs besides the
// provenance: predicate-type with predicate-path or an inline predicate, or an sbom-path whose
// document gives the type (as actions/attest-sbom).
func customPredicate(r *ci.Reader, typ, path, inline, sbomPath string) {
	switch {
	case sbomPath != "" && (typ != "" || path != "" || inline != ""):
		r.Fail(InputSBOMPath, fmt.Errorf("%q: give sbom-path alone, or predicate-type with predicate-path or predicate: "+
			"a run signs one custom predicate besides the provenance", sbomPath))
	case path != "" && inline != "":
		r.Fail(InputPredicate, errors.New("give predicate (JSON) or predicate-path (a file), not both"))
	case typ != "" && path == "" && inline == "":
		r.Fail(InputPredicatePath, fmt.Errorf("missing: %s is set, so set %s or %s too", InputPredicateType, InputPredicatePath, InputPredicate))
	case typ == "" && path != "":
		r.Fail(InputPredicateType, fmt.Errorf("missing: %s is set, so set %s too (they go together)", InputPredicatePath, InputPredicateType))
	case typ == "" && inline != "":
		r.Fail(InputPredicateType, fmt.Errorf("missing: %s is set, so set %s too (they go together)", InputPredicate, InputPredicateType))
	}
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

// inWorkspace returns an absolute path (or glob) under one of the workspace's spellings as a
// path relative to the workspace; anything else unchanged.
func inWorkspace(p string, spellings []string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	clean := filepath.Clean(p)
	for _, ws := range spellings {
		if ws == "" || !filepath.IsAbs(ws) {
			continue
		}
		if rel, err := filepath.Rel(filepath.Clean(ws), clean); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return p
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

// sigstore keeps "", "auto", "public" and "github" and resolves anything else as a directory
// in the workspace holding a Sigstore's trust material ("./github" for a directory of that name).
func (in resolver) sigstore(s string) string {
	switch s {
	case "", "auto", "public", "github":
		return s
	}
	dir := in.join(s)
	for _, f := range []string{"trusted_root.json", "signing_config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			in.r.Fail(InputSigstore, fmt.Errorf("%q: expected \"auto\", \"public\", \"github\" or a directory holding "+
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

package gitlab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// The job variables through which signet's component passes its inputs. The template sets
// each from $[[ inputs.* ]] in the job's variables:, so no input is ever part of a shell line.
const (
	VarSubjectPath      = "SIGNET_SUBJECT_PATH"
	VarSubjectName      = "SIGNET_SUBJECT_NAME"
	VarSubjectDigest    = "SIGNET_SUBJECT_DIGEST"
	VarSubjectChecksums = "SIGNET_SUBJECT_CHECKSUMS"
	VarSBOM             = "SIGNET_SBOM"
	VarPredicateType    = "SIGNET_PREDICATE_TYPE"
	VarPredicatePath    = "SIGNET_PREDICATE_PATH"
	VarSigstore         = "SIGNET_SIGSTORE"
	VarOutputDir        = "SIGNET_OUTPUT_DIR"
	VarMaxSubjects      = "SIGNET_MAX_SUBJECTS"
	VarPrivateRepoTlog  = "SIGNET_PRIVATE_REPO_TLOG"
	VarKey              = "SIGNET_KEY"
	// VarDotenv names the file the dotenv report is written to (artifacts:reports:dotenv).
	VarDotenv = "SIGNET_DOTENV"
	// VarAnnotations names the file the annotations report is written to
	// (artifacts:reports:annotations).
	VarAnnotations = "SIGNET_ANNOTATIONS"
	// VarMetricsFile names the file the run's metrics are written to, in the Prometheus text
	// format, also when the run fails (artifacts:reports:metrics); relative to CI_PROJECT_DIR.
	VarMetricsFile = "SIGNET_METRICS_FILE"
)

// The component's inputs signet reads, by their names in templates/attest.yml.
const (
	inputSubjectPath      = "subject-path"
	inputSubjectName      = "subject-name"
	inputSubjectDigest    = "subject-digest"
	inputSubjectChecksums = "subject-checksums"
	inputSBOM             = "sbom"
	inputPredicateType    = "predicate-type"
	inputPredicatePath    = "predicate-path"
	inputSigstore         = "sigstore"
	inputOutputDir        = "output-dir"
	inputMaxSubjects      = "max-subjects"
	inputPrivateRepoTlog  = "private-repo-tlog"
	inputKey              = "key"
)

// InputVariable returns the job variable the template sets from the component input named
// input, or "" for an input signet does not read (stage, job-name, expire-in, image).
func InputVariable(input string) string {
	switch input {
	case inputSubjectPath:
		return VarSubjectPath
	case inputSubjectName:
		return VarSubjectName
	case inputSubjectDigest:
		return VarSubjectDigest
	case inputSubjectChecksums:
		return VarSubjectChecksums
	case inputSBOM:
		return VarSBOM
	case inputPredicateType:
		return VarPredicateType
	case inputPredicatePath:
		return VarPredicatePath
	case inputSigstore:
		return VarSigstore
	case inputOutputDir:
		return VarOutputDir
	case inputMaxSubjects:
		return VarMaxSubjects
	case inputPrivateRepoTlog:
		return VarPrivateRepoTlog
	case inputKey:
		return VarKey
	}
	return imageVariable(input)
}

// InputVariables lists every variable the adapter reads, in the template's order.
func InputVariables() []string {
	return []string{VarSubjectPath, VarSubjectName, VarSubjectDigest, VarSubjectChecksums, VarSBOM,
		VarPredicateType, VarPredicatePath, VarSigstore, VarOutputDir, VarMaxSubjects, VarPrivateRepoTlog,
		VarSubjectImage, VarImagePlatforms, VarKey, VarPushToRegistry, VarDotenv, VarAnnotations, VarMetricsFile}
}

// readInputs reads the component's inputs from the job variables in GitLab's input syntax,
// resolving the sigstore directory against projectDir. Every unusable input is reported at
// once, each a *ci.InputError naming the input and its variable.
func readInputs(getenv func(string) string, projectDir string) (core.Inputs, ci.Settings, error) {
	r := ci.NewReader(ci.SyntaxOf(provenance.GitLab), func(input string) (string, string) {
		v := InputVariable(input)
		return getenv(v), v
	})
	subjects := core.Inputs{Paths: r.List(inputSubjectPath), ChecksumFiles: r.List(inputSubjectChecksums)}
	r.Pair(inputSubjectName, inputSubjectDigest)
	if name, digest := r.String(inputSubjectName), r.Digest(inputSubjectDigest); name != "" && digest != "" {
		subjects.Refs = []string{name + "@" + digest}
		subjects.RefsFrom = "input " + inputSubjectName + " (" + VarSubjectName + ")"
	}
	r.Pair(inputPredicateType, inputPredicatePath)
	s := ci.Settings{
		PredicateType:   r.String(inputPredicateType),
		PredicatePath:   readPredicatePath(r, projectDir),
		SBOMFormats:     r.SBOMFormats(inputSBOM),
		Sigstore:        readSigstore(r, projectDir),
		OutputDir:       readOutputDir(r, getenv(VarDotenv) != ""),
		MaxSubjects:     r.Positive(inputMaxSubjects),
		PrivateRepoTlog: r.Bool(inputPrivateRepoTlog, false),
		Key:             readKey(r, projectDir),
	}
	if s.Key != "" {
		s.KeyFrom = r.Named(inputKey)
	}
	metrics, err := readMetricsFile(getenv, projectDir, s.OutputDir)
	s.MetricsFile = metrics
	return subjects, s, errors.Join(r.Err(), err)
}

// readMetricsFile reads $SIGNET_METRICS_FILE, which the template sets (not an input): a file of
// the project outside the output directory, made absolute.
func readMetricsFile(getenv func(string) string, projectDir, outDir string) (string, error) {
	v := strings.TrimSpace(getenv(VarMetricsFile))
	if v == "" || projectDir == "" {
		return "", nil // CI_PROJECT_DIR is reported on its own
	}
	p, err := ci.MetricsFile(v, projectDir, outDir)
	if err != nil {
		return "", fmt.Errorf("job variable %s: %w", VarMetricsFile, err)
	}
	return p, nil
}

// readKey reads the key input: a KMS or HSM reference as given, or a PEM file of the project,
// made absolute (ci.Reader.Key).
func readKey(r *ci.Reader, projectDir string) string {
	if projectDir == "" {
		return "" // CI_PROJECT_DIR is reported on its own
	}
	return r.Key(inputKey, projectDir)
}

// The two files a Sigstore directory holds (docs/gitlab-component.md).
const (
	trustedRootFile   = "trusted_root.json"
	signingConfigFile = "signing_config.json"
)

// readSigstore reads the sigstore input: "public", or a directory of the project holding
// trustedRootFile and signingConfigFile, made absolute.
func readSigstore(r *ci.Reader, projectDir string) string {
	s := r.String(inputSigstore)
	switch {
	case s == "" || s == "public":
		return s
	case s == "local":
		r.Fail(inputSigstore, errors.New(`"local" starts a throw-away Sigstore inside the job whose certificates `+
			"nobody else trusts and which cannot read GitLab's ID token: use public, or a directory holding your own "+
			"Sigstore's trusted_root.json and signing_config.json"))
		return ""
	case strings.EqualFold(s, "public") || strings.EqualFold(s, "local"):
		r.Fail(inputSigstore, fmt.Errorf("%q: expected public in lower case, or a directory (write a directory of "+
			"that name as ./%s)", s, s))
		return ""
	}
	dir := filepath.Clean(s)
	if !filepath.IsAbs(dir) {
		if projectDir == "" {
			return "" // CI_PROJECT_DIR is reported on its own
		}
		dir = filepath.Join(projectDir, dir)
	}
	for _, f := range []string{trustedRootFile, signingConfigFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || !fi.Mode().IsRegular() {
			r.Fail(inputSigstore, fmt.Errorf("%q: the directory has no %s: expected public, or a directory of the "+
				"project (relative to CI_PROJECT_DIR) holding your Sigstore's %s and %s", s, f, trustedRootFile, signingConfigFile))
			return ""
		}
	}
	return dir
}

// readOutputDir reads the output-dir input: a directory of its own inside the project, whose
// path the dotenv report (when written) can carry.
func readOutputDir(r *ci.Reader, dotenv bool) string {
	s := r.String(inputOutputDir)
	if s == "" {
		return ""
	}
	if !filepath.IsLocal(s) {
		r.Fail(inputOutputDir, fmt.Errorf("%q: expected a directory inside the project directory (CI_PROJECT_DIR), "+
			"where GitLab collects artifacts; no absolute path, no ..", s))
		return ""
	}
	dir := filepath.Clean(s)
	if dir == "." {
		r.Fail(inputOutputDir, fmt.Errorf("%q: expected a directory of its own inside the project directory, such as "+
			"attestations: each run replaces it as a whole", s))
		return ""
	}
	if dotenv && !dotenvSafe(filepath.ToSlash(dir)) {
		r.Fail(inputOutputDir, fmt.Errorf("%q: the dotenv report (%s) cannot carry a path with whitespace, a quote, a "+
			"backslash, $ or a control character unchanged: use letters, digits, _, ., / and -", s, VarDotenv))
		return ""
	}
	return dir
}

// readPredicatePath reads the predicate-path input: a file of the project, made absolute.
func readPredicatePath(r *ci.Reader, projectDir string) string {
	p := r.String(inputPredicatePath)
	if p == "" || projectDir == "" {
		return ""
	}
	if !filepath.IsLocal(p) {
		r.Fail(inputPredicatePath, fmt.Errorf("%q: expected a JSON file inside the project directory (CI_PROJECT_DIR); "+
			"no absolute path, no ..", p))
		return ""
	}
	abs := filepath.Join(projectDir, p)
	if fi, err := os.Stat(abs); err != nil || !fi.Mode().IsRegular() {
		r.Fail(inputPredicatePath, fmt.Errorf("%q: expected a JSON file holding the predicate, relative to "+
			"CI_PROJECT_DIR; there is no such file", p))
		return ""
	}
	return abs
}

package gitlab

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The job variables through which signet's component passes its inputs. The template sets
// each from $[[ inputs.* ]] in the job's variables:, so no input is ever part of a shell line.
const (
	VarSubjectPath      = "SIGNET_SUBJECT_PATH"
	VarSubjectChecksums = "SIGNET_SUBJECT_CHECKSUMS"
	VarSBOM             = "SIGNET_SBOM"
	VarSigstore         = "SIGNET_SIGSTORE"
	VarOutputDir        = "SIGNET_OUTPUT_DIR"
	VarMaxSubjects      = "SIGNET_MAX_SUBJECTS"
	VarPrivateRepoTlog  = "SIGNET_PRIVATE_REPO_TLOG"
	// VarDotenv names the file the dotenv report is written to (artifacts:reports:dotenv).
	VarDotenv = "SIGNET_DOTENV"
	// VarAnnotations names the file the annotations report is written to
	// (artifacts:reports:annotations).
	VarAnnotations = "SIGNET_ANNOTATIONS"
)

// InputVariables lists every variable ReadInputs and the adapter read, in the template's order.
func InputVariables() []string {
	return []string{VarSubjectPath, VarSubjectChecksums, VarSBOM, VarSigstore, VarOutputDir,
		VarMaxSubjects, VarPrivateRepoTlog, VarDotenv, VarAnnotations}
}

// ErrInput means a component input (a SIGNET_* variable) is unusable.
var ErrInput = errors.New("invalid input")

// Inputs are the component's inputs. Empty fields were not given and leave the command
// line's values alone.
type Inputs struct {
	// SubjectPaths are files, directories or globs relative to CI_PROJECT_DIR (subject-path).
	SubjectPaths []string
	// ChecksumFiles are sha256sum-style files relative to CI_PROJECT_DIR (subject-checksums).
	ChecksumFiles []string
	// SBOMFormats are spdx-json and/or cyclonedx-json (sbom).
	SBOMFormats []string
	// Sigstore is "public", or a directory with trusted_root.json and signing_config.json made
	// absolute against CI_PROJECT_DIR (sigstore).
	Sigstore string
	// OutputDir is the directory for bundles, SBOMs and the index, relative to
	// CI_PROJECT_DIR (output-dir).
	OutputDir string
	// MaxSubjects is the number of subjects per statement; 0 when not given (max-subjects).
	MaxSubjects int
	// PrivateRepoTlog logs private and internal projects in the transparency log too.
	PrivateRepoTlog bool
}

// ReadInputs reads the component's inputs from the job variables, resolving paths against
// projectDir. Every unusable input is reported at once, each named by input and variable.
func ReadInputs(getenv func(string) string, projectDir string) (Inputs, error) {
	in := Inputs{
		SubjectPaths:  splitList(getenv(VarSubjectPath)),
		ChecksumFiles: splitList(getenv(VarSubjectChecksums)),
		SBOMFormats:   splitList(getenv(VarSBOM)),
	}
	errs := []error{
		in.readSBOM(),
		in.readSigstore(strings.TrimSpace(getenv(VarSigstore)), projectDir),
		in.readOutputDir(strings.TrimSpace(getenv(VarOutputDir))),
		in.readMaxSubjects(strings.TrimSpace(getenv(VarMaxSubjects))),
		in.readPrivateRepoTlog(strings.TrimSpace(getenv(VarPrivateRepoTlog))),
	}
	return in, errors.Join(errs...)
}

// splitList splits a newline-, comma- or space-separated list, dropping empty items; nil
// when there are none.
func splitList(s string) []string {
	items := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' })
	if len(items) == 0 {
		return nil
	}
	return items
}

func inputError(input, variable, format string, args ...any) error {
	return fmt.Errorf("%w %s (%s): %s", ErrInput, input, variable, fmt.Sprintf(format, args...))
}

func (in *Inputs) readSBOM() error {
	for _, f := range in.SBOMFormats {
		if f != "spdx-json" && f != "cyclonedx-json" {
			return inputError("sbom", VarSBOM, "%q: expected spdx-json, cyclonedx-json, both as a comma list, or empty for none", f)
		}
	}
	slices.Sort(in.SBOMFormats)
	in.SBOMFormats = slices.Compact(in.SBOMFormats)
	return nil
}

func (in *Inputs) readSigstore(s, projectDir string) error {
	switch {
	case s == "" || s == "public":
		in.Sigstore = s
	case s == "local":
		return inputError("sigstore", VarSigstore, `"local" starts a throw-away Sigstore inside the job whose `+
			"certificates nobody else trusts and which cannot read GitLab's ID token: use public, or a directory "+
			"holding your own Sigstore's trusted_root.json and signing_config.json")
	case filepath.IsAbs(s):
		in.Sigstore = filepath.Clean(s)
	default:
		in.Sigstore = filepath.Join(projectDir, s)
	}
	return nil
}

func (in *Inputs) readOutputDir(s string) error {
	if s == "" {
		return nil
	}
	if !filepath.IsLocal(s) {
		return inputError("output-dir", VarOutputDir, "%q: expected a directory inside the project directory "+
			"(CI_PROJECT_DIR), where GitLab collects artifacts; no absolute path, no ..", s)
	}
	in.OutputDir = filepath.Clean(s)
	return nil
}

func (in *Inputs) readMaxSubjects(s string) error {
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return inputError("max-subjects", VarMaxSubjects, "%q: expected a positive whole number such as 1024", s)
	}
	in.MaxSubjects = n
	return nil
}

func (in *Inputs) readPrivateRepoTlog(s string) error {
	switch s {
	case "", "false":
	case "true":
		in.PrivateRepoTlog = true
	default:
		return inputError("private-repo-tlog", VarPrivateRepoTlog, "%q: expected true or false", s)
	}
	return nil
}

package tekton

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// Environment variables signet's Task sets on its step. The TaskRun's identity comes from
// $(context.taskRun.*) and the downward API; everything signet-specific has the SIGNET_TEKTON_
// prefix.
const (
	EnvTaskRunName      = "TEKTON_TASKRUN_NAME"                 // $(context.taskRun.name)
	EnvTaskRunNamespace = "TEKTON_TASKRUN_NAMESPACE"            // $(context.taskRun.namespace)
	EnvTaskRunUID       = provenance.TektonTaskRunUIDEnv        // $(context.taskRun.uid)
	EnvPipelineRun      = "TEKTON_PIPELINERUN_NAME"             // pod label tekton.dev/pipelineRun
	EnvServiceAccount   = "TEKTON_SERVICE_ACCOUNT"              // pod spec.serviceAccountName
	EnvWorkspace        = "SIGNET_TEKTON_WORKSPACE"             // $(workspaces.source.path)
	EnvSubjectPath      = "SIGNET_TEKTON_SUBJECT_PATH"          // $(params.subject-path)
	EnvSubjectChecksums = "SIGNET_TEKTON_SUBJECT_CHECKSUMS"     // $(params.subject-checksums)
	EnvGitURL           = "SIGNET_TEKTON_GIT_URL"               // $(params.CHAINS-GIT_URL)
	EnvGitCommit        = "SIGNET_TEKTON_GIT_COMMIT"            // $(params.CHAINS-GIT_COMMIT)
	EnvStepImage        = "SIGNET_TEKTON_STEP_IMAGE"            // $(params.image)
	EnvMaxResultSize    = "SIGNET_TEKTON_MAX_RESULT_SIZE"       // $(params.max-result-size)
	EnvKey              = "SIGNET_TEKTON_KEY"                   // $(params.key)
	EnvMetricsFile      = "SIGNET_TEKTON_METRICS_FILE"          // $(params.metrics-file)
	EnvTokenFile        = "SIGNET_TEKTON_TOKEN_FILE"            // the projected token's path
	EnvResultsDir       = "SIGNET_TEKTON_RESULTS_DIR"           // fallback for unset result paths
	EnvResultPrefix     = "SIGNET_TEKTON_RESULT_"               // + upper-cased result name: its path
	DefaultTokenFile    = "/var/run/sigstore/cosign/oidc-token" // cosign's filesystem provider path
	DefaultResultsDir   = "/tekton/results"                     // Tekton's DefaultResultPath
)

// The Task's params the step reads from its environment, named as a TaskRun writes them.
const (
	ParamSubjectPath      = "subject-path"
	ParamSubjectChecksums = "subject-checksums"
	ParamGitURL           = "CHAINS-GIT_URL"
	ParamGitCommit        = "CHAINS-GIT_COMMIT"
	ParamImage            = "image"
	ParamMaxResultSize    = "max-result-size"
	ParamKey              = "key"
	ParamMetricsFile      = "metrics-file"
)

// MaxSidecarResultBytes is the largest max-result-size: Tekton's results-from: sidecar-logs
// takes a max-result-size of at most 1.5 MB (results are stored in the TaskRun's status,
// which a CRD object's size limit bounds).
const MaxSidecarResultBytes = 1536 * 1024

// paramEnv is the environment variable through which the Task passes each param.
var paramEnv = map[string]string{
	ParamSubjectPath:      EnvSubjectPath,
	ParamSubjectChecksums: EnvSubjectChecksums,
	ParamGitURL:           EnvGitURL,
	ParamGitCommit:        EnvGitCommit,
	ParamImage:            EnvStepImage,
	ParamMaxResultSize:    EnvMaxResultSize,
	ParamKey:              EnvKey,
	ParamMetricsFile:      EnvMetricsFile,
}

// ErrWorkspace means the source workspace is missing or holds nothing.
var ErrWorkspace = errors.New("source workspace")

// Step is the environment signet's Task gives its step, read and checked.
type Step struct {
	// Workspace is the source workspace, absolute with symlinks resolved; "" outside a Task.
	Workspace string
	// SubjectPaths are subject-path entries (one per line), relative to Workspace.
	SubjectPaths []string
	// ChecksumFiles are subject-checksums entries (one per line), relative to Workspace.
	ChecksumFiles []string
	// TokenFile is where the projected service-account token is mounted.
	TokenFile string
	// TaskRun is what the Task passes about its TaskRun, for the provenance.
	TaskRun provenance.TektonParams
	// Results maps each result name to the file Tekton reads it from.
	Results map[string]string
	// MaxResultBytes is the results' byte budget: MaxMessageBytes (the termination message)
	// unless the max-result-size param raises it for a cluster with results-from: sidecar-logs.
	MaxResultBytes int
	// Key is the key param (ci.Reader.Key): a KMS or HSM reference as given, or a PEM file,
	// absolute (a relative one is relative to Workspace); "" signs keylessly. KeyFrom names
	// it in errors.
	Key, KeyFrom string
	// MetricsFile is the metrics-file param made absolute: where the run's metrics go; "" for none.
	MetricsFile string
}

// ReadStep reads the step's environment through getenv. It reports every problem at once; a
// wrong param is a *ci.InputError naming the param and the variable it came through.
func ReadStep(getenv func(string) string) (Step, error) {
	r := ci.NewReader(ci.SyntaxOf(provenance.Tekton), func(param string) (string, string) {
		env := paramEnv[param]
		return getenv(env), env
	})
	s := Step{
		SubjectPaths:   r.List(ParamSubjectPath),
		ChecksumFiles:  r.List(ParamSubjectChecksums),
		TokenFile:      cmp.Or(getenv(EnvTokenFile), DefaultTokenFile),
		TaskRun:        readTaskRun(r, getenv),
		Results:        resultPaths(getenv),
		MaxResultBytes: readMaxResultSize(r),
	}
	ws, err := workspace(getenv(EnvWorkspace))
	if err == nil {
		s.Workspace = ws
		s.checkPaths(r)
		s.MetricsFile = readMetricsFile(r, ws)
		err = s.checkEmpty()
		if s.Key = r.Key(ParamKey, ws); s.Key != "" {
			s.KeyFrom = r.Named(ParamKey)
		}
	}
	r.Pair(ParamGitURL, ParamGitCommit)
	return s, errors.Join(err, r.Err())
}

func readTaskRun(r *ci.Reader, getenv func(string) string) provenance.TektonParams {
	p := provenance.TektonParams{
		TaskRunName:    getenv(EnvTaskRunName),
		Namespace:      getenv(EnvTaskRunNamespace),
		UID:            getenv(EnvTaskRunUID),
		PipelineRun:    getenv(EnvPipelineRun),
		ServiceAccount: getenv(EnvServiceAccount),
		GitURL:         r.String(ParamGitURL),
		GitCommit:      r.String(ParamGitCommit),
	}
	// Only an image pinned by digest is a resolved dependency; a tag says nothing verifiable.
	if img := r.String(ParamImage); img != "" {
		if _, err := core.ParseSubjectRef(img); err == nil {
			p.StepImages = []string{img}
		}
	}
	return p
}

// workspace resolves the source workspace path; "" (no workspace) is allowed outside a Task.
func workspace(ws string) (string, error) {
	if ws == "" {
		return "", nil
	}
	abs, err := filepath.Abs(ws)
	if err != nil {
		return "", fmt.Errorf("%w %q: %w", ErrWorkspace, ws, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%w %q does not exist: bind a workspace named \"source\" to the TaskRun "+
			"(in a Pipeline: workspaces: [{name: source, workspace: <the workspace your build wrote to>}]): %w", ErrWorkspace, ws, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w %q is not a directory", ErrWorkspace, ws)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs, nil
}

// checkEmpty fails for a workspace with no entries: nothing a build wrote can be signed there.
func (s Step) checkEmpty() error {
	if s.Workspace == "" {
		return nil
	}
	entries, err := os.ReadDir(s.Workspace)
	if err != nil {
		return fmt.Errorf("%w %q: %w", ErrWorkspace, s.Workspace, err)
	}
	if len(entries) == 0 {
		return fmt.Errorf("%w %q is empty, so there are no outputs to sign: bind the workspace your build task wrote "+
			"its outputs to (the same PersistentVolumeClaim or volumeClaimTemplate workspace), not a fresh emptyDir", ErrWorkspace, s.Workspace)
	}
	return nil
}

// checkPaths reports early a literal subject-path that is not in the workspace; globs are
// expanded, and reported when they match nothing, by core.
func (s Step) checkPaths(r *ci.Reader) {
	for _, p := range s.SubjectPaths {
		if strings.ContainsAny(p, "*?[") {
			continue
		}
		if _, err := os.Lstat(s.abs(p)); err != nil {
			r.Fail(ParamSubjectPath, fmt.Errorf("%q: not found in the source workspace %q: check that the build task wrote it "+
				"to the workspace bound as \"source\" and give the path relative to that workspace: %w", p, s.Workspace, err))
		}
	}
}

// abs resolves p against the workspace (or the working directory when there is none).
func (s Step) abs(p string) string {
	if filepath.IsAbs(p) || s.Workspace == "" {
		return p
	}
	return filepath.Join(s.Workspace, p)
}

// readMaxResultSize reads the max-result-size param: the results' budget in bytes, from
// MaxMessageBytes (the termination message, Tekton's default) to MaxSidecarResultBytes. It
// must not exceed the cluster's max-result-size when results-from is sidecar-logs.
func readMaxResultSize(r *ci.Reader) int {
	n := r.Positive(ParamMaxResultSize)
	switch {
	case n == 0:
		return MaxMessageBytes
	case n < MaxMessageBytes || n > MaxSidecarResultBytes:
		r.Fail(ParamMaxResultSize, fmt.Errorf("%d: expected a byte count from %d (the termination message) to %d "+
			"(the largest max-result-size of results-from: sidecar-logs)", n, MaxMessageBytes, MaxSidecarResultBytes))
		return MaxMessageBytes
	}
	return n
}

// readMetricsFile reads the metrics-file param: a file in the workspace, made absolute. (The
// output directory is a command-line argument, which the step does not see.)
func readMetricsFile(r *ci.Reader, ws string) string {
	p, err := ci.MetricsFile(r.String(ParamMetricsFile), ws, "")
	if err != nil {
		r.Fail(ParamMetricsFile, err)
	}
	return p
}

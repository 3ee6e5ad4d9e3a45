package tekton

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The results signet's Task declares. ARTIFACT_OUTPUTS and IMAGES are Tekton Chains type
// hints; index-path and bundle-path locate signet's own files in the source workspace.
const (
	ResultArtifactOutputs = "ARTIFACT_OUTPUTS"
	ResultImages          = "IMAGES"
	ResultIndexPath       = "index-path"
	ResultBundlePath      = "bundle-path"
)

// ResultNames lists the Task's results in the order they are written.
func ResultNames() []string {
	return []string{ResultArtifactOutputs, ResultImages, ResultIndexPath, ResultBundlePath, ResultRegistryAttestations}
}

// ArtifactOutputsKeys are the properties of the ARTIFACT_OUTPUTS object result, exactly the
// keys Chains (slsa/v2alpha4) reads.
func ArtifactOutputsKeys() []string { return []string{"digest", "isBuildArtifact", "uri"} }

// MaxMessageBytes is the size Tekton allows a step's termination message, which carries every
// result the step writes (pkg/termination.MaxContainerTerminationMessageLength).
const MaxMessageBytes = 4096

// ErrResultsTooLarge means the results would not fit in the termination message.
var ErrResultsTooLarge = errors.New("Tekton results too large")

// Result is one Tekton result: its name and the exact bytes of its file.
type Result struct {
	Name  string
	Value string
}

// EnvResult is the environment variable through which the Task passes $(results.name.path).
func EnvResult(name string) string {
	return EnvResultPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// resultPaths maps every result to its file: the Task's $(results.name.path), or the results
// directory joined with the name. It returns nil when neither is available (not in a Task).
func resultPaths(getenv func(string) string) map[string]string {
	dir := getenv(EnvResultsDir)
	paths := map[string]string{}
	for _, n := range ResultNames() {
		if p := getenv(EnvResult(n)); p != "" {
			paths[n] = p
		}
	}
	if len(paths) == 0 && dir == "" {
		if fi, err := os.Stat(DefaultResultsDir); err != nil || !fi.IsDir() {
			return nil
		}
		dir = DefaultResultsDir
	}
	for _, n := range ResultNames() {
		if paths[n] == "" {
			paths[n] = filepath.Join(cmp.Or(dir, DefaultResultsDir), n)
		}
	}
	return paths
}

// terminationEntry is how Tekton's entrypoint encodes a result in the termination message
// (pkg/result.RunResult: key, value, type 1 for a TaskRun result).
type terminationEntry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Type  int    `json:"type"`
}

// startedAt is the entry Tekton's entrypoint adds to every termination message, with the
// longest timestamp its format (2006-01-02T15:04:05.000Z07:00) produces.
var startedAt = terminationEntry{Key: "StartedAt", Value: "2006-01-02T15:04:05.000-07:00", Type: 3}

// MessageBytes returns the size of the termination message Tekton's entrypoint writes for
// these results: their JSON encoding (escapes included) plus its own StartedAt entry.
func MessageBytes(results []Result) int {
	entries := make([]terminationEntry, 0, len(results)+1)
	for _, r := range results {
		entries = append(entries, terminationEntry{Key: r.Name, Value: r.Value, Type: 1})
	}
	entries = append(entries, startedAt)
	b, _ := json.Marshal(entries) // strings only: cannot fail
	return len(b)
}

// checkBudget fails when results would exceed the termination-message budget, naming the
// largest results so the reader knows what to shrink.
func checkBudget(results []Result, limit int) error {
	n := MessageBytes(results)
	if n <= limit {
		return nil
	}
	sorted := append([]Result(nil), results...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i].Value) > len(sorted[j].Value) })
	var parts []string
	for _, r := range sorted {
		parts = append(parts, fmt.Sprintf("%s %d bytes", r.Name, len(r.Value)))
	}
	return fmt.Errorf("%w: the results need a %d-byte termination message but Tekton allows %d per step (%s), "+
		"and would fail the TaskRun with \"Termination message is above max allowed size\"", ErrResultsTooLarge, n, limit, strings.Join(parts, ", "))
}

// WriteResults checks the budget, then writes every result to its file exactly (no trailing
// newline). Nothing is written when the results do not fit.
func WriteResults(paths map[string]string, results []Result, limit int) (int, error) {
	if err := checkBudget(results, limit); err != nil {
		return 0, err
	}
	for _, r := range results {
		p, ok := paths[r.Name]
		if !ok {
			return 0, fmt.Errorf("writing Tekton result %s: no path for it (set %s to $(results.%s.path))", r.Name, EnvResult(r.Name), r.Name)
		}
		if err := os.WriteFile(p, []byte(r.Value), 0o644); err != nil {
			return 0, fmt.Errorf("writing Tekton result %s to %q: %w", r.Name, p, err)
		}
	}
	return MessageBytes(results), nil
}

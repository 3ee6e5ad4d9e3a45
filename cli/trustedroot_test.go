//go:build !nolocalsigstore

package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// jsonLines reads b the way gh attestation verify reads --custom-trusted-root: line by line,
// each line ending in "\n" one trusted root.
func jsonLines(t *testing.T, b []byte) []*root.TrustedRoot {
	t.Helper()
	var roots []*root.TrustedRoot
	r := bufio.NewReader(bytes.NewReader(b))
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			if len(line) > 0 {
				t.Errorf("%d bytes after the last newline are not read as a trusted root", len(line))
			}
			return roots
		}
		tr, err := root.NewTrustedRootFromJSON(line)
		if err != nil {
			t.Fatalf("line %d is not a trusted root: %v", len(roots)+1, err)
		}
		roots = append(roots, tr)
	}
}

// sameJSON fails unless a and b hold the same JSON value.
func sameJSON(t *testing.T, a, b []byte) {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(va, vb); diff != "" {
		t.Errorf("the trusted root changed (-want +got):\n%s", diff)
	}
}

func TestSigstoreTrustedRoot(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	orig, err := os.ReadFile(filepath.Join(ss.Dir, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, orig, "", "    "); err != nil {
		t.Fatal(err)
	}
	sc, err := os.ReadFile(filepath.Join(ss.Dir, "signing_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	// A private Sigstore in the workspace, pretty-printed as people keep it.
	writeTree(t, ws, map[string][]byte{"private/trusted_root.json": pretty.Bytes(), "private/signing_config.json": sc})
	// The local Sigstore's state directory, in the default place and in another one.
	state := t.TempDir()
	writeTree(t, state, map[string][]byte{"signet/localsigstore/trusted_root.json": orig, "other/trusted_root.json": orig})
	vars := map[string]string{"XDG_STATE_HOME": state, "HOME": t.TempDir()}

	tests := []struct {
		name string
		args []string
		file string // the output file, "" for stdout
	}{
		{"a private Sigstore's directory, relative to the working directory", []string{"--sigstore", "private", "--output", "trusted_root.jsonl"}, "trusted_root.jsonl"},
		{"an absolute directory, to standard output", []string{"--sigstore", filepath.Join(ws, "private"), "--output", "-"}, ""},
		{"the default output is standard output", []string{"--sigstore", "private"}, ""},
		{"the local Sigstore, as signet verify --sigstore local finds it", []string{"--sigstore", "local", "-o", "out/root.jsonl"}, "out/root.jsonl"},
		{"the local Sigstore in another state directory", []string{"--sigstore", "local", "--state-dir", filepath.Join(state, "other")}, ""},
	}
	if err := os.Mkdir(filepath.Join(ws, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, ws, vars, append([]string{"sigstore", "trusted-root"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			got := []byte(stdout)
			if tt.file != "" {
				if stdout != "" {
					t.Errorf("--output %s, yet stdout has %q", tt.file, stdout)
				}
				got = mustReadBytes(t, filepath.Join(ws, tt.file))
			}
			if bytes.Count(got, []byte("\n")) != 1 || !bytes.HasSuffix(got, []byte("\n")) {
				t.Fatalf("output is not one line ending in a newline:\n%s", got)
			}
			if roots := jsonLines(t, got); len(roots) != 1 {
				t.Fatalf("a JSON Lines reader finds %d trusted roots, want 1", len(roots))
			}
			sameJSON(t, orig, got)
		})
	}
}

func TestSigstoreTrustedRootReplacesAtomically(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	ws := t.TempDir()
	out := filepath.Join(ws, "trusted_root.jsonl")
	if err := os.WriteFile(out, []byte("an older, longer file that must not leave a tail behind\n\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, ws, nil, "sigstore", "trusted-root", "--sigstore", ss.Dir, "--output", "trusted_root.jsonl"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := len(jsonLines(t, mustReadBytes(t, out))); n != 1 {
		t.Errorf("%d trusted roots in the replaced file, want 1", n)
	}
	entries, err := os.ReadDir(ws)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the output (no temporary files)", len(entries))
	}
}

// trustedRootRefusal is a `signet sigstore trusted-root` run that fails, and what it says.
type trustedRootRefusal struct {
	name string
	args []string
	says []string
}

func TestSigstoreTrustedRootRefuses(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	orig := mustReadBytes(t, filepath.Join(ss.Dir, "trusted_root.json"))
	ws := t.TempDir()
	writeTree(t, ws, map[string][]byte{
		"empty-object/trusted_root.json": []byte("{}"),
		"not-json/trusted_root.json":     []byte("trusted root\n"),
		"two-roots/trusted_root.json":    append(append(append([]byte{}, orig...), '\n'), orig...),
		"huge/trusted_root.json":         bytes.Repeat([]byte(" "), 5<<20),
		"no-root/signing_config.json":    []byte("{}"),
		"Local/README":                   []byte("a directory that looks like the keyword"),
	})
	if err := os.Mkdir(filepath.Join(ws, "a-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	emptyState := t.TempDir()
	tests := []trustedRootRefusal{
		{"a directory without a trusted root", []string{"--sigstore", "no-root"}, []string{"--sigstore no-root", "does not exist"}},
		{"a missing directory", []string{"--sigstore", "nowhere"}, []string{"--sigstore nowhere"}},
		{"an empty object", []string{"--sigstore", "empty-object"}, []string{"--sigstore empty-object", "not a valid Sigstore trusted root"}},
		{"not JSON", []string{"--sigstore", "not-json"}, []string{"--sigstore not-json"}},
		{"two trusted roots in one file", []string{"--sigstore", "two-roots"}, []string{"--sigstore two-roots", "not a valid Sigstore trusted root"}},
		{"a file beyond the size bound", []string{"--sigstore", "huge"}, []string{"--sigstore huge", "limit"}},
		{"a look-alike of the local keyword is a directory", []string{"--sigstore", "Local"}, []string{"--sigstore Local", "does not exist"}},
		{"the local Sigstore never started", []string{"--sigstore", "local", "--state-dir", emptyState}, []string{"--sigstore local", "does not exist"}},
		{"--state-dir without --sigstore local", []string{"--sigstore", ss.Dir, "--state-dir", emptyState}, []string{"--state-dir", "--sigstore local"}},
		{"an empty --output", []string{"--sigstore", ss.Dir, "--output", ""}, []string{"--output: expected a file name"}},
		{"an output in a missing directory", []string{"--sigstore", ss.Dir, "--output", "missing/root.jsonl"}, []string{`--output "missing/root.jsonl"`}},
		{"an output that is a directory", []string{"--sigstore", ss.Dir, "--output", "a-dir"}, []string{`--output "a-dir"`}},
		{"arguments", []string{"--sigstore", ss.Dir, "extra"}, []string{"unknown command"}},
	}
	tests = append(tests, fifoTrustedRoots(t, ws)...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := run(t, ws, map[string]string{"HOME": t.TempDir()}, append([]string{"sigstore", "trusted-root"}, tt.args...)...)
			if code == 0 {
				t.Fatalf("exit 0, want a refusal; stdout %q", stdout)
			}
			if stdout != "" {
				t.Errorf("a refusal wrote %d bytes to stdout", len(stdout))
			}
			for _, s := range tt.says {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr should say %q:\n%s", s, stderr)
				}
			}
		})
	}
}

// TestTrustedRootLine checks the conversion on its own: the line holds the same root, and
// what is not one trusted root is refused.
func TestTrustedRootLine(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	orig := mustReadBytes(t, filepath.Join(ss.Dir, "trusted_root.json"))
	line, err := trustedRootLine(orig)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, orig, line)
	for _, bad := range [][]byte{nil, []byte("null"), []byte("[]"), []byte(`{"mediaType": "x"}`), append([]byte("{}"), orig...)} {
		if _, err := trustedRootLine(bad); err == nil {
			t.Errorf("trustedRootLine(%.40q) accepted it", bad)
		}
	}
}

func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustReadBytes(t *testing.T, p string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 8<<20))
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return b
}

package action_test

import (
	"bufio"
	"bytes"
	"go/build/constraint"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/shellwords"
)

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	Cmd  string // upper-case
	Args string
}

// dockerStages parses the Dockerfile into stages, each a list of instructions from its FROM.
func dockerStages(t testing.TB) [][]instruction {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(checkout.Root(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]instruction
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %s before the first FROM", in.Cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if body, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

// shellWords splits a RUN command of the Dockerfile as a shell would (internal/shellwords).
func shellWords(t testing.TB, s string) []string {
	t.Helper()
	words, err := shellwords.Split(s)
	if err != nil {
		t.Fatalf("build command %q: %v", s, err)
	}
	return words
}

// dockerBuildCommand returns the environment assignments and the go command line of the
// Dockerfile's `go build` RUN instruction.
func dockerBuildCommand(t testing.TB) (env, args []string) {
	t.Helper()
	var found [][]string
	for _, st := range dockerStages(t) {
		for _, in := range st {
			if in.Cmd != "RUN" {
				continue
			}
			for _, part := range strings.Split(in.Args, "&&") {
				if !strings.Contains(part, "go build") {
					continue // other commands may use globs; only the build must be literal words
				}
				words := shellWords(t, strings.TrimSpace(part))
				i := 0
				for i < len(words) && strings.Contains(words[i], "=") {
					i++
				}
				if len(words) > i+1 && words[i] == "go" && words[i+1] == "build" {
					found = append(found, words)
				}
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("Dockerfile: %d `go build` commands, want exactly 1", len(found))
	}
	words := found[0]
	i := 0
	for strings.Contains(words[i], "=") {
		i++
	}
	return words[:i], words[i:]
}

func TestDockerfileRules(t *testing.T) {
	t.Parallel()
	stages := dockerStages(t)
	final := stages[len(stages)-1]
	base := strings.Fields(final[0].Args)[0]
	if base != "scratch" && !strings.Contains(base, "@sha256:") {
		t.Errorf("final stage FROM %s: want scratch or an image pinned by digest", base)
	}
	if len(stages) < 2 {
		t.Errorf("Dockerfile has %d stage(s), want a build stage and a minimal final stage", len(stages))
	}
	var entry []string
	for _, in := range final {
		switch in.Cmd {
		case "USER", "WORKDIR":
			t.Errorf("final stage has %s %s: GitHub runs container actions as root in the workspace", in.Cmd, in.Args)
		case "ENTRYPOINT":
			entry = append(entry, in.Args)
		}
	}
	if diff := cmp.Diff([]string{`["/signet"]`}, entry); diff != "" {
		t.Errorf("ENTRYPOINT (-want +got), exec form with an absolute path:\n%s", diff)
	}
	env, args := dockerBuildCommand(t)
	if !slices.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("go build environment %q lacks CGO_ENABLED=0", env)
	}
	joined := strings.Join(args, " ")
	for _, want := range []string{"-trimpath", "-ldflags=-s -w", "-o /signet"} {
		if !strings.Contains(joined, want) {
			t.Errorf("build command %q lacks %q", joined, want)
		}
	}
}

// TestDockerignoreKeepsEmbeds makes sure the build context keeps every file a //go:embed
// directive of the release binary needs: go build outside Docker would not notice.
func TestDockerignoreKeepsEmbeds(t *testing.T) {
	t.Parallel()
	root := checkout.Root(t)
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var ignore []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ignore = append(ignore, strings.Trim(l, "/"))
		}
	}
	for _, f := range embeddedFiles(t, root) {
		for _, p := range ignore {
			if ignored(p, f) {
				t.Errorf(".dockerignore pattern %q drops %s, which a //go:embed directive needs", p, f)
			}
		}
	}
	for _, keep := range []string{"go.mod", "go.sum", "main.go", "action/adapter.go"} {
		for _, p := range ignore {
			if ignored(p, keep) {
				t.Errorf(".dockerignore pattern %q drops %s", p, keep)
			}
		}
	}
}

// embeddedFiles lists, relative to root, the files matched by //go:embed lines in non-test Go
// files that are part of a default build.
func embeddedFiles(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || (p != root && fileExists(filepath.Join(p, "go.mod")))) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !defaultBuild(src) {
			return nil
		}
		for _, l := range strings.Split(string(src), "\n") {
			pats, ok := strings.CutPrefix(l, "//go:embed ")
			if !ok {
				continue
			}
			for _, pat := range strings.Fields(pats) {
				pat = strings.TrimPrefix(strings.Trim(pat, "\"`"), "all:")
				matches, _ := filepath.Glob(filepath.Join(filepath.Dir(p), pat))
				for _, m := range matches {
					rel, _ := filepath.Rel(root, m)
					out = append(out, filepath.ToSlash(rel))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// defaultBuild reports whether a file's //go:build line, if any, holds without tags.
func defaultBuild(src []byte) bool {
	for _, l := range strings.Split(string(src), "\n") {
		if constraint.IsGoBuild(l) {
			expr, err := constraint.Parse(l)
			return err != nil || expr.Eval(func(tag string) bool { return tag == "linux" || tag == "amd64" || tag == "gc" })
		}
		if strings.HasPrefix(l, "package ") {
			break
		}
	}
	return true
}

// ignored reports whether a .dockerignore pattern excludes file (or a directory above it).
func ignored(pattern, file string) bool {
	segs := strings.Split(file, "/")
	for i := 1; i <= len(segs); i++ {
		if core.MatchPath(pattern, strings.Join(segs[:i], "/")) {
			return true
		}
	}
	return false
}

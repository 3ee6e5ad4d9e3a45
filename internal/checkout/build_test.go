package checkout

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Environment of a child process: the test binary run as one test process asking the cache
// for a binary (see TestMain).
const (
	childEnv    = "SIGNET_CHECKOUT_BUILD_CHILD" // the module root to build
	childCache  = "SIGNET_CHECKOUT_BUILD_CACHE"
	childLog    = "SIGNET_CHECKOUT_BUILD_LOG"
	childAwait  = "SIGNET_CHECKOUT_BUILD_AWAIT" // builds wait until this many children entered
	childTags   = "SIGNET_CHECKOUT_BUILD_TAGS"
	childWaitup = 2 * time.Minute
)

func TestMain(m *testing.M) {
	if root := os.Getenv(childEnv); root != "" {
		os.Exit(buildChild(root))
	}
	os.Exit(m.Run())
}

// buildChild asks the cache in $SIGNET_CHECKOUT_BUILD_CACHE for root's binary, like a test
// process calling BuildSignet, and prints its path. It logs "enter PID" before asking and
// "build PID" for each go build it runs; a build first waits until $SIGNET_CHECKOUT_BUILD_AWAIT
// children entered, so that they all ask while the first one builds.
func buildChild(root string) int {
	logPath := os.Getenv(childLog)
	logLine(logPath, "enter")
	await := 0
	fmt.Sscan(os.Getenv(childAwait), &await)
	c := &binCache{dir: os.Getenv(childCache), keep: keepBuilds}
	tags := os.Getenv(childTags)
	bin, err := c.get(context.Background(), root, "tags="+tags, func(ctx context.Context, root, out string) error {
		deadline := time.Now().Add(childWaitup)
		for count(logPath, "enter") < await && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		logLine(logPath, "build")
		return goBuild(ctx, root, tags, out)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(bin)
	return 0
}

func logLine(path, what string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %d\n", what, os.Getpid()) // one short O_APPEND write: atomic
}

// count returns how many lines of the log start with what.
func count(path, what string) int {
	b, _ := os.ReadFile(path)
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), what+" ") {
			n++
		}
	}
	return n
}

// tinyModule writes a module whose main prints version, standing in for signet's sources:
// what is built does not matter to the cache, only that go build really runs.
func tinyModule(t *testing.T, version string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"go.mod":            "module example.com/tiny\n\ngo 1.26\n",
		"go.sum":            "",
		"main.go":           "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(" + fmt.Sprintf("%q", version) + ") }\n",
		"main_test.go":      "package main\n",
		"testdata/x.txt":    "fixture",
		"internal/a/a.go":   "package a\n",
		".hidden/h.go":      "package h\n",
		"_ignored/i.go":     "package i\n",
		"internal/a/doc.md": "notes",
	}
	for name, body := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), body)
	}
	return root
}

func writeFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// children runs n test processes at once asking cache for root's binary with tags, and
// returns the paths they print.
func children(t *testing.T, n int, root, cache, log, tags string) []string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	type result struct {
		out, errOut string
		err         error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			cmd := exec.CommandContext(ctx, self, "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+root, childCache+"="+cache, childLog+"="+log,
				childAwait+"="+fmt.Sprint(n), childTags+"="+tags)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			results <- result{strings.TrimSpace(stdout.String()), stderr.String(), err}
		}()
	}
	var bins []string
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatalf("child: %v\n%s", r.err, r.errOut)
		}
		bins = append(bins, r.out)
	}
	return bins
}

// runBin runs a built binary and returns what it prints.
func runBin(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return strings.TrimSpace(string(out))
}

// TestBuildOncePerSourceState: test processes asking for the binary at the same time build
// it once (the others wait for the lock, then find it); a later process over the same sources
// builds nothing; changed sources or tags build again; test files, testdata and ignored
// directories are not part of the key.
func TestBuildOncePerSourceState(t *testing.T) {
	t.Parallel()
	root := tinyModule(t, "v1")
	cache := t.TempDir()
	log := filepath.Join(t.TempDir(), "builds.log")

	bins := children(t, 3, root, cache, log, "")
	if got := count(log, "enter"); got != 3 {
		t.Fatalf("%d children entered, want 3", got)
	}
	if got := count(log, "build"); got != 1 {
		t.Fatalf("3 concurrent children ran %d builds, want 1:\n%s", got, mustRead(t, log))
	}
	if bins[0] != bins[1] || bins[1] != bins[2] {
		t.Fatalf("children got different binaries: %q", bins)
	}
	if got := runBin(t, bins[0]); got != "v1" {
		t.Fatalf("the binary prints %q, want v1", got)
	}

	steps := []struct {
		name   string
		change func()
		tags   string
		builds int // total after the step
		same   bool
	}{
		{name: "same sources", change: func() {}, builds: 1, same: true},
		{name: "a test file", change: func() { writeFile(t, filepath.Join(root, "main_test.go"), "package main\n\n// changed\n") }, builds: 1, same: true},
		{name: "testdata", change: func() { writeFile(t, filepath.Join(root, "testdata", "x.txt"), "changed") }, builds: 1, same: true},
		{name: "an ignored directory", change: func() { writeFile(t, filepath.Join(root, "_ignored", "i.go"), "package i\n// changed\n") }, builds: 1, same: true},
		{name: "a source file", change: func() {
			writeFile(t, filepath.Join(root, "main.go"), "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"v2\") }\n")
		}, builds: 2},
		{name: "another package's source", change: func() { writeFile(t, filepath.Join(root, "internal", "a", "a.go"), "package a\n\n// changed\n") }, builds: 3},
		{name: "go.sum", change: func() { writeFile(t, filepath.Join(root, "go.sum"), "\n") }, builds: 4},
		{name: "tags", change: func() {}, tags: "nolocalsigstore", builds: 5},
	}
	prev := bins[0]
	for _, s := range steps {
		s.change()
		bin := children(t, 1, root, cache, log, s.tags)[0]
		if got := count(log, "build"); got != s.builds {
			t.Errorf("after %s: %d builds, want %d", s.name, got, s.builds)
		}
		if (bin == prev) != s.same {
			t.Errorf("after %s: binary %s, previous %s; want the same: %v", s.name, bin, prev, s.same)
		}
		prev = bin
	}
	if got := runBin(t, prev); got != "v2" {
		t.Errorf("the binary of the changed sources prints %q, want v2", got)
	}
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".building-") {
			t.Errorf("a build directory was left in the cache: %s", e.Name())
		}
	}
}

// TestPruneKeepsTheMostRecentlyUsed: pruning keeps the newest binaries by last use and those
// used within the last hour, removes build directories left by killed processes (older than
// a build may take) but not one that may still be building; other files stay.
func TestPruneKeepsTheMostRecentlyUsed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Now()
	for i, name := range []string{"signet-a", "signet-b", "signet-c", "signet-d"} {
		p := filepath.Join(dir, name)
		writeFile(t, p, name)
		used := now.Add(-time.Duration(i) * 2 * recentUse) // a newest … d oldest
		if err := os.Chtimes(p, used, used); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range []string{"signet-e", "signet-f"} { // beyond keep, but in use by other runs
		writeFile(t, filepath.Join(dir, name), name)
		used := now.Add(-recentUse + time.Duration(i+1)*time.Minute)
		if err := os.Chtimes(filepath.Join(dir, name), used, used); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, ".building-123", "signet"), "half")
	writeFile(t, filepath.Join(dir, ".building-456", "signet"), "being built")
	long := now.Add(-buildTimeout - time.Minute)
	if err := os.Chtimes(filepath.Join(dir, ".building-123"), long, long); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, ".lock"), "")
	c := &binCache{dir: dir, keep: 2}
	if err := os.Chmod(filepath.Join(dir, "signet-d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.hit(filepath.Join(dir, "signet-d")); !ok || err != nil { // d is used now
		t.Fatalf("hit: %v %v", ok, err)
	}
	if err := c.prune(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if d := cmp.Diff([]string{".building-456", ".lock", "signet-a", "signet-d", "signet-e", "signet-f"}, got); d != "" {
		t.Errorf("cache after pruning (-want +got):\n%s", d)
	}
}

// TestHitRefusesANonExecutable: a cache entry that is not an executable file is an error,
// never a binary handed to a test.
func TestHitRefusesANonExecutable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "signet-x"), "not a binary")
	if err := os.Mkdir(filepath.Join(dir, "signet-y"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := &binCache{dir: dir, keep: 2}
	for _, n := range []string{"signet-x", "signet-y"} {
		if ok, err := c.hit(filepath.Join(dir, n)); ok || err == nil || !strings.Contains(err.Error(), "not an executable file") {
			t.Errorf("hit(%s) = %v, %v; want an error", n, ok, err)
		}
	}
	if ok, err := c.hit(filepath.Join(dir, "signet-z")); ok || err != nil {
		t.Errorf("hit of a missing binary = %v, %v; want a miss", ok, err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBuildCommand: a release build command (its own flags and environment) is built once per
// command and environment, its -o pointed into the cache; a command that is not go build, or
// lacks the -o placeholder, is refused.
func TestBuildCommand(t *testing.T) {
	t.Parallel()
	root := tinyModule(t, "v1")
	c := &binCache{dir: t.TempDir(), keep: keepBuilds}
	builds := 0
	get := func(env, args []string) (string, error) {
		spec, build, err := commandBuild(env, args, "/signet")
		if err != nil {
			return "", err
		}
		return c.get(context.Background(), root, spec, func(ctx context.Context, root, out string) error {
			builds++
			return build(ctx, root, out)
		})
	}
	release := []string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/signet", "."}
	steps := []struct {
		name   string
		env    []string
		args   []string
		builds int
	}{
		{name: "release command", env: []string{"CGO_ENABLED=0"}, args: release, builds: 1},
		{name: "the same again", env: []string{"CGO_ENABLED=0"}, args: release, builds: 1},
		{name: "other flags", env: []string{"CGO_ENABLED=0"}, args: []string{"go", "build", "-o", "/signet", "."}, builds: 2},
		{name: "other environment", env: []string{"CGO_ENABLED=0", "GOAMD64=v1"}, args: release, builds: 3},
	}
	for _, s := range steps {
		bin, err := get(s.env, s.args)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if builds != s.builds {
			t.Errorf("%s: %d builds, want %d", s.name, builds, s.builds)
		}
		if got := runBin(t, bin); got != "v1" {
			t.Errorf("%s: the binary prints %q", s.name, got)
		}
	}
	for _, args := range [][]string{
		{"go", "build", "-o", "/elsewhere", "."},
		{"go", "build", "."},
		{"go", "build", "-o"},
		{"go", "run", "-o", "/signet", "."},
		{"sh", "-c", "go build -o /signet ."},
	} {
		if _, err := get(nil, args); err == nil || !strings.Contains(err.Error(), "want go build … -o /signet") {
			t.Errorf("command %q: err %v, want a refusal", args, err)
		}
	}
}

package checkout

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildTimeout bounds one go build of signet, and the wait for another process's build.
const buildTimeout = 15 * time.Minute

// The shared cache keeps the keepBuilds most recently used binaries, and any used within
// recentUse (test runs of other checkouts may be using them).
const (
	keepBuilds = 6
	recentUse  = time.Hour
)

// binPrefix starts the name of every binary in the cache.
const binPrefix = "signet-"

// BuildSignet returns a signet binary built from the repository root with CGO_ENABLED=0,
// -trimpath and the given build tags. The binary lives in a cache directory shared by every
// test process of the user (see CacheDir), under a key hashing the module's Go sources,
// go.mod, go.sum, the tags and the Go toolchain: all packages of one `go test ./...` run, and
// later runs over the same sources, share one build. Processes that need a missing binary at
// the same time wait for one of them to build it (a file lock), which then renames it into
// place whole.
func BuildSignet(t testing.TB, tags ...string) string {
	t.Helper()
	joined := strings.Join(tags, ",")
	return cached(t, "tags="+joined+"\x00CGO_ENABLED=0 -trimpath", func(ctx context.Context, root, out string) error {
		return goBuild(ctx, root, joined, out)
	})
}

// BuildCommand returns the binary the go build command args (run in the repository root,
// with env added to the test's environment) writes to placeholder, the value of its -o: the
// release build's own command (release.BuildArgs), say. Like BuildSignet it builds once
// per source state, command and environment, for all test processes.
func BuildCommand(t testing.TB, env, args []string, placeholder string) string {
	t.Helper()
	spec, build, err := commandBuild(env, args, placeholder)
	if err != nil {
		t.Fatal(err)
	}
	return cached(t, spec, build)
}

// commandBuild returns the cache spec and the builder of BuildCommand.
func commandBuild(env, args []string, placeholder string) (string, builder, error) {
	i := slices.Index(args, "-o")
	if len(args) < 2 || args[0] != "go" || args[1] != "build" || i < 0 || i+1 >= len(args) || args[i+1] != placeholder {
		return "", nil, fmt.Errorf("build command %q: want go build … -o %s …", args, placeholder)
	}
	spec := "command\x00" + strings.Join(env, "\x00") + "\x00\x00" + strings.Join(args, "\x00")
	return spec, func(ctx context.Context, root, out string) error {
		argv := slices.Clone(args)
		argv[i+1] = out
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s in %s: %w\n%s", strings.Join(env, " "), strings.Join(args, " "), root, err, b)
		}
		return nil
	}, nil
}

// looked caches, for the test process, the binary found for each root and spec: the sources
// do not change while tests run, and a lookup costs a go env and a hash of the sources.
var looked sync.Map // root + "\x00" + spec → func() (string, error)

// cached returns the shared cache's binary for the repository's sources and spec (what else
// decides the binary: tags, flags, environment), building it with build if missing.
func cached(t testing.TB, spec string, build builder) string {
	t.Helper()
	root := Root(t)
	get, _ := looked.LoadOrStore(root+"\x00"+spec, sync.OnceValues(func() (string, error) {
		dir, err := CacheDir()
		if err != nil {
			return "", err
		}
		c := &binCache{dir: dir, keep: keepBuilds}
		return c.get(context.Background(), root, spec, build)
	}))
	bin, err := get.(func() (string, error))()
	if err == nil {
		if _, serr := os.Stat(bin); errors.Is(serr, fs.ErrNotExist) { // pruned since: build again
			var dir string
			if dir, err = CacheDir(); err == nil {
				bin, err = (&binCache{dir: dir, keep: keepBuilds}).get(context.Background(), root, spec, build)
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// CacheDir returns the directory of the shared build cache: signet-test-bin under the user's
// cache directory (os.UserCacheDir), or under the temporary directory when there is none.
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = filepath.Join(os.TempDir(), fmt.Sprintf("signet-test-cache-%d", os.Getuid()))
	}
	dir := filepath.Join(base, "signet-test-bin")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the signet test binary cache %s: %w", dir, err)
	}
	return dir, nil
}

// RemoveBuilds prunes the shared cache to its most recently used binaries. TestMain calls it
// after m.Run; the binaries of the current sources stay for the next run.
func RemoveBuilds() error {
	dir, err := CacheDir()
	if err != nil {
		return err
	}
	c := &binCache{dir: dir, keep: keepBuilds}
	unlock, err := c.lock(context.Background())
	if err != nil {
		return err
	}
	defer unlock()
	return c.prune()
}

// builder builds signet from the module at root into the file out.
type builder func(ctx context.Context, root, out string) error

// binCache is a directory of signet binaries by source key, shared between processes.
type binCache struct {
	dir  string
	keep int
}

// get returns the binary for root's current sources and spec, building it with build if the
// cache does not hold it.
func (c *binCache) get(ctx context.Context, root, spec string, build builder) (string, error) {
	key, err := sourceKey(ctx, root, spec)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(c.dir, binPrefix+key[:32])
	if ok, err := c.hit(bin); ok || err != nil {
		return bin, err
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	unlock, err := c.lock(ctx)
	if err != nil {
		return "", err
	}
	defer unlock()
	if ok, err := c.hit(bin); ok || err != nil {
		return bin, err // another process built it while this one waited
	}
	tmp, err := os.MkdirTemp(c.dir, ".building-")
	if err != nil {
		return "", fmt.Errorf("creating a build directory in %s: %w", c.dir, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "signet")
	if err := build(ctx, root, out); err != nil {
		return "", err
	}
	if err := os.Rename(out, bin); err != nil {
		return "", fmt.Errorf("moving the signet binary into the cache: %w", err)
	}
	if err := c.prune(); err != nil {
		return "", err
	}
	return bin, nil
}

// hit reports whether bin is in the cache, marking it used.
func (c *binCache) hit(bin string) (bool, error) {
	fi, err := os.Stat(bin)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("signet test binary %s: %w", bin, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o100 == 0 {
		return false, fmt.Errorf("signet test binary %s is not an executable file: remove it", bin)
	}
	now := time.Now()
	if err := os.Chtimes(bin, now, now); err != nil {
		return false, fmt.Errorf("marking %s used: %w", bin, err)
	}
	return true, nil
}

// lock takes the cache's exclusive lock, waiting for it until ctx ends.
func (c *binCache) lock(ctx context.Context) (func(), error) {
	f, err := os.OpenFile(filepath.Join(c.dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock of %s: %w", c.dir, err)
	}
	for {
		ok, err := tryFlock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", c.dir, err)
		}
		if ok {
			return func() { f.Close() }, nil // closing releases the lock; so does the process's death
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another test process to build signet in %s: %w", c.dir, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// prune removes the binaries beyond the keep most recently used that were not used within
// recentUse, and build directories of processes that died while building (older than a
// build may take).
func (c *binCache) prune() error {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", c.dir, err)
	}
	type bin struct {
		path string
		used time.Time
	}
	var bins []bin
	for _, e := range entries {
		p := filepath.Join(c.dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), ".building-"):
			fi, err := e.Info()
			if err != nil || time.Since(fi.ModTime()) < buildTimeout {
				continue // removed meanwhile, or perhaps still building (where there is no flock)
			}
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("removing an interrupted build: %w", err)
			}
		case strings.HasPrefix(e.Name(), binPrefix):
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			bins = append(bins, bin{p, fi.ModTime()})
		}
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i].used.After(bins[j].used) })
	for _, b := range bins[min(c.keep, len(bins)):] {
		if time.Since(b.used) < recentUse {
			continue
		}
		if err := os.Remove(b.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("pruning the signet test binary cache: %w", err)
		}
	}
	return nil
}

// sourceKey hashes what the binary is built from: every non-test Go file of the module (path
// and content), go.mod, go.sum, spec (tags, flags) and the toolchain's version and target.
func sourceKey(ctx context.Context, root, spec string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION", "GOOS", "GOARCH", "GOAMD64", "GOEXPERIMENT", "GOFLAGS")
	cmd.Dir = root
	goenv, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env in %s: %w", root, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "signet test build v1\x00%s\x00%s\x00", spec, goenv)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir // the go command ignores these directories
			}
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		source := strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
		if !source && rel != "go.mod" && rel != "go.sum" {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "\x00%s\x00", filepath.ToSlash(rel))
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("hashing the sources under %s: %w", root, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// goBuild builds signet from root with tags (comma-separated) into out.
func goBuild(ctx context.Context, root, tags, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", tags, "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build -tags %q in %s: %w\n%s", tags, root, err, b)
	}
	return nil
}

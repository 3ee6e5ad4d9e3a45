package core

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Sentinel errors callers branch on when collecting subjects.
var (
	// ErrNoMatch means a glob matched no file.
	ErrNoMatch = errors.New("matched no files")
	// ErrEmptyDir means a directory given as a subject holds no regular file.
	ErrEmptyDir = errors.New("directory holds no files")
	// ErrOutsideBase means a path, or a symlink's target, lies outside the base directory.
	ErrOutsideBase = errors.New("outside the base directory")
	// ErrNoSubjects means the inputs named nothing to attest.
	ErrNoSubjects = errors.New("no subjects")
)

// Inputs names the build outputs to attest.
type Inputs struct {
	// Paths are files, directories (walked recursively) and globs ("dist/**/*.tar.gz").
	Paths []string
	// ChecksumFiles are sha256sum/shasum style files: "HEX  NAME" or "HEX *NAME" lines.
	ChecksumFiles []string
	// Refs are NAME@ALG:HEX subjects given by digest.
	Refs []string
}

// Collector turns Inputs into digested Subjects relative to a base directory.
type Collector struct {
	base    string
	alg     string
	workers int
}

// CollectOption configures a Collector.
type CollectOption func(*Collector) error

// WithAlgorithm selects the digest algorithm for files: sha256 (default) or sha512.
func WithAlgorithm(alg string) CollectOption {
	return func(c *Collector) error {
		if _, ok := digestLen[alg]; !ok {
			return fmt.Errorf("digest algorithm %q: expected sha256 or sha512", alg)
		}
		c.alg = alg
		return nil
	}
}

// WithWorkers bounds how many files are digested at once (default: GOMAXPROCS).
func WithWorkers(n int) CollectOption {
	return func(c *Collector) error {
		if n < 1 {
			return fmt.Errorf("digest workers: %d is not a positive number", n)
		}
		c.workers = n
		return nil
	}
}

// NewCollector returns a Collector whose subject names are relative to base.
func NewCollector(base string, opts ...CollectOption) (*Collector, error) {
	abs, err := filepath.Abs(base)
	if err != nil {
		return nil, fmt.Errorf("base directory %q: %w", base, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	c := &Collector{base: abs, alg: SHA256, workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Base returns the absolute base directory subject names are relative to.
func (c *Collector) Base() string { return c.base }

// Collect resolves, digests and de-duplicates every input, in a stable order: files in
// lexical order of their names, then checksum-file entries, then refs, each in input order.
func (c *Collector) Collect(ctx context.Context, in Inputs) ([]Subject, error) {
	files, err := c.resolvePaths(in.Paths)
	if err != nil {
		return nil, err
	}
	subjects, err := DigestFiles(ctx, files, c.alg, c.workers)
	if err != nil {
		return nil, err
	}
	for _, f := range in.ChecksumFiles {
		got, err := ReadChecksumFile(c.abs(f))
		if err != nil {
			return nil, err
		}
		subjects = append(subjects, got...)
	}
	for _, r := range in.Refs {
		s, err := ParseSubjectRef(r)
		if err != nil {
			return nil, err
		}
		subjects = append(subjects, s)
	}
	subjects = Dedupe(subjects)
	if len(subjects) == 0 {
		return nil, fmt.Errorf("%w: give files, directories, globs, a checksums file or NAME@sha256:HEX", ErrNoSubjects)
	}
	return subjects, nil
}

func (c *Collector) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.base, p)
}

// FileRef is a regular file to digest: its subject name and where it is on disk.
type FileRef struct {
	Name string
	Path string
}

// resolvePaths expands paths, directories and globs into regular files, sorted by name.
func (c *Collector) resolvePaths(inputs []string) ([]FileRef, error) {
	seen := map[string]bool{}
	var out []FileRef
	add := func(abs string) error {
		name, err := c.name(abs)
		if err != nil {
			return err
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, FileRef{Name: name, Path: abs})
		}
		return nil
	}
	for _, in := range inputs {
		var err error
		if hasMeta(in) {
			err = c.expandGlob(in, add)
		} else {
			err = c.expandPath(in, add)
		}
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// name returns the slash-separated path of abs relative to the base, refusing paths outside it.
func (c *Collector) name(abs string) (string, error) {
	rel, err := filepath.Rel(c.base, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("subject %q: %w %q; run signet from a directory that contains it", abs, ErrOutsideBase, c.base)
	}
	return filepath.ToSlash(rel), nil
}

// checkLink refuses a symlink whose target leaves the base directory.
func (c *Collector) checkLink(abs string) error {
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("resolving symlink %q: %w", abs, err)
	}
	if _, err := c.name(real); err != nil {
		return fmt.Errorf("symlink %q points to %q, %w %q", abs, real, ErrOutsideBase, c.base)
	}
	return nil
}

func (c *Collector) expandPath(p string, add func(string) error) error {
	abs := c.abs(p)
	li, err := os.Lstat(abs)
	if err != nil {
		return fmt.Errorf("subject path %q: %w", p, err)
	}
	if li.Mode()&fs.ModeSymlink != 0 {
		if err := c.checkLink(abs); err != nil {
			return err
		}
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("subject path %q: %w", p, err)
	}
	switch {
	case fi.IsDir():
		return c.walkDir(p, abs, add)
	case fi.Mode().IsRegular():
		return add(abs)
	default:
		return fmt.Errorf("subject path %q: not a regular file or directory (mode %s)", p, fi.Mode())
	}
}

func (c *Collector) walkDir(p, dir string, add func(string) error) error {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading directory %q: %w", p, err)
		}
		if ok, err := c.regular(path, d); !ok || err != nil {
			return err // links to directories are not followed
		}
		n++
		return add(path)
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("subject directory %q: %w", p, ErrEmptyDir)
	}
	return nil
}

// hasMeta reports whether p holds glob metacharacters.
func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// expandGlob walks the longest literal prefix of pattern and adds every regular file whose
// path matches. "**" matches any number of directories, including none.
func (c *Collector) expandGlob(pattern string, add func(string) error) error {
	root, rest, err := c.splitGlob(pattern)
	if err != nil {
		return err
	}
	n := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipAll
			}
			return fmt.Errorf("subject glob %q: %w", pattern, err)
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		segs := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() && !prefixCanMatch(rest, segs) {
			return fs.SkipDir // nothing below can match: do not walk it
		}
		if !matchSegments(rest, segs) {
			return nil
		}
		if ok, err := c.regular(p, d); !ok || err != nil {
			return err
		}
		n++
		return add(p)
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("subject glob %q %w (relative to %q)", pattern, ErrNoMatch, c.base)
	}
	return nil
}

// splitGlob splits an absolute pattern into the directory to walk (its literal prefix) and the
// pattern segments below it.
func (c *Collector) splitGlob(pattern string) (root string, rest []string, err error) {
	segs := strings.Split(filepath.ToSlash(c.abs(pattern)), "/")
	i := 0
	for i < len(segs) && !hasMeta(segs[i]) {
		i++
	}
	rest = segs[i:]
	if _, err := path.Match(strings.Join(rest, "/"), ""); err != nil {
		return "", nil, fmt.Errorf("subject glob %q: %w", pattern, err)
	}
	return filepath.FromSlash("/" + path.Join(segs[:i]...)), rest, nil
}

// regular reports whether the walked entry p is a regular file, following a symlink only when
// its target stays inside the base directory (a link leaving it is an error).
func (c *Collector) regular(p string, d fs.DirEntry) (bool, error) {
	if d.Type()&fs.ModeSymlink == 0 {
		return d.Type().IsRegular(), nil
	}
	if err := c.checkLink(p); err != nil {
		return false, err
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular(), nil
}

// MatchPath reports whether the slash-separated path name matches pattern, in which "**" spans
// any number of directories (including none) and every other segment is a path.Match pattern.
// It is the matching that subject globs use.
func MatchPath(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

// prefixCanMatch reports whether some path below the directory dir (segments) could match pat.
func prefixCanMatch(pat, dir []string) bool {
	for _, seg := range dir {
		if len(pat) == 0 {
			return false
		}
		if pat[0] == "**" {
			return true
		}
		if ok, _ := path.Match(pat[0], seg); !ok {
			return false
		}
		pat = pat[1:]
	}
	return len(pat) > 0
}

// matchSegments matches path segments against pattern segments, "**" spanning any number.
func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for k := 0; k <= len(name); k++ {
				if matchSegments(pat[1:], name[k:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

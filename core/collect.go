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
	// ErrConflictingSubject means one name was given two different digests of one algorithm.
	ErrConflictingSubject = errors.New("conflicting digests")
	// ErrNotRegular means a subject path is a FIFO, socket, device or other non-regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrInOutputDir means a subject lies inside the output directory, whose contents are
	// never subjects.
	ErrInOutputDir = errors.New("inside the output directory")
	// ErrChanged means a file was replaced between the walk and the open.
	ErrChanged = errors.New("changed while being collected")
)

// Inputs names the build outputs to attest.
type Inputs struct {
	// Paths are files, directories (walked recursively) and globs ("dist/**/*.tar.gz").
	Paths []string
	// ChecksumFiles are sha256sum/shasum style files: "HEX  NAME" or "HEX *NAME" lines.
	ChecksumFiles []string
	// Refs are NAME@ALG:HEX subjects given by digest.
	Refs []string
	// RefsFrom names, in errors, where Refs came from (default "--subject").
	RefsFrom string
	// Images are subjects the caller resolved before collecting (container images, by the
	// digest their registry serves), each with where it came from for conflict errors.
	Images []Given
}

// Given is a subject whose digest the caller established, and where it came from
// ("--image ghcr.io/org/app:v1").
type Given struct {
	Subject Subject
	From    string
}

// Collector turns Inputs into digested Subjects relative to a base directory.
type Collector struct {
	base    string
	alg     string
	workers int
	outDir  string // absolute, symlinks resolved; empty when none
	rec     Recorder
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

// WithOutputDir names the directory attest writes to: its contents, and the staging
// directories beside it, are never subjects. A path or glob inside it is an error; a walked
// directory that contains it skips it.
func WithOutputDir(dir string) CollectOption {
	return func(c *Collector) error {
		abs := dir
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(c.base, dir)
		}
		c.outDir = resolveExisting(filepath.Clean(abs))
		return nil
	}
}

// WithRecorder times Collect's phases (collect, and digest inside it) on r.
func WithRecorder(r Recorder) CollectOption {
	return func(c *Collector) error {
		c.rec = r
		return nil
	}
}

// resolveExisting resolves symlinks in the longest existing prefix of the absolute path p.
func resolveExisting(p string) string {
	if real, err := filepath.EvalSymlinks(p); err == nil {
		return real
	}
	parent := filepath.Dir(p)
	if parent == p {
		return p
	}
	return filepath.Join(resolveExisting(parent), filepath.Base(p))
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

// Collect resolves, digests and merges every input, in a stable order: files in lexical order
// of their names, then checksum-file entries, then refs, each in input order. A name given
// twice with the same digests is one subject; a name given two different digests of one
// algorithm is refused with ErrConflictingSubject, naming both sources. Nothing here uses
// the network.
func (c *Collector) Collect(ctx context.Context, in Inputs) ([]Subject, error) {
	defer StartPhase(c.rec, PhaseCollect)()
	files, err := c.resolvePaths(in.Paths)
	if err != nil {
		return nil, err
	}
	var items []sourced
	for _, f := range files {
		items = append(items, sourced{Subject: Subject{Name: f.Name, Path: f.Path}, from: "file " + QuoteName(f.Name)})
	}
	for _, f := range in.ChecksumFiles {
		got, err := readChecksumEntries(c.abs(f))
		if err != nil {
			return nil, err
		}
		for _, e := range got {
			items = append(items, sourced{Subject: e.Subject, from: fmt.Sprintf("%s:%d", f, e.Line)})
		}
	}
	refsFrom := in.RefsFrom
	if refsFrom == "" {
		refsFrom = "--subject"
	}
	for _, r := range in.Refs {
		s, err := ParseSubjectRef(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", refsFrom, err)
		}
		if s.Name, err = NormalizeName(s.Name); err != nil {
			return nil, fmt.Errorf("%s %s: %w", refsFrom, QuoteName(r), err)
		}
		items = append(items, sourced{Subject: s, from: fmt.Sprintf("%s %s", refsFrom, QuoteName(r))})
	}
	for _, g := range in.Images {
		if err := checkNameChars(g.Subject.Name); err != nil {
			return nil, fmt.Errorf("%s: %w", g.From, err)
		}
		if len(g.Subject.Digest) == 0 {
			return nil, fmt.Errorf("%s: %w: no digest", g.From, ErrInvalidSubject)
		}
		items = append(items, sourced{Subject: Subject{Name: g.Subject.Name, Digest: g.Subject.Digest}, from: g.From})
	}
	// Conflicts among given digests are found before any file is read; a file's digest is
	// compared once computed.
	if _, err := merge(items[len(files):], c.alg); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(c.base)
	if err != nil {
		return nil, fmt.Errorf("base directory %q: %w", c.base, err)
	}
	defer root.Close()
	endDigest := StartPhase(c.rec, PhaseDigest)
	digested, err := digestFiles(ctx, files, c.alg, c.workers, func(f FileRef) (*os.File, error) { return openInRoot(root, f) })
	endDigest()
	if err != nil {
		return nil, err
	}
	for i := range digested {
		items[i].Subject = digested[i]
	}
	subjects, err := merge(items, c.alg)
	if err != nil {
		return nil, err
	}
	if len(subjects) == 0 {
		return nil, fmt.Errorf("%w: give files, directories, globs, a checksums file or NAME@sha256:HEX", ErrNoSubjects)
	}
	return subjects, nil
}

// sourced is a subject and where it came from, for conflict errors.
type sourced struct {
	Subject
	from string
}

// merge folds subjects that share a name into one, refusing two different digests of one
// algorithm, and a given digest of another algorithm than a file's (it cannot be checked).
func merge(items []sourced, fileAlg string) ([]Subject, error) {
	pos := make(map[string]int, len(items))
	var out []Subject
	type origin struct{ alg, from string }
	var origins [][]origin
	for _, it := range items {
		i, seen := pos[it.Name]
		if !seen {
			pos[it.Name] = len(out)
			d := make(map[string]string, len(it.Digest))
			var o []origin
			for a, h := range it.Digest {
				d[a] = h
				o = append(o, origin{a, it.from})
			}
			s := it.Subject
			s.Digest = d
			out = append(out, s)
			origins = append(origins, o)
			continue
		}
		cur := &out[i]
		for a, h := range it.Digest {
			if have, ok := cur.Digest[a]; ok {
				if have != h {
					first := ""
					for _, o := range origins[i] {
						if o.alg == a {
							first = o.from
						}
					}
					return nil, fmt.Errorf("subject %s: %w: %s gives %s:%s but %s gives %s:%s; "+
						"one name must have one digest: remove the stale entry", QuoteName(it.Name), ErrConflictingSubject,
						first, a, have, it.from, a, h)
				}
				continue
			}
			if cur.Path != "" || it.Path != "" {
				return nil, fmt.Errorf("subject %s: %s gives a %s digest but the file is digested with %s, "+
					"so they cannot be compared: give %s digests (or choose the digest algorithm %s)",
					QuoteName(it.Name), it.from, a, fileAlg, fileAlg, a)
			}
			cur.Digest[a] = h
			origins[i] = append(origins[i], origin{a, it.from})
		}
		if cur.Path == "" && it.Path != "" {
			cur.Path = it.Path
		}
	}
	return out, nil
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
	// Info, when set, is the file as the walk saw it: the file opened for digesting must be
	// the same one (os.SameFile), or the digest is refused with ErrChanged.
	Info fs.FileInfo
}

// resolvePaths expands paths, directories and globs into regular files, sorted by name.
func (c *Collector) resolvePaths(inputs []string) ([]FileRef, error) {
	seen := map[string]bool{}
	var out []FileRef
	add := func(f FileRef) {
		if !seen[f.Name] {
			seen[f.Name] = true
			out = append(out, f)
		}
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

// name returns the slash-separated path of abs relative to the base, refusing paths outside it
// and names holding control or bidirectional-override characters.
func (c *Collector) name(abs string) (string, error) {
	rel, err := filepath.Rel(c.base, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("subject %s: %w %q; run signet from a directory that contains it", QuoteName(abs), ErrOutsideBase, c.base)
	}
	name := filepath.ToSlash(rel)
	if err := checkNameChars(name); err != nil {
		return "", fmt.Errorf("subject path: %w", err)
	}
	return name, nil
}

// inOutput reports whether abs is the output directory or lies inside it.
func (c *Collector) inOutput(abs string) bool {
	if c.outDir == "" {
		return false
	}
	rel, err := filepath.Rel(c.outDir, abs)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// skipDir reports whether a walked directory is the output directory or a staging directory.
func (c *Collector) skipDir(abs string) bool {
	return c.inOutput(abs) || IsStagingName(filepath.Base(abs))
}

// refuseInOutput refuses an input that names the output directory or something inside it.
func (c *Collector) refuseInOutput(input, abs string) error {
	if c.inOutput(resolveExisting(abs)) {
		return fmt.Errorf("subject %s: %w %q, whose contents are never subjects; write attestations elsewhere (another output directory)",
			QuoteName(input), ErrInOutputDir, c.outDir)
	}
	return nil
}

// checkLink refuses a symlink whose target leaves the base directory.
func (c *Collector) checkLink(abs string) error {
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("resolving symlink %s: %w", QuoteName(abs), err)
	}
	if _, err := c.name(real); err != nil {
		return fmt.Errorf("symlink %s points to %s, %w %q", QuoteName(abs), QuoteName(real), ErrOutsideBase, c.base)
	}
	return nil
}

func (c *Collector) expandPath(p string, add func(FileRef)) error {
	abs := c.abs(p)
	if err := c.refuseInOutput(p, abs); err != nil {
		return err
	}
	li, err := os.Lstat(abs)
	if err != nil {
		return fmt.Errorf("subject path %s: %w", QuoteName(p), err)
	}
	if li.IsDir() {
		return c.walkDir(p, abs, add)
	}
	f, ok, err := c.file(abs, li)
	if err != nil {
		return err
	}
	if !ok { // a symlink to a directory inside the base, named directly, is walked
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return fmt.Errorf("subject path %s: %w", QuoteName(p), err)
		}
		if err := c.refuseInOutput(p, real); err != nil {
			return err
		}
		return c.walkDir(p, real, add)
	}
	add(f)
	return nil
}

func (c *Collector) walkDir(p, dir string, add func(FileRef)) error {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading directory %s: %w", QuoteName(p), err)
		}
		if d.IsDir() {
			if path != dir && c.skipDir(path) {
				return fs.SkipDir
			}
			return nil
		}
		f, ok, err := c.entry(path, d)
		if !ok || err != nil {
			return err // links to directories are not followed
		}
		n++
		add(f)
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("subject directory %s: %w", QuoteName(p), ErrEmptyDir)
	}
	return nil
}

// hasMeta reports whether p holds glob metacharacters.
func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// expandGlob walks the longest literal prefix of pattern and adds every regular file whose
// path matches. "**" matches any number of directories, including none.
func (c *Collector) expandGlob(pattern string, add func(FileRef)) error {
	root, rest, err := c.splitGlob(pattern)
	if err != nil {
		return err
	}
	if err := c.refuseInOutput(pattern, root); err != nil {
		return err
	}
	n := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipAll
			}
			return fmt.Errorf("subject glob %s: %w", QuoteName(pattern), err)
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		segs := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() && (!prefixCanMatch(rest, segs) || c.skipDir(p)) {
			return fs.SkipDir // nothing below can match, or nothing below is a subject
		}
		if d.IsDir() || !matchSegments(rest, segs) {
			return nil
		}
		f, ok, err := c.entry(p, d)
		if !ok || err != nil {
			return err
		}
		n++
		add(f)
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("subject glob %s %w (relative to %q)", QuoteName(pattern), ErrNoMatch, c.base)
	}
	return nil
}

// splitGlob splits an absolute pattern into the directory to walk (its literal prefix) and the
// pattern segments below it.
func (c *Collector) splitGlob(pattern string) (root string, rest []string, err error) {
	root, rest, err = splitGlobPath(c.abs(pattern), filepath.Separator == '\\')
	if err != nil {
		return "", nil, fmt.Errorf("subject glob %q: %w", pattern, err)
	}
	return root, rest, nil
}

// splitGlobPath splits the clean absolute pattern abs into the directory to walk (its literal
// prefix, in the operating system's form) and the slash-separated pattern segments below it.
// With windows, both \ and / separate and the volume (a drive "C:" or a share
// \\host\share) begins the root; otherwise only / separates and \ is part of a name (an
// escape in the pattern). It is a pure function so that both forms are tested anywhere.
func splitGlobPath(abs string, windows bool) (root string, rest []string, err error) {
	vol, sep := "", "/"
	if windows {
		vol, sep = windowsVolume(abs), `\`
		abs = strings.ReplaceAll(abs[len(vol):], `\`, "/")
	}
	segs := strings.Split(abs, "/")
	i := 0
	for i < len(segs) && !hasMeta(segs[i]) {
		i++
	}
	rest = segs[i:]
	if _, err := path.Match(strings.Join(rest, "/"), ""); err != nil {
		return "", nil, err
	}
	return vol + strings.ReplaceAll("/"+path.Join(segs[:i]...), "/", sep), rest, nil
}

// windowsVolume returns the volume that begins the Windows path p: a drive ("C:"), a share
// (\\host\share, with either separator), or "" for none.
func windowsVolume(p string) string {
	if len(p) >= 2 && p[1] == ':' && ('a' <= p[0]|0x20 && p[0]|0x20 <= 'z') {
		return p[:2]
	}
	isSep := func(c byte) bool { return c == '\\' || c == '/' }
	if len(p) < 3 || !isSep(p[0]) || !isSep(p[1]) || isSep(p[2]) {
		return ""
	}
	n := 0 // separators after the host and after the share
	for i := 2; i < len(p); i++ {
		if isSep(p[i]) {
			if n++; n == 2 {
				return p[:i]
			}
		}
	}
	return p
}

// entry turns a walked non-directory entry into a file to digest; ok is false for a symlink
// to a directory (not followed).
func (c *Collector) entry(p string, d fs.DirEntry) (FileRef, bool, error) {
	li, err := d.Info()
	if err != nil {
		return FileRef{}, false, fmt.Errorf("subject %s: %w", QuoteName(p), err)
	}
	return c.file(p, li)
}

// file checks one path found by a walk or named directly, with li its Lstat: a regular file,
// or a symlink whose target stays inside the base and is a regular file. FIFOs, sockets and
// devices are refused with ErrNotRegular, never skipped in silence.
func (c *Collector) file(p string, li fs.FileInfo) (FileRef, bool, error) {
	name, err := c.name(p)
	if err != nil {
		return FileRef{}, false, err
	}
	info := li
	if li.Mode()&fs.ModeSymlink != 0 {
		if err := c.checkLink(p); err != nil {
			return FileRef{}, false, err
		}
		if info, err = os.Stat(p); err != nil {
			return FileRef{}, false, fmt.Errorf("subject %s: %w", QuoteName(name), err)
		}
		if info.IsDir() {
			return FileRef{}, false, nil
		}
		if real, err := filepath.EvalSymlinks(p); err == nil && c.inOutput(real) {
			return FileRef{}, false, fmt.Errorf("subject %s: symlink to %s, %w %q", QuoteName(name), QuoteName(real), ErrInOutputDir, c.outDir)
		}
	}
	if !info.Mode().IsRegular() {
		return FileRef{}, false, fmt.Errorf("subject %s: %w (%s); signet signs regular files only: remove it or name the files to sign",
			QuoteName(name), ErrNotRegular, fileKind(info.Mode()))
	}
	return FileRef{Name: name, Path: p, Info: info}, true, nil
}

// fileKind names a non-regular file type for errors.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "mode " + m.String()
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

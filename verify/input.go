package verify

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/signet-ci/signet/core"
)

// ErrNoArtifacts means nothing was given to verify.
var ErrNoArtifacts = errors.New("no artifacts to verify")

// Artifacts resolves what to verify: each arg is a file (digested here; relative paths are
// relative to base) or NAME@sha256:HEX (an OCI image digest or any named digest); each digest
// is a bare sha256:HEX. Files are digested with sha256 here; the Verifier digests a file
// again, in one read with every algorithm, when the bundles' statements use another (a run
// attested with --digest-algorithm sha512).
func Artifacts(ctx context.Context, base string, args, digests []string) ([]core.Subject, error) {
	var files []core.FileRef
	var refs []core.Subject
	for _, a := range args {
		p := a
		if !filepath.IsAbs(p) && base != "" {
			p = filepath.Join(base, p)
		}
		fi, err := os.Stat(p)
		switch {
		case err == nil && fi.Mode().IsRegular():
			files = append(files, core.FileRef{Name: filepath.ToSlash(filepath.Clean(a)), Path: p})
		case err == nil:
			return nil, fmt.Errorf("artifact %q: not a regular file (mode %s)", a, fi.Mode())
		case strings.Contains(a, "@"):
			s, perr := core.ParseSubjectRef(a)
			if perr != nil {
				return nil, fmt.Errorf("artifact %q: no such file, and not NAME@sha256:HEX: %w", a, perr)
			}
			refs = append(refs, s)
		default:
			return nil, fmt.Errorf("artifact %q: %w", a, err)
		}
	}
	for _, d := range digests {
		alg, h, err := core.ParseDigest(d)
		if err != nil {
			return nil, fmt.Errorf("--digest %q: %w", d, err)
		}
		refs = append(refs, core.Subject{Name: alg + ":" + h, Digest: map[string]string{alg: h}})
	}
	subjects, err := core.DigestFiles(ctx, files, core.SHA256, runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, err
	}
	all := core.Dedupe(append(subjects, refs...))
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: give artifact paths, NAME@sha256:HEX or --digest sha256:HEX", ErrNoArtifacts)
	}
	return all, nil
}

// digestString renders a subject's preferred digest as ALG:HEX (sha256 first).
func digestString(s core.Subject) string {
	for _, alg := range []string{core.SHA256, core.SHA512} {
		if h := s.Digest[alg]; h != "" {
			return alg + ":" + h
		}
	}
	algs := make([]string, 0, len(s.Digest))
	for a := range s.Digest {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	if len(algs) == 0 {
		return ""
	}
	return algs[0] + ":" + s.Digest[algs[0]]
}

// redigest digests the artifact's file again with every algorithm it already has plus algs,
// in one read, so all of its digests describe the same bytes. Artifacts given as digests
// (no file) are returned as they are.
func redigest(ctx context.Context, a core.Subject, algs []string) (core.Subject, error) {
	if a.Path == "" {
		return a, nil
	}
	want := boolKeys(a.Digest)
	missing := false
	for _, alg := range algs {
		if _, ok := newDigestHash(alg); ok && !want[alg] {
			want[alg], missing = true, true
		}
	}
	if !missing {
		return a, nil
	}
	hashes := map[string]hash.Hash{}
	var ws []io.Writer
	for alg := range want {
		h, ok := newDigestHash(alg)
		if !ok {
			continue
		}
		hashes[alg] = h
		ws = append(ws, h)
	}
	f, err := os.OpenFile(a.Path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return a, fmt.Errorf("artifact %q: digesting again with %v: %w", a.Name, algs, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return a, fmt.Errorf("artifact %q: digesting again with %v: no longer a regular file", a.Name, algs)
	}
	if _, err := io.Copy(io.MultiWriter(ws...), ctxReader{ctx, f}); err != nil {
		return a, fmt.Errorf("artifact %q: digesting again with %v: %w", a.Name, algs, err)
	}
	out := a
	out.Digest = make(map[string]string, len(hashes))
	for alg, h := range hashes {
		out.Digest[alg] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}

// newDigestHash returns a hash for the algorithms artifacts are digested with.
func newDigestHash(alg string) (hash.Hash, bool) {
	switch alg {
	case core.SHA256:
		return sha256.New(), true
	case core.SHA512:
		return sha512.New(), true
	}
	return nil, false
}

// ctxReader stops a long read when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Source finds the bundles that may attest to an artifact.
type Source interface {
	// Bundles returns bundle file paths to try for s with predicate type predicateType.
	Bundles(ctx context.Context, s core.Subject, predicateType string) ([]string, error)
}

// Files is a Source of given bundle files, tried for every artifact.
type Files []string

// Bundles returns every file.
func (f Files) Bundles(context.Context, core.Subject, string) ([]string, error) { return f, nil }

// MaxIndexSize bounds an index file: one of 20,000 subjects with short names is 4.4 MiB.
const MaxIndexSize = 64 << 20

// ErrIndexPath means an index lists a bundle path outside the index's directory.
var ErrIndexPath = errors.New("bundle path must be relative and stay inside the index's directory")

// IndexSource finds bundles through an index written by attest. Lookups are map reads, so
// finding the bundles of n artifacts costs O(n), however many subjects the index lists.
type IndexSource struct {
	dir      string
	ix       *core.Index
	pts      map[string]string   // bundle as listed → predicate type
	paths    map[string]string   // bundle as listed → confined file path
	byDigest map[string][]string // alg:hex → bundles as listed, in index order
	byBase   map[string][]int    // last path segment of a subject name → subjects
	algs     map[string]bool     // digest algorithms the index's subjects use
}

// ReadIndex reads an index written by attest, refusing a file larger than MaxIndexSize or
// one that is not a regular file.
func ReadIndex(path string) (*core.Index, error) {
	b, err := readLimited(path, "index", MaxIndexSize)
	if err != nil {
		return nil, err
	}
	var ix core.Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("reading index %q: not JSON: %w", path, err)
	}
	if ix.MediaType != core.IndexMediaType {
		return nil, fmt.Errorf("reading index %q: mediaType %q, expected %q", path, ix.MediaType, core.IndexMediaType)
	}
	return &ix, nil
}

// OpenIndex reads an index; bundle paths in it are relative to its directory and must stay
// inside it, also after resolving symbolic links: an index naming any other path is refused.
func OpenIndex(path string) (*IndexSource, error) {
	ix, err := ReadIndex(path)
	if err != nil {
		return nil, err
	}
	s := &IndexSource{dir: filepath.Dir(path), ix: ix, pts: make(map[string]string, len(ix.Attestations)),
		paths: map[string]string{}, byDigest: make(map[string][]string, len(ix.Subjects)),
		byBase: make(map[string][]int, len(ix.Subjects)), algs: map[string]bool{}}
	for _, a := range ix.Attestations {
		if err := s.confine(path, a.Bundle); err != nil {
			return nil, err
		}
		s.pts[a.Bundle] = a.PredicateType
	}
	for i, sub := range ix.Subjects {
		for _, b := range sub.Bundles {
			if err := s.confine(path, b); err != nil {
				return nil, err
			}
		}
		for alg, h := range sub.Digest {
			k := alg + ":" + strings.ToLower(h)
			s.byDigest[k] = appendNew(s.byDigest[k], sub.Bundles...)
			s.algs[alg] = true
		}
		s.byBase[baseName(sub.Name)] = append(s.byBase[baseName(sub.Name)], i)
	}
	return s, nil
}

// confine resolves bundle, as the index at indexPath lists it, to a file inside the index's
// directory, once per distinct entry.
func (s *IndexSource) confine(indexPath, bundle string) error {
	if _, ok := s.paths[bundle]; ok {
		return nil
	}
	p, err := confinedPath(s.dir, bundle)
	if err != nil {
		return fmt.Errorf("index %q: bundle %q: %w", indexPath, bundle, err)
	}
	s.paths[bundle] = p
	return nil
}

// confinedPath joins rel to dir, refusing an absolute path, a path that climbs out with "..",
// and a symbolic link (anywhere on the path) that resolves outside dir. A path that does not
// exist yet is confined lexically; opening it later fails as a missing bundle.
func confinedPath(dir, rel string) (string, error) {
	if rel == "" || strings.ContainsRune(rel, 0) || strings.Contains(rel, "\\") || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", ErrIndexPath
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(p)
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Lstat(p); lerr == nil {
			return "", fmt.Errorf("%w: it is a symbolic link that does not resolve", ErrIndexPath)
		}
		return p, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolving links: %w", err)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("resolving the index's directory: %w", err)
	}
	r, err := filepath.Rel(realDir, real)
	if err != nil || !filepath.IsLocal(r) {
		return "", fmt.Errorf("%w: it resolves to %q", ErrIndexPath, real)
	}
	return p, nil
}

// Index returns the index read.
func (s *IndexSource) Index() *core.Index { return s.ix }

// Algorithms returns the digest algorithms the index's subjects use.
func (s *IndexSource) Algorithms() []string { return sortedKeys(s.algs) }

// Bundles returns the bundles the index lists for the artifact's digest with the predicate
// type or, when none, those listed for a subject of the same name, so a modified artifact is
// reported against the digest that was signed.
func (s *IndexSource) Bundles(_ context.Context, a core.Subject, predicateType string) ([]string, error) {
	var listed []string
	for _, alg := range sortedKeys(boolKeys(a.Digest)) {
		listed = appendNew(listed, s.byDigest[alg+":"+strings.ToLower(a.Digest[alg])]...)
	}
	if out := s.filePaths(listed, predicateType); len(out) > 0 {
		return out, nil
	}
	listed = listed[:0]
	for _, i := range s.byBase[baseName(a.Name)] {
		if sub := s.ix.Subjects[i]; sameName(sub.Name, a.Name) {
			listed = appendNew(listed, sub.Bundles...)
		}
	}
	return s.filePaths(listed, predicateType), nil
}

func (s *IndexSource) filePaths(bundles []string, predicateType string) []string {
	var out []string
	for _, b := range bundles {
		if s.pts[b] == predicateType {
			out = appendNew(out, s.paths[b])
		}
	}
	return out
}

// appendNew appends the elements of add not yet in list (lists are a few bundles long).
func appendNew(list []string, add ...string) []string {
	for _, p := range add {
		if !slices.Contains(list, p) {
			list = append(list, p)
		}
	}
	return list
}

// baseName is the last slash-separated segment of a name: two names that sameName matches
// always share it, so it keys the lookup of a modified artifact's signed subject.
func baseName(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}

func boolKeys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DirSource finds bundles in a directory by reading the statements of every *.json file
// (recursively) and keeping those that name the artifact with the predicate type.
type DirSource struct {
	infos    map[string]*BundleInfo
	paths    []string
	byDigest map[string][]string // alg:hex → bundle paths, in directory order
	byBase   map[string][]string // last segment of a subject name → bundle paths
	algs     map[string]bool
}

// OpenDir reads every bundle under dir; files that are not bundles (the index, SBOMs) are skipped.
func OpenDir(dir string) (*DirSource, error) {
	d := &DirSource{infos: map[string]*BundleInfo{}, byDigest: map[string][]string{}, byBase: map[string][]string{}, algs: map[string]bool{}}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading bundle directory %q: %w", dir, err)
		}
		if !e.Type().IsRegular() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		b, err := ReadBundleFile(p)
		if err != nil {
			return err
		}
		info, err := ParseBundle(b)
		if err != nil {
			return nil // not a bundle: an index, an SBOM document, anything else
		}
		d.add(p, info)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(d.paths) == 0 {
		return nil, fmt.Errorf("bundle directory %q: %w", dir, ErrNoBundles)
	}
	return d, nil
}

func (d *DirSource) add(p string, info *BundleInfo) {
	d.infos[p] = info
	d.paths = append(d.paths, p)
	for _, s := range info.claimed() {
		for alg, h := range s.Digest {
			k := alg + ":" + strings.ToLower(h)
			d.byDigest[k] = appendNew(d.byDigest[k], p)
			d.algs[alg] = true
		}
		d.byBase[baseName(s.Name)] = appendNew(d.byBase[baseName(s.Name)], p)
	}
}

// ErrNoBundles means a directory holds no Sigstore bundle.
var ErrNoBundles = errors.New("holds no Sigstore bundle (*.json)")

// Algorithms returns the digest algorithms the bundles' statements use.
func (d *DirSource) Algorithms() []string { return sortedKeys(d.algs) }

// Bundles returns the bundles in the directory whose statement names a and has the predicate
// type, then the message signatures that say they sign a's digest or, when none, the
// attestations naming a subject of the same name (a modified artifact).
func (d *DirSource) Bundles(_ context.Context, a core.Subject, predicateType string) ([]string, error) {
	var out, messages []string
	for _, alg := range sortedKeys(boolKeys(a.Digest)) {
		for _, p := range d.byDigest[alg+":"+strings.ToLower(a.Digest[alg])] {
			switch {
			case d.infos[p].IsMessage():
				messages = appendNew(messages, p)
			case d.infos[p].PredicateType == predicateType:
				out = appendNew(out, p)
			}
		}
	}
	if out = appendNew(out, messages...); len(out) > 0 {
		return out, nil
	}
	for _, p := range d.byBase[baseName(a.Name)] {
		if info := d.infos[p]; info.PredicateType == predicateType && info.namesFile(a.Name) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Sources combines sources: an artifact's bundles are those any of them finds.
func Sources(srcs ...Source) Source { return sources(srcs) }

type sources []Source

// Bundles returns every bundle each source finds, without repeats.
func (ss sources) Bundles(ctx context.Context, a core.Subject, predicateType string) ([]string, error) {
	var out []string
	for _, s := range ss {
		got, err := s.Bundles(ctx, a, predicateType)
		if err != nil {
			return nil, err
		}
		out = appendNew(out, got...)
	}
	return out, nil
}

// Algorithms returns the digest algorithms any of the sources uses.
func (ss sources) Algorithms() []string {
	algs := map[string]bool{}
	for _, s := range ss {
		if a, ok := s.(algorithmSource); ok {
			for _, alg := range a.Algorithms() {
				algs[alg] = true
			}
		}
	}
	return sortedKeys(algs)
}

// algorithmSource is a Source that knows which digest algorithms its subjects use, so that
// artifact files are digested with those before bundles are looked up.
type algorithmSource interface {
	Algorithms() []string
}

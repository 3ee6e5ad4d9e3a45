package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/signet-ci/signet/core"
)

// ErrNoArtifacts means nothing was given to verify.
var ErrNoArtifacts = errors.New("no artifacts to verify")

// Artifacts resolves what to verify: each arg is a file (digested here; relative paths are
// relative to base) or NAME@sha256:HEX (an OCI image digest or any named digest); each digest
// is a bare sha256:HEX.
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

// Source finds the bundles that may attest to an artifact.
type Source interface {
	// Bundles returns bundle file paths to try for s with predicate type predicateType.
	Bundles(ctx context.Context, s core.Subject, predicateType string) ([]string, error)
}

// Files is a Source of given bundle files, tried for every artifact.
type Files []string

// Bundles returns every file.
func (f Files) Bundles(context.Context, core.Subject, string) ([]string, error) { return f, nil }

// IndexSource finds bundles through an index written by attest.
type IndexSource struct {
	dir string
	ix  *core.Index
	pts map[string]string
}

// OpenIndex reads an index; bundle paths in it are relative to its directory.
func OpenIndex(path string) (*IndexSource, error) {
	ix, err := core.ReadIndex(path)
	if err != nil {
		return nil, err
	}
	pts := make(map[string]string, len(ix.Attestations))
	for _, a := range ix.Attestations {
		pts[a.Bundle] = a.PredicateType
	}
	return &IndexSource{dir: filepath.Dir(path), ix: ix, pts: pts}, nil
}

// Index returns the index read.
func (s *IndexSource) Index() *core.Index { return s.ix }

// Bundles returns the bundles the index lists for the artifact's digest with the predicate
// type or, when none, those listed for a subject of the same name, so a modified artifact is
// reported against the digest that was signed.
func (s *IndexSource) Bundles(_ context.Context, a core.Subject, predicateType string) ([]string, error) {
	out := s.paths(s.ix.BundlesFor("", a.Digest), predicateType)
	if len(out) > 0 {
		return out, nil
	}
	for _, sub := range s.ix.Subjects {
		if sameName(sub.Name, a.Name) {
			out = append(out, s.paths(sub.Bundles, predicateType)...)
		}
	}
	return out, nil
}

func (s *IndexSource) paths(bundles []string, predicateType string) []string {
	var out []string
	for _, b := range bundles {
		p := filepath.Join(s.dir, filepath.FromSlash(b))
		if s.pts[b] == predicateType && !containsPath(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func containsPath(paths []string, p string) bool {
	for _, q := range paths {
		if q == p {
			return true
		}
	}
	return false
}

// DirSource finds bundles in a directory by reading the statements of every *.json file
// (recursively) and keeping those that name the artifact with the predicate type.
type DirSource struct {
	infos    map[string]*BundleInfo
	paths    []string
	byDigest map[string][]string // alg:hex → bundle paths, in directory order
}

// OpenDir reads every bundle under dir; files that are not bundles (the index, SBOMs) are skipped.
func OpenDir(dir string) (*DirSource, error) {
	d := &DirSource{infos: map[string]*BundleInfo{}, byDigest: map[string][]string{}}
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
	seen := map[string]bool{}
	for _, s := range info.Subjects {
		for alg, h := range s.Digest {
			k := alg + ":" + strings.ToLower(h)
			if !seen[k] {
				seen[k] = true
				d.byDigest[k] = append(d.byDigest[k], p)
			}
		}
	}
}

// ErrNoBundles means a directory holds no Sigstore bundle.
var ErrNoBundles = errors.New("holds no Sigstore bundle v0.3 (*.json)")

// Bundles returns the bundles in the directory whose statement names a and has the predicate
// type or, when none, those naming a subject of the same name (a modified artifact).
func (d *DirSource) Bundles(_ context.Context, a core.Subject, predicateType string) ([]string, error) {
	var out []string
	for alg, h := range a.Digest {
		for _, p := range d.byDigest[alg+":"+strings.ToLower(h)] {
			if d.infos[p].PredicateType == predicateType && !containsPath(out, p) {
				out = append(out, p)
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, p := range d.paths {
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
		for _, p := range got {
			if !containsPath(out, p) {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

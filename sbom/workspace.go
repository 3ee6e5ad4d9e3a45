package sbom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// A directory subject is either an OCI image layout (it has an oci-layout file) or a
// workspace: a project checkout, perhaps with its dependencies installed. A workspace is
// walked like an archive's filesystem (installed node_modules, Python dist-info, Go binaries
// and archives found in it are cataloged the same way), and its lock files and manifests are
// cataloged too. Packages that only a lock file or manifest names are marked with the
// property signet:declared-only=true: declared, but not found installed in the directory.
//
// Links are never followed (the directory is opened as an os.Root, so no read leaves it) and
// never refused either: a Python virtual environment links to its interpreter outside the
// directory. A lock file that is a link is not read. Under node_modules only package.json
// files are read, under site-packages and dist-packages only Python metadata, and .git is
// skipped: installed packages' own files do not count against max-members.

// propDeclaredOnly marks a package that a lock file or manifest declares and that was not
// found installed in the directory.
const propDeclaredOnly = "signet:declared-only"

// lockKindT is a lock file or manifest of a workspace.
type lockKindT int

const (
	lockNone lockKindT = iota
	lockGoMod
	lockGoSum
	lockPnpm
	lockYarn
	lockRequirements
	lockPoetry
	lockUv
	lockCargo
	lockPom
	lockGemfile
)

// lockNames are the exact base names of lock files and manifests (names are case-sensitive:
// "Package-Lock.json" or "go.mod.orig" is not one).
var lockNames = map[string]lockKindT{
	"go.mod": lockGoMod, "go.sum": lockGoSum, "pnpm-lock.yaml": lockPnpm, "yarn.lock": lockYarn,
	"poetry.lock": lockPoetry, "uv.lock": lockUv, "Cargo.lock": lockCargo, "pom.xml": lockPom,
	"Gemfile.lock": lockGemfile,
}

// requirementsName matches pip requirements files: requirements.txt, requirements-dev.txt …
var requirementsName = regexp.MustCompile(`^requirements[A-Za-z0-9._-]*\.txt$`)

// lockKind classifies a workspace file by its path. Files under node_modules, vendor,
// testdata or a hidden directory are not the project's own declarations.
func lockKind(name string) lockKindT {
	dir, base := path.Split(name)
	for _, el := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		if el == "node_modules" || el == "vendor" || el == "testdata" || strings.HasPrefix(el, ".") && el != "." {
			return lockNone
		}
	}
	if k, ok := lockNames[base]; ok {
		return k
	}
	if requirementsName.MatchString(base) {
		return lockRequirements
	}
	return lockNone
}

// workspace is what a directory walk records besides the metadata: the digest of every
// metadata file read (their listing digests the workspace) and which files are lock files or
// manifests.
type workspace struct {
	files    map[string]string // file → sha256 of the bytes read
	declared map[string]bool   // lock files and manifests (package locations)
}

func (w *workspace) record(name string, data []byte, declared bool) {
	sum := sha256.Sum256(data)
	w.files[name] = hex.EncodeToString(sum[:])
	if declared {
		w.declared[name] = true
	}
}

// digest is the sha256 of the listing of the files read, one "SHA256HEX  NAME\n" line per
// file in name order: the form of Go's dirhash "h1:" hashes, over the files the SBOM was
// built from.
func (w *workspace) digest() string {
	names := make([]string, 0, len(w.files))
	for n := range w.files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s  %s\n", w.files[n], n)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// errOCILayout wraps an error reading a directory taken for an OCI image layout.
func errOCILayout(subject string, err error) error {
	return fmt.Errorf("SBOM of %q: taken for an OCI image layout (it has an oci-layout file): %w", subject, err)
}

// subjectDir catalogs a directory: an OCI image layout when it has an oci-layout file, else a
// workspace.
func (t *tree) subjectDir(ctx context.Context, p string, primary *pkg) ([]string, error) {
	info, err := os.Lstat(filepath.Join(p, "oci-layout"))
	switch {
	case err == nil && info.Mode().IsRegular():
		primary.typ = typeContainer
		keys, err := t.walkOCILayout(ctx, p)
		if errors.Is(err, errNotImage) {
			return nil, errOCILayout(t.s.subject, errors.New("index.json is missing"))
		}
		if err != nil {
			return nil, errOCILayout(t.s.subject, err)
		}
		return keys, nil
	case err == nil:
		return nil, errOCILayout(t.s.subject, fmt.Errorf("oci-layout is a %v, not a regular file", info.Mode().Type()))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("SBOM of %q: %w", t.s.subject, err)
	}
	primary.typ = typeApplication
	if err := t.walkDir(ctx, p); err != nil {
		return nil, fmt.Errorf("SBOM of %q (a workspace directory: no oci-layout file): %w", t.s.subject, err)
	}
	return t.finish(), nil
}

// walkDir walks the workspace directory dir in lexical order.
func (t *tree) walkDir(ctx context.Context, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	t.s.ws = &workspace{files: map[string]string{}, declared: map[string]bool{}}
	return fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", t.where(name), err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() { // links, FIFOs, sockets, devices
			return nil
		}
		if inDir(name, "node_modules") && metaKind(name) != metaNpmManifest ||
			(inDir(name, "site-packages") || inDir(name, "dist-packages")) && metaKind(name) != metaPython {
			return nil // installed packages' own files: only their metadata describes them
		}
		return t.dirFile(ctx, root, name)
	})
}

// inDir reports whether name is inside a directory named dir, at any depth.
func inDir(name, dir string) bool {
	return strings.HasPrefix(name, dir+"/") || strings.Contains(name, "/"+dir+"/")
}

// dirFile catalogs one regular file of the workspace, opened without following a final link
// and without blocking on a FIFO swapped in since the listing.
func (t *tree) dirFile(ctx context.Context, root *os.Root, name string) error {
	f, err := root.OpenFile(name, openFlags|noFollow, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // gone since the listing
		}
		return fmt.Errorf("reading %s: %w", t.where(name), err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading %s: %w", t.where(name), err)
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	return t.file(ctx, name, info.Size(), io.LimitReader(f, info.Size()))
}

// declaredContent reads a workspace lock file or manifest; ok is false for other files.
func (t *tree) declaredContent(name string, size int64, r io.Reader) (ok bool, err error) {
	if t.s.ws == nil || t.depth != 1 {
		return false, nil
	}
	k := lockKind(name)
	if k == lockNone {
		return false, nil
	}
	data, err := readMeta(r, size, t.s.cfg.maxMetadata, LimitMetadataBytes, t.where(name))
	if err != nil {
		return true, err
	}
	t.s.ws.record(name, data, k != lockGoSum)
	t.meta.decl = append(t.meta.decl, declFile{kind: k, namedData: namedData{name, data}})
	return true, nil
}

// declFile is a lock file or manifest collected by a workspace walk.
type declFile struct {
	kind lockKindT
	namedData
}

// catalogDeclared catalogs the lock files and manifests of a workspace, in name order; it
// returns the keys of the projects (or, for lock files naming none, the packages) found.
func (t *tree) catalogDeclared(files []declFile) []string {
	sums := map[string][]byte{} // directory → go.sum
	for _, f := range files {
		if f.kind == lockGoSum {
			sums[path.Dir(f.name)] = f.data
		}
	}
	var found []string
	for _, f := range files {
		if t.s.inv.err != nil {
			return nil
		}
		switch f.kind {
		case lockGoMod:
			found = append(found, t.catalogGoMod(f.namedData, sums[path.Dir(f.name)])...)
		case lockRequirements:
			found = append(found, t.catalogRequirements(f.namedData)...)
		case lockPoetry, lockUv, lockCargo:
			found = append(found, t.catalogTOMLLock(f.kind, f.namedData)...)
		case lockPnpm:
			found = append(found, t.catalogPnpm(f.namedData)...)
		case lockYarn:
			found = append(found, t.catalogYarn(f.namedData)...)
		case lockPom:
			found = append(found, t.catalogPomXML(f.namedData)...)
		case lockGemfile:
			found = append(found, t.catalogGemfile(f.namedData)...)
		}
	}
	return found
}

// markDeclaredOnly marks the packages found only in lock files and manifests (projects
// themselves excepted).
func (inv *inventory) markDeclaredOnly(ws *workspace) {
	for _, p := range inv.pkgs {
		if p == inv.primary || p.typ == typeApplication || len(p.locations) == 0 {
			continue
		}
		only := true
		for _, l := range p.locations {
			if !ws.declared[l] {
				only = false
				break
			}
		}
		if only {
			p.setProp(propDeclaredOnly, "true")
		}
	}
}

// rekeyPrimary gives the workspace's primary package the digest computed from its listing.
func (inv *inventory) rekeyPrimary(s string, digest string) {
	p := inv.primary
	old := p.key()
	delete(inv.pkgs, old)
	p.version = "sha256:" + digest
	p.hashes = map[string]string{"SHA-256": digest}
	p.purl = purl("generic", "", path.Base(s), "", "", "checksum", "sha256:"+digest)
	inv.pkgs[p.key()] = p
	for e := range inv.edges {
		if e.from == old || e.to == old {
			delete(inv.edges, e)
			if e.from == old {
				e.from = p.key()
			}
			if e.to == old {
				e.to = p.key()
			}
			inv.edges[e] = true
		}
	}
}

package sbom

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
)

// scan is the state of cataloging one subject.
type scan struct {
	subject string // the subject's name, first in every message
	cfg     *config
	inv     *inventory
	budget  *budget
	ws      *workspace // set while walking a workspace directory
}

// tree is one filesystem being walked: the subject's root, an archive's members, an image's
// squashed filesystem or a .deb payload. It collects the metadata files its catalogers need
// and catalogs them when the walk is over.
type tree struct {
	s       *scan
	name    string // the archive as shown in messages: "app.tar.gz" or "img.tar!/lib.jar"
	loc     string // prefix of member locations: "" at the subject root, else name + "!/"
	depth   int
	rooted  bool // an image filesystem: absolute names and links are rooted at its root
	members int
	found   []string // keys of the packages found directly in this tree
	meta    metadata
	jar     bool              // a jar: its pom.properties describe the jar itself
	dpkg    map[string]string // installed Debian package name → key
	// tarSizes are the sizes of the regular files of an image tarball, by name; ociDir is the
	// OCI layout being read. Both let image metadata be bounded before go-containerregistry
	// reads it whole.
	tarSizes map[string]int64
	ociDir   string
}

func (s *scan) root() *tree {
	return &tree{s: s, name: s.subject, depth: 1}
}

// child returns the tree of an archive found at member name.
func (t *tree) child(name string) (*tree, error) {
	c := &tree{s: t.s, name: t.loc + name, loc: t.loc + name + "!/", depth: t.depth + 1}
	if c.depth > t.s.cfg.maxDepth {
		return nil, &LimitError{Limit: LimitDepth, Max: int64(t.s.cfg.maxDepth), Where: c.displayName(),
			Detail: fmt.Sprintf("archives nest more than %d deep", t.s.cfg.maxDepth)}
	}
	return c, nil
}

// count counts one member against the member limit; it also stops the walk once the
// catalog has breached a limit.
func (t *tree) count() error {
	if err := t.s.inv.err; err != nil {
		return err
	}
	t.members++
	if t.members > t.s.cfg.maxMembers {
		return &LimitError{Limit: LimitMembers, Max: int64(t.s.cfg.maxMembers), Where: t.displayName(),
			Detail: fmt.Sprintf("more than %d members", t.s.cfg.maxMembers)}
	}
	return nil
}

// displayName names the tree in messages: the subject, then the chain of archives.
func (t *tree) displayName() string {
	if t.depth <= 1 {
		return t.s.subject
	}
	return t.s.subject + "!/" + t.name
}

// selfLocation is where the tree itself is: the subject, or the archive member holding it.
func (t *tree) selfLocation() string {
	if t.depth <= 1 {
		return t.s.subject
	}
	return strings.TrimSuffix(t.loc, "!/")
}

// where names a member of the tree in messages.
func (t *tree) where(name string) string { return t.displayName() + "!/" + name }

// link checks a symbolic link member.
func (t *tree) link(name, target string) error {
	if err := t.count(); err != nil {
		return err
	}
	if err := t.memberNameSize(name); err != nil {
		return err
	}
	return linkTarget(t.displayName(), name, target, t.rooted)
}

// file handles one regular file of the tree; r yields its content and is only valid during
// the call.
func (t *tree) file(ctx context.Context, name string, size int64, r io.Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := t.count(); err != nil {
		return err
	}
	if err := t.memberNameSize(name); err != nil {
		return err
	}
	var dg *fileDigest
	if t.s.cfg.fileDigests {
		dg = newFileDigest()
		r = io.TeeReader(r, dg)
	}
	if err := t.content(ctx, name, size, r); err != nil {
		return err
	}
	if dg == nil {
		return nil
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return fmt.Errorf("reading %s: %w", t.where(name), err)
	}
	e := dg.entry(t.loc + name)
	if err := t.s.inv.limits.check(&e.path, "file name", LimitTextBytes, t.s.inv.limits.maxText, t.where(name)); err != nil {
		return err
	}
	t.s.inv.files = append(t.s.inv.files, e)
	return nil
}

// memberNameSize refuses a member name over the field limit (file names are fields); with
// truncation on the walk goes on and the name is truncated where the document records it.
func (t *tree) memberNameSize(name string) error {
	lim := &t.s.inv.limits
	if len(name) <= lim.maxField || lim.truncate {
		return nil
	}
	return &LimitError{Limit: LimitFieldBytes, Max: int64(lim.maxField), Where: t.where(strings.ToValidUTF8(name[:256], "") + "…"),
		Detail: fmt.Sprintf("member name is %d bytes, over the %d-byte limit", len(name), lim.maxField)}
}

// content dispatches a file by its name, then by its first bytes.
func (t *tree) content(ctx context.Context, name string, size int64, r io.Reader) error {
	if ok, err := t.declaredContent(name, size, r); ok {
		return err
	}
	if kind := metaKind(name); kind != metaNone {
		data, err := t.readMetaFile(kind, r, size, t.where(name))
		if err != nil {
			return err
		}
		if t.s.ws != nil && t.depth == 1 {
			t.s.ws.record(name, data, kind == metaNpmLock)
		}
		t.meta.add(kind, name, data)
		return nil
	}
	var buf [512]byte
	n, err := io.ReadFull(r, buf[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("reading %s: %w", t.where(name), err)
	}
	k := sniff(buf[:n])
	if k == kindOther {
		return nil
	}
	head := append([]byte(nil), buf[:n]...)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(head), r), 64<<10)
	switch k {
	case kindExecutable:
		return t.goBinary(name, br)
	case kindGzip, kindZstd, kindXz, kindBzip2:
		return t.compressed(ctx, name, k, br)
	case kindTar:
		return t.nestedTar(ctx, name, br)
	case kindZip:
		return t.nestedZip(ctx, name, size, br)
	case kindAr:
		return t.nestedDeb(ctx, name, br)
	case kindRPM:
		return t.nestedRPM(ctx, name, br)
	}
	return nil
}

// nestedRPM walks an rpm package file found inside a tree.
func (t *tree) nestedRPM(ctx context.Context, name string, r io.Reader) error {
	c, err := t.child(name)
	if err != nil {
		return err
	}
	keys, err := c.walkRPM(ctx, r)
	if err != nil {
		return err
	}
	t.found = append(t.found, keys...)
	return nil
}

// goBinary catalogs the Go build information streamed out of an executable member.
func (t *tree) goBinary(name string, r io.Reader) error {
	bi, err := scanBuildInfo(r)
	if err != nil {
		return fmt.Errorf("reading %s: %w", t.where(name), err)
	}
	if bi == nil {
		return nil
	}
	t.meta.binaries = append(t.meta.binaries, goBinary{path: name, info: bi})
	return nil
}

func (t *tree) compressed(ctx context.Context, name string, k kind, r io.Reader) error {
	dr, closeFn, err := decompress(k, r)
	if err != nil {
		return fmt.Errorf("reading %s: %w", t.where(name), err)
	}
	defer closeFn()
	m := &meter{r: dr, b: t.s.budget, archive: t.where(name)}
	br := bufio.NewReaderSize(m, 4096)
	head, _ := br.Peek(512)
	if sniff(head) != kindTar {
		return nil // a compressed file that is not a tarball: nothing to catalog
	}
	return t.nestedTar(ctx, name, br)
}

func (t *tree) nestedTar(ctx context.Context, name string, r io.Reader) error {
	c, err := t.child(name)
	if err != nil {
		return err
	}
	if err := c.walkTar(ctx, r); err != nil {
		return err
	}
	t.found = append(t.found, c.finish()...)
	return nil
}

// finish catalogs what the walk collected and returns the keys of the packages found
// directly in the tree (the caller links them to whatever holds the tree).
func (t *tree) finish() []string {
	found := append([]string(nil), t.found...)
	found = append(found, t.meta.catalog(t)...)
	return found
}

// metaKind classifies a member by its path.
type metaKindT int

const (
	metaNone metaKindT = iota
	metaDpkgStatus
	metaDpkgList
	metaApk
	metaOSRelease
	metaNpmManifest
	metaNpmLock
	metaPython
	metaPomProperties
	metaManifest
	metaDebCopyright
)

func metaKind(name string) metaKindT {
	base := path.Base(name)
	dir := path.Dir(name)
	switch {
	case name == "var/lib/dpkg/status" || dir == "var/lib/dpkg/status.d" && !strings.Contains(base, "."):
		return metaDpkgStatus
	case dir == "var/lib/dpkg/info" && strings.HasSuffix(base, ".list"):
		return metaDpkgList
	case name == "lib/apk/db/installed":
		return metaApk
	case name == "etc/os-release" || name == "usr/lib/os-release":
		return metaOSRelease
	case base == "package.json" && isNodeModule(dir):
		return metaNpmManifest
	case base == "package-lock.json" && !strings.Contains(name, "node_modules/"):
		return metaNpmLock
	case base == "METADATA" && strings.HasSuffix(dir, ".dist-info"), base == "PKG-INFO" && strings.HasSuffix(dir, ".egg-info"),
		strings.HasSuffix(base, ".egg-info"): // a single-file egg-info is the metadata itself
		return metaPython
	case base == "pom.properties" && strings.HasPrefix(name, "META-INF/maven/"):
		return metaPomProperties
	case name == "META-INF/MANIFEST.MF":
		return metaManifest
	case base == "copyright" && path.Dir(dir) == "usr/share/doc":
		return metaDebCopyright
	}
	return metaNone
}

// isNodeModule reports whether dir is a package directory right under node_modules
// (node_modules/NAME or node_modules/@SCOPE/NAME).
func isNodeModule(dir string) bool {
	parent, base := path.Split(dir)
	parent = strings.TrimSuffix(parent, "/")
	if base == "" || strings.HasPrefix(base, ".") {
		return false
	}
	if path.Base(parent) == "node_modules" {
		return true
	}
	return strings.HasPrefix(path.Base(parent), "@") && path.Base(path.Dir(parent)) == "node_modules"
}

// readMetaFile reads a metadata file of kind k within its limit: a database or lock file
// within max-metadata-bytes, a file describing one package within max-manifest-bytes. A
// declared size over the limit is refused before anything is read; otherwise at most one
// byte past the limit is read. Of a Python METADATA only the header block is kept, and it
// alone must fit.
func (t *tree) readMetaFile(k metaKindT, r io.Reader, size int64, where string) ([]byte, error) {
	switch k {
	case metaDpkgStatus, metaDpkgList, metaApk, metaNpmLock:
		return readMeta(r, size, t.s.cfg.maxMetadata, LimitMetadataBytes, where)
	case metaPython:
		return readHeaderBlock(r, t.s.cfg.maxManifest, where)
	}
	return readMeta(r, size, t.s.cfg.maxManifest, LimitManifestBytes, where)
}

// readMeta reads a file of at most max bytes (the limit named limit); size (when known,
// else -1) sizes the buffer, and a size over max is refused without reading.
func readMeta(r io.Reader, size, max int64, limit, where string) ([]byte, error) {
	if size > max {
		return nil, &LimitError{Limit: limit, Max: max, Where: where,
			Detail: fmt.Sprintf("metadata file is %d bytes, larger than %d", size, max)}
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + bytes.MinRead)
	}
	n, err := io.Copy(&buf, io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", where, err)
	}
	if n > max {
		return nil, &LimitError{Limit: limit, Max: max, Where: where,
			Detail: fmt.Sprintf("metadata file is larger than %d bytes", max)}
	}
	return buf.Bytes(), nil
}

// readHeaderBlock reads a core-metadata file (RFC 822 headers, a blank line, then a
// description body that is never read) and returns its headers, which must fit in limit bytes.
func readHeaderBlock(r io.Reader, limit int64, where string) ([]byte, error) {
	var buf bytes.Buffer
	chunk := make([]byte, 32<<10)
	for {
		n, err := r.Read(chunk)
		from := max(0, buf.Len()-1) // a blank line may straddle two reads
		buf.Write(chunk[:n])
		if i := bytes.Index(buf.Bytes()[from:], []byte("\n\n")); i >= 0 && int64(from+i) < limit {
			return append([]byte(nil), buf.Bytes()[:from+i+1]...), nil
		}
		if int64(buf.Len()) > limit {
			return nil, &LimitError{Limit: LimitManifestBytes, Max: limit, Where: where,
				Detail: fmt.Sprintf("metadata headers run past %d bytes", limit)}
		}
		if errors.Is(err, io.EOF) {
			return buf.Bytes(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", where, err)
		}
	}
}

// fileDigest computes the SHA-1 and SHA-256 of a file listed with file digests on.
type fileDigest struct {
	s1, s256 hash.Hash
}

func newFileDigest() *fileDigest { return &fileDigest{s1: sha1.New(), s256: sha256.New()} }

func (d *fileDigest) Write(p []byte) (int, error) {
	d.s1.Write(p)
	d.s256.Write(p)
	return len(p), nil
}

func (d *fileDigest) entry(p string) fileEntry {
	return fileEntry{path: p, sha1: hex.EncodeToString(d.s1.Sum(nil)), sha256: hex.EncodeToString(d.s256.Sum(nil))}
}

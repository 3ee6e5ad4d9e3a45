package sbom

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/signet-ci/signet/core"
)

// SBOM formats: core's names, which every interface (flags, CI inputs) uses.
const (
	FormatSPDX      = core.SBOMSPDX
	FormatCycloneDX = core.SBOMCycloneDX
)

// Formats lists the formats Generator writes (core.SBOMFormats).
var Formats = core.SBOMFormats()

// PredicateType returns the in-toto predicate type of a format, or an error matching
// ErrUnsupportedFormat (core.ErrSBOMFormat) for a format core.CheckSBOMFormats refuses.
func PredicateType(format string) (string, error) {
	switch format {
	case FormatSPDX:
		return core.SPDXPredicateType, nil
	case FormatCycloneDX:
		return core.CycloneDXPredicateType, nil
	}
	if _, err := core.CheckSBOMFormats([]string{format}); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%w %q: core knows the format but the generator has no predicate type for it", ErrUnsupportedFormat, format)
}

// Generator catalogs build outputs and writes their SBOMs. It implements core.SBOMGenerator
// and is safe for concurrent use. It keeps the catalog of the last subject, so asking for
// both formats of one subject (as attest does) walks it once.
type Generator struct {
	cfg config

	mu   sync.Mutex
	last struct {
		key string
		inv *inventory
	}
}

var _ core.SBOMGenerator = (*Generator)(nil)

// NewGenerator returns a Generator configured by opts.
func NewGenerator(opts ...Option) (*Generator, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("configuring SBOM generator: %w", err)
		}
	}
	return &Generator{cfg: cfg}, nil
}

// SBOM catalogs subject s (s.Path on disk) and returns its SBOM in format as a predicate:
// SPDX 2.3 JSON for "spdx-json", CycloneDX 1.6 JSON for "cyclonedx-json". The primary
// package carries s.Digest["sha256"] (computed from the file when s has none).
func (g *Generator) SBOM(ctx context.Context, s core.Subject, format string) (core.Predicate, error) {
	typ, err := PredicateType(format)
	if err != nil {
		return core.Predicate{}, err
	}
	inv, err := g.inventory(ctx, s)
	if err != nil {
		return core.Predicate{}, err
	}
	doc, err := g.encode(inv, s, format)
	if err != nil {
		return core.Predicate{}, err
	}
	return core.Predicate{Type: typ, JSON: doc}, nil
}

// encode writes a catalog as a document in format, within the output limit.
func (g *Generator) encode(inv *inventory, s core.Subject, format string) ([]byte, error) {
	if err := inv.checkOutput(estimateSize(inv, format), true, g.cfg.maxOutput); err != nil {
		return nil, err
	}
	var doc []byte
	var err error
	switch format {
	case FormatSPDX:
		doc, err = encodeSPDX(inv, &g.cfg, s)
	default:
		doc, err = encodeCycloneDX(inv, &g.cfg, s)
	}
	if err != nil {
		return nil, fmt.Errorf("writing %s SBOM of %q: %w", format, s.Name, err)
	}
	if err := inv.checkWritten(doc, g.cfg.maxOutput); err != nil {
		return nil, err
	}
	return doc, nil
}

// inventory returns the catalog of s, reusing the last one when s is the same file with the
// same digest (an inventory is read-only once built).
func (g *Generator) inventory(ctx context.Context, s core.Subject) (*inventory, error) {
	key := s.Name + "\x00" + s.Path + "\x00" + s.Digest[core.SHA256]
	if s.Digest[core.SHA256] != "" {
		g.mu.Lock()
		inv := g.last.inv
		hit := g.last.key == key
		g.mu.Unlock()
		if hit {
			return inv, nil
		}
	}
	inv, err := g.catalog(ctx, s)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.last.key, g.last.inv = key, inv
	g.mu.Unlock()
	return inv, nil
}

// catalog finds everything inside subject s.
func (g *Generator) catalog(ctx context.Context, s core.Subject) (*inventory, error) {
	if s.Path == "" {
		return nil, fmt.Errorf("SBOM of %q: subject has no file to catalog (given by digest only)", s.Name)
	}
	info, err := os.Lstat(s.Path)
	if err != nil {
		return nil, fmt.Errorf("SBOM of %q: %w", s.Name, err)
	}
	var file *os.File
	if !info.IsDir() {
		if file, err = openSubject(ctx, s); err != nil {
			return nil, err
		}
		defer file.Close()
	}
	workspace := file == nil && !isOCILayout(s.Path)
	digest := strings.Repeat("0", 64) // a workspace is digested once walked
	if !workspace {
		if digest, err = subjectDigest(ctx, s, file); err != nil {
			if file == nil {
				return nil, errOCILayout(s.Name, err)
			}
			return nil, err
		}
	}
	sc := &scan{subject: s.Name, cfg: &g.cfg, budget: &budget{max: g.cfg.maxExpanded}}
	primary := primaryPackage(s, digest)
	sc.inv = newInventory(primary, s.Name, &g.cfg)
	root := sc.root()
	keys, err := root.subject(ctx, s.Path, file, primary)
	if sc.inv.err != nil {
		return nil, sc.inv.err // the first limit breached; err, if any, follows from it
	}
	if err != nil {
		return nil, err
	}
	if workspace {
		if d := s.Digest[core.SHA256]; d != "" {
			sc.inv.rekeyPrimary(s.Name, strings.ToLower(d))
		} else {
			sc.inv.rekeyPrimary(s.Name, sc.ws.digest())
		}
		sc.inv.markDeclaredOnly(sc.ws)
	}
	for _, k := range keys {
		sc.inv.link(primary.key(), k, relContains)
	}
	sc.inv.finish()
	if sc.inv.err != nil {
		return nil, sc.inv.err
	}
	return sc.inv, nil
}

// ErrSubjectChanged is returned when a subject file's content no longer has the digest the
// subject was given: the SBOM would describe other bytes than the ones signed.
var ErrSubjectChanged = errors.New("subject file changed since it was digested")

// openSubject opens the file of subject s without blocking on a FIFO, insists that it is a
// regular file and, when s has a sha256,
// that the opened file's content has it: whatever happens to the path after the check, the
// SBOM describes the bytes that are signed. The file is returned at offset 0.
func openSubject(ctx context.Context, s core.Subject) (*os.File, error) {
	f, err := os.OpenFile(s.Path, openFlags, 0)
	if err != nil {
		return nil, fmt.Errorf("SBOM of %q: %w", s.Name, err)
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%q is a %v, not a regular file", s.Path, info.Mode().Type())
	}
	if err == nil {
		err = checkDigest(ctx, f, s)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("SBOM of %q: %w", s.Name, err)
	}
	return f, nil
}

// checkDigest compares the sha256 of f's content with the subject's, when it has one, and
// rewinds f.
func checkDigest(ctx context.Context, f *os.File, s core.Subject) error {
	want := strings.ToLower(s.Digest[core.SHA256])
	if want == "" {
		return nil
	}
	got, err := sha256Of(ctx, f)
	if err != nil {
		return fmt.Errorf("digesting %q: %w", s.Path, err)
	}
	if got != want {
		return fmt.Errorf("%w: %q has sha256:%s, the subject sha256:%s", ErrSubjectChanged, s.Path, got, want)
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

func sha256Of(ctx context.Context, r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, &ctxReader{ctx: ctx, r: r}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// isOCILayout reports whether directory dir has an oci-layout file (of whatever kind: a
// directory taken for a layout says why it cannot be read as one).
func isOCILayout(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, "oci-layout"))
	return err == nil
}

// subjectDigest returns the subject's sha256, computing it from the opened file when it is
// missing. An OCI layout directory (file is nil) is identified by the sha256 of its index.json.
func subjectDigest(ctx context.Context, s core.Subject, file *os.File) (string, error) {
	if d := s.Digest[core.SHA256]; d != "" {
		return strings.ToLower(d), nil
	}
	var r io.Reader = file
	if file == nil {
		p := filepath.Join(s.Path, "index.json")
		f, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("%w: %q: %w", ErrNoDigest, s.Name, err)
		}
		defer f.Close()
		r = f
	}
	d, err := sha256Of(ctx, r)
	if err != nil {
		return "", fmt.Errorf("digesting %q: %w", s.Path, err)
	}
	if file != nil {
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return "", fmt.Errorf("digesting %q: %w", s.Path, err)
		}
	}
	return d, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// primaryPackage is the artifact itself, identified by its digest.
func primaryPackage(s core.Subject, digest string) *pkg {
	base := path.Base(filepath.ToSlash(s.Name))
	p := &pkg{name: s.Name, version: "sha256:" + digest, typ: typeFile, ecosystem: "artifact",
		purl:   purl("generic", "", base, "", "", "checksum", "sha256:"+digest),
		hashes: map[string]string{"SHA-256": digest}, locations: []string{s.Name}}
	if d := s.Digest[core.SHA512]; d != "" {
		p.hashes["SHA-512"] = strings.ToLower(d)
	}
	return p
}

// subject dispatches the subject file (or directory) at p by its content.
func (t *tree) subject(ctx context.Context, p string, f *os.File, primary *pkg) ([]string, error) {
	if f == nil {
		return t.subjectDir(ctx, p, primary)
	}
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("SBOM of %q: %w", t.s.subject, err)
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("SBOM of %q: %w", t.s.subject, err)
	}
	return t.subjectFile(ctx, p, f, info.Size(), sniff(head[:n]), primary)
}

func (t *tree) subjectFile(ctx context.Context, p string, f *os.File, size int64, k kind, primary *pkg) ([]string, error) {
	switch k {
	case kindExecutable:
		primary.typ = typeApplication
		bi, err := readBuildInfo(f, p)
		if err != nil || bi == nil {
			return nil, err
		}
		primary.supplier = goSupplier(bi.Main.Path)
		t.meta.binaries = append(t.meta.binaries, goBinary{path: t.s.subject, info: bi})
		return t.finish(), nil
	case kindZip:
		return t.walkZipArchive(ctx, f, size, path.Base(t.s.subject))
	case kindAr:
		return t.walkDeb(ctx, f)
	case kindRPM:
		return t.walkRPM(ctx, f)
	case kindTar:
		return t.subjectTar(ctx, f, size, primary)
	case kindGzip, kindZstd, kindXz, kindBzip2:
		return t.subjectCompressed(ctx, f, k)
	}
	if metaKind(path.Base(t.s.subject)) == metaNpmLock {
		data, err := readMeta(f, size, t.s.cfg.maxMetadata, LimitMetadataBytes, t.s.subject)
		if err != nil {
			return nil, err
		}
		t.meta.add(metaNpmLock, path.Base(t.s.subject), data)
		return t.finish(), nil
	}
	return nil, nil
}

// subjectCompressed walks a compressed tarball (a compressed file that is not a tarball
// holds nothing to catalog).
func (t *tree) subjectCompressed(ctx context.Context, f *os.File, k kind) ([]string, error) {
	dr, closeFn, err := decompress(k, bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", t.displayName(), err)
	}
	defer closeFn()
	br := bufio.NewReaderSize(&meter{r: dr, b: t.s.budget, archive: t.displayName()}, 4096)
	if head, _ := br.Peek(512); sniff(head) != kindTar {
		return nil, nil
	}
	if err := t.walkTar(ctx, br); err != nil {
		return nil, err
	}
	return t.finish(), nil
}

func (t *tree) subjectTar(ctx context.Context, f *os.File, size int64, primary *pkg) ([]string, error) {
	src := io.NewSectionReader(f, 0, size)
	format, err := t.tarImageFormat(src)
	if err != nil {
		return nil, err
	}
	var keys []string
	switch format {
	case dockerArchive:
		keys, err = t.walkDockerArchive(ctx, src)
	case ociArchive:
		keys, err = t.walkOCIArchive(ctx, src)
	}
	if format != notImage && !errors.Is(err, errNotImage) {
		if err == nil {
			primary.typ = typeContainer
		}
		return keys, err
	}
	t.members, t.s.budget.used = 0, 0 // the plain walk counts again what the image attempt counted
	if err := t.walkTar(ctx, bufio.NewReaderSize(f, 1<<20)); err != nil {
		return nil, err
	}
	return t.finish(), nil
}

package sbom

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// errNotImage means a tarball looked like an image (a manifest.json or oci-layout at its
// root) but is not one; it is then walked as a plain tarball.
var errNotImage = errors.New("not an image tarball")

// imageFormat is which kind of image tarball a tar file is.
type imageFormat int

const (
	notImage imageFormat = iota
	dockerArchive
	ociArchive
)

// tarImageFormat reads only the member headers of the tar at p (seeking over contents) to
// tell a docker-archive (manifest.json) or an OCI archive (oci-layout) from a plain tarball.
func (t *tree) tarImageFormat(f *io.SectionReader) (imageFormat, error) {
	tr := tar.NewReader(&seekBuffer{f: f, br: bufio.NewReaderSize(f, 64<<10)})
	t.tarSizes = map[string]int64{}
	format := notImage
	for n := 0; n <= t.s.cfg.maxMembers; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return format, nil
		}
		if err != nil {
			return notImage, fmt.Errorf("reading tar %s: %w", t.displayName(), err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		if h.Typeflag == tar.TypeReg {
			t.tarSizes[name] = h.Size
		}
		switch {
		case format != notImage:
		case name == "manifest.json":
			format = dockerArchive
		case name == "oci-layout":
			format = ociArchive
		}
	}
	return format, nil // the walk itself reports the member limit
}

// imageMetadata refuses an image manifest, index or configuration of size bytes at name
// over max-manifest-bytes: go-containerregistry reads them whole.
func (t *tree) imageMetadata(name string, size int64) error {
	if max := t.s.cfg.maxManifest; size > max {
		return &LimitError{Limit: LimitManifestBytes, Max: max, Where: t.where(name),
			Detail: fmt.Sprintf("image metadata file is %d bytes, larger than %d", size, max)}
	}
	return nil
}

// ociBlob bounds the OCI layout blob h, a manifest, index or configuration about to be read.
func (t *tree) ociBlob(h v1.Hash) error {
	name := "blobs/" + h.Algorithm + "/" + h.Hex
	info, err := os.Stat(filepath.Join(t.ociDir, filepath.FromSlash(name)))
	if err != nil {
		return nil // go-containerregistry reports the missing blob
	}
	return t.imageMetadata(name, info.Size())
}

// seekBuffer buffers reads of a file and still lets archive/tar seek over member contents.
type seekBuffer struct {
	f   io.ReadSeeker
	br  *bufio.Reader
	pos int64 // offset in f of the next byte br returns
}

func (s *seekBuffer) Read(p []byte) (int, error) {
	n, err := s.br.Read(p)
	s.pos += int64(n)
	return n, err
}

// Seek supports what archive/tar asks: io.SeekCurrent, forward or to learn the position.
func (s *seekBuffer) Seek(offset int64, whence int) (int64, error) {
	if whence != io.SeekCurrent || offset < 0 {
		return 0, fmt.Errorf("seekBuffer: only forward seeks from the current position")
	}
	if offset <= int64(s.br.Buffered()) {
		n, err := s.br.Discard(int(offset))
		s.pos += int64(n)
		return s.pos, err
	}
	target := s.pos + offset
	if _, err := s.f.Seek(target, io.SeekStart); err != nil {
		return 0, err
	}
	s.br.Reset(s.f)
	s.pos = target
	return target, nil
}

// walkDockerArchive catalogs every image of a docker-archive (docker save) tarball.
func (t *tree) walkDockerArchive(ctx context.Context, f *io.SectionReader) ([]string, error) {
	opener := func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(f, 0, f.Size())), nil }
	if err := t.imageMetadata("manifest.json", t.tarSizes["manifest.json"]); err != nil {
		return nil, err
	}
	m, err := tarball.LoadManifest(opener)
	if err != nil || len(m) == 0 || m[0].Config == "" {
		return nil, errNotImage // a manifest.json that is not docker's: a plain tarball
	}
	var keys []string
	for i, d := range m {
		if err := t.imageMetadata(d.Config, t.tarSizes[strings.TrimPrefix(d.Config, "./")]); err != nil {
			return nil, err
		}
		var tag *name.Tag
		ref := fmt.Sprintf("image-%d", i+1)
		if len(d.RepoTags) > 0 {
			tg, err := name.NewTag(d.RepoTags[0])
			if err != nil {
				return nil, fmt.Errorf("reading docker-archive %s: tag %q: %w", t.displayName(), d.RepoTags[0], err)
			}
			tag, ref = &tg, d.RepoTags[0]
		} else if len(m) > 1 {
			return nil, fmt.Errorf("reading docker-archive %s: image %d of %d has no tag to select it by", t.displayName(), i+1, len(m))
		}
		img, err := tarball.Image(opener, tag)
		if err != nil {
			return nil, fmt.Errorf("reading docker-archive %s: image %s: %w", t.displayName(), ref, err)
		}
		k, err := t.image(ctx, img, ref)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

var blobName = regexp.MustCompile(`^blobs/[a-z0-9]+/[a-f0-9]{32,128}$`)

// walkOCIArchive copies an OCI archive's index and blobs (by digest name only) into a
// private temporary directory and catalogs it as an OCI layout.
func (t *tree) walkOCIArchive(ctx context.Context, f *io.SectionReader) ([]string, error) {
	dir, err := os.MkdirTemp(t.s.cfg.tempDir, "signet-oci-*")
	if err != nil {
		return nil, fmt.Errorf("unpacking OCI archive %s: %w", t.displayName(), err)
	}
	defer os.RemoveAll(dir)
	tr := tar.NewReader(io.NewSectionReader(f, 0, f.Size()))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading OCI archive %s: %w", t.displayName(), err)
		}
		if err := t.count(); err != nil {
			return nil, err
		}
		if err := t.ociMember(dir, h, tr); err != nil {
			return nil, err
		}
	}
	return t.walkOCILayout(ctx, dir)
}

// ociMember copies one member of an OCI archive if it is the index, the layout marker or a blob.
func (t *tree) ociMember(dir string, h *tar.Header, r io.Reader) error {
	n := strings.TrimPrefix(h.Name, "./")
	if h.Typeflag != tar.TypeReg || !(n == "index.json" || n == "oci-layout" || blobName.MatchString(n)) {
		return nil
	}
	if err := t.s.budget.spend(h.Size, t.displayName()); err != nil {
		return err
	}
	dst := filepath.Join(dir, filepath.FromSlash(n))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("unpacking OCI archive %s: %w", t.displayName(), err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("unpacking OCI archive %s: member %q: %w", t.displayName(), h.Name, err)
	}
	defer out.Close()
	if _, err := io.Copy(out, io.LimitReader(r, h.Size)); err != nil {
		return fmt.Errorf("unpacking OCI archive %s: member %q: %w", t.displayName(), h.Name, err)
	}
	return out.Close()
}

// walkOCILayout catalogs every image an OCI image layout directory indexes.
func (t *tree) walkOCILayout(ctx context.Context, dir string) ([]string, error) {
	info, err := os.Stat(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, errNotImage
	}
	if err := t.imageMetadata("index.json", info.Size()); err != nil {
		return nil, err
	}
	t.ociDir = dir
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", t.displayName(), err)
	}
	return t.walkIndex(ctx, idx, 0)
}

// maxIndexDepth bounds nested image indexes.
const maxIndexDepth = 4

func (t *tree) walkIndex(ctx context.Context, idx v1.ImageIndex, depth int) ([]string, error) {
	if depth > maxIndexDepth {
		return nil, &LimitError{Limit: LimitIndexDepth, Max: maxIndexDepth, Where: t.displayName(),
			Detail: fmt.Sprintf("image indexes nest more than %d deep", maxIndexDepth)}
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading image index of %s: %w", t.displayName(), err)
	}
	var keys []string
	for _, d := range im.Manifests {
		var ks []string
		if d.MediaType.IsIndex() || d.MediaType.IsImage() {
			if err := t.ociBlob(d.Digest); err != nil {
				return nil, err
			}
		}
		if d.MediaType.IsIndex() {
			sub, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading image index %s of %s: %w", d.Digest, t.displayName(), err)
			}
			ks, err = t.walkIndex(ctx, sub, depth+1)
			if err != nil {
				return nil, err
			}
		} else if d.MediaType.IsImage() {
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading image %s of %s: %w", d.Digest, t.displayName(), err)
			}
			ref := firstNonEmpty(d.Annotations["org.opencontainers.image.ref.name"], d.Annotations["io.containerd.image.name"], "image@"+d.Digest.String())
			k, err := t.image(ctx, img, ref)
			if err != nil {
				return nil, err
			}
			ks = []string{k}
		}
		keys = append(keys, ks...)
	}
	return keys, nil
}

// image squashes img's layers (whiteouts applied) and catalogs the resulting filesystem;
// it returns the key of the image's package, which contains what was found.
func (t *tree) image(ctx context.Context, img v1.Image, ref string) (string, error) {
	c, err := t.child(ref)
	if err != nil {
		return "", err
	}
	c.rooted = true
	if t.ociDir != "" {
		m, err := img.Manifest()
		if err != nil {
			return "", fmt.Errorf("reading image %s: %w", c.displayName(), err)
		}
		if err := t.ociBlob(m.Config.Digest); err != nil {
			return "", err
		}
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := c.walkTar(ctx, &meter{r: rc, b: t.s.budget, archive: c.displayName()}); err != nil {
		return "", fmt.Errorf("reading image %s: %w", c.displayName(), err)
	}
	d := parseOSRelease(c.meta.osRelease)
	inside := c.finish()
	p, err := imagePackage(img, ref, d)
	if err != nil {
		return "", fmt.Errorf("reading image %s: %w", c.displayName(), err)
	}
	k := t.s.inv.add(p)
	for _, in := range inside {
		t.s.inv.link(k, in, relContains)
	}
	return k, nil
}

// imagePackage describes an image: its manifest digest is its version.
func imagePackage(img v1.Image, ref string, d distro) (*pkg, error) {
	dg, err := img.Digest()
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	repo, tag := ref, ""
	if r, err := name.ParseReference(ref, name.WeakValidation); err == nil && !strings.HasPrefix(ref, "image") {
		repo = r.Context().Name()
		if tg, ok := r.(name.Tag); ok {
			tag = tg.TagStr()
		}
	} else {
		repo = "image"
	}
	short := repo[strings.LastIndex(repo, "/")+1:]
	p := &pkg{name: repo, version: dg.String(), typ: typeContainer, ecosystem: "oci",
		purl:     purl("oci", "", short, dg.String(), "", "arch", cf.Architecture, "repository_url", repoURL(repo), "tag", tag),
		supplier: firstParty(organization(cf.Author), repoOwner(repo)), locations: []string{ref}}
	p.setProp("signet:image:os", cf.OS)
	p.setProp("signet:image:architecture", cf.Architecture)
	p.setProp("signet:image:distro", d.prettyName)
	return p, nil
}

// repoOwner derives the organization publishing a repository: "ghcr.io/org" for
// ghcr.io/org/app (nil for a repository without an owner segment).
func repoOwner(repo string) *party {
	parts := strings.Split(repo, "/")
	if len(parts) < 3 {
		return nil
	}
	return organization(parts[0] + "/" + parts[1])
}

// repoURL is the purl repository_url of a repository name ("" for a bare local name).
func repoURL(repo string) string {
	if repo == "image" || !strings.Contains(repo, "/") {
		return ""
	}
	return repo
}

package release

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ImagePlatforms are the platforms of the release image, in index order.
var ImagePlatforms = []Target{{"linux", "amd64"}, {"linux", "arm64"}}

// maxCABundle bounds the CA bundle read into the image.
const maxCABundle = 4 << 20

// ImageConfig is what the release image is built from.
type ImageConfig struct {
	// Base is a multi-platform image with a static shell at /bin/sh for GitLab jobs (a
	// busybox built with musl, say), pinned by digest for a reproducible image.
	Base name.Reference
	// Binaries maps each of ImagePlatforms to its static signet binary.
	Binaries map[Target]string
	// CABundle is the PEM file installed as /etc/ssl/certs/ca-certificates.crt.
	CABundle string
	// Created is the time recorded in the image config and the layer's files.
	Created time.Time
	// Options are passed to every registry call (auth, transport, context).
	Options []remote.Option
}

// BuildImage returns the release image index: for each of ImagePlatforms, the base image's
// manifest for that platform with one layer added holding /signet (mode 0555), the CA bundle
// (0444) and /tmp (1777), the entrypoint /signet and the creation time cfg.Created. The index
// depends only on its inputs, so building it twice gives the same digest.
func BuildImage(ctx context.Context, cfg ImageConfig) (v1.ImageIndex, error) {
	if cfg.Base == nil {
		return nil, errors.New("no base image: give one with a static /bin/sh, pinned by digest")
	}
	ca, err := readBounded(cfg.CABundle, maxCABundle)
	if err != nil {
		return nil, fmt.Errorf("reading the CA bundle: %w", err)
	}
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", cfg.CABundle)
	}
	opts := append([]remote.Option{remote.WithContext(ctx)}, cfg.Options...)
	base, err := remote.Index(cfg.Base, opts...)
	if err != nil {
		return nil, fmt.Errorf("reading the base image index %s: %w", cfg.Base, err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range ImagePlatforms {
		bin, ok := cfg.Binaries[p]
		if !ok {
			return nil, fmt.Errorf("no signet binary for the image platform %s", p)
		}
		img, err := platformImage(base, p)
		if err != nil {
			return nil, fmt.Errorf("base image %s: %w", cfg.Base, err)
		}
		if err := hasShell(img); err != nil {
			return nil, fmt.Errorf("base image %s for %s: %w", cfg.Base, p, err)
		}
		img, err = addSignet(img, bin, ca, cfg.Created)
		if err != nil {
			return nil, fmt.Errorf("image for %s: %w", p, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Arch}}})
	}
	return idx, nil
}

// platformImage returns the image of index for platform p.
func platformImage(index v1.ImageIndex, p Target) (v1.Image, error) {
	m, err := index.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.OS == p.OS && d.Platform.Architecture == p.Arch &&
			(d.Platform.Variant == "" || (p.Arch == "arm64" && d.Platform.Variant == "v8")) {
			return index.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("no manifest for %s in the index", p)
}

// hasShell fails unless some layer of img holds /bin/sh.
func hasShell(img v1.Image) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		found, err := layerHas(l, "bin/sh")
		if err != nil {
			return err
		}
		if found {
			return nil
		}
	}
	return errors.New("it has no /bin/sh, which GitLab jobs need to run their script")
}

// layerHas reports whether the layer's tar holds file (a clean path without the leading /).
func layerHas(l v1.Layer, file string) (bool, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return false, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading a layer: %w", err)
		}
		if path.Clean(path.Join("/", h.Name)) == "/"+file {
			return true, nil
		}
	}
}

// addSignet adds the signet layer to img and sets its entrypoint and creation time.
func addSignet(img v1.Image, bin string, ca []byte, created time.Time) (v1.Image, error) {
	exe, err := readBounded(bin, 1<<30)
	if err != nil {
		return nil, fmt.Errorf("reading the signet binary: %w", err)
	}
	layerTar, err := signetLayer(exe, ca, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer,
		History: v1.History{CreatedBy: "signet release: /signet, CA bundle, /tmp", Created: v1.Time{Time: created}}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Config.Entrypoint = []string{ImageBinary}
	cf.Config.Cmd = nil
	cf.Config.WorkingDir = ""
	cf.Config.User = ""
	cf.Created = v1.Time{Time: created}
	return mutate.ConfigFile(img, cf)
}

// The release image's layout: what its layer adds to the base image and how it starts. The
// Dockerfile builds the same layout from the release binaries (docs/release.md); the tests hold
// the two to it.
const (
	// ImageBinary is the path of the signet binary in the image, and its entrypoint.
	ImageBinary = "/signet"
	// ImageCABundle is the path of the CA bundle in the image.
	ImageCABundle = "/etc/ssl/certs/ca-certificates.crt"
	// RootFSDir is the directory, in the release's output directory, holding the image's files
	// other than the binary (WriteRootFS), for the Dockerfile to copy.
	RootFSDir = "rootfs"
)

// imageEntry is one file or directory of the signet layer, by its path without the leading /.
type imageEntry struct {
	name string
	mode int64 // Unix permission and special bits, as in a tar header
	data []byte
	dir  bool
}

// rootfsEntries are the entries of the signet layer besides the binary, in tar order.
func rootfsEntries(ca []byte) []imageEntry {
	return []imageEntry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: ImageCABundle[1:], mode: 0o444, data: ca},
		{name: "tmp/", mode: 0o1777, dir: true},
	}
}

// binaryEntry is the signet binary's entry of the signet layer.
func binaryEntry(exe []byte) imageEntry {
	return imageEntry{name: ImageBinary[1:], mode: 0o555, data: exe}
}

// signetLayer returns the uncompressed tar of the signet layer, with fixed owners and times.
func signetLayer(exe, ca []byte, created time.Time) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	entries := slices.Insert(rootfsEntries(ca), 4, binaryEntry(exe)) // tar order: by name
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: created.UTC(), Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		if e.dir {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ErrCABundle is the error of WriteRootFS when the CA bundle cannot be read or holds no PEM
// certificate.
var ErrCABundle = errors.New("CA bundle")

// WriteRootFS writes dir/rootfs: the files the release image's layer holds besides the
// binary (the CA bundle read from caBundle at ImageCABundle, /tmp), with the image's modes and
// the time created, so that the Dockerfile copies the same layout from dir as BuildImage adds.
// It refuses a dir that already holds rootfs.
func WriteRootFS(dir, caBundle string, created time.Time) error {
	ca, err := readBounded(caBundle, maxCABundle)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCABundle, err)
	}
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		return fmt.Errorf("%w: %s holds no PEM certificate", ErrCABundle, caBundle)
	}
	root := filepath.Join(dir, RootFSDir)
	if _, err := os.Lstat(root); err == nil {
		return fmt.Errorf("%s already exists: give an empty output directory", root)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the output directory: %w", err)
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", root, err)
	}
	entries := rootfsEntries(ca)
	for _, e := range entries {
		p := filepath.Join(root, filepath.FromSlash(strings.TrimSuffix(e.name, "/")))
		if e.dir {
			err = os.Mkdir(p, 0o700)
		} else {
			err = os.WriteFile(p, e.data, 0o600)
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	// Modes and times last, deepest first: the umask does not apply to chmod, and a directory
	// of mode 0555 could not be written into.
	for i := len(entries) - 1; i >= -1; i-- {
		p, mode := root, fs.FileMode(0o755)
		if i >= 0 {
			p, mode = filepath.Join(root, filepath.FromSlash(strings.TrimSuffix(entries[i].name, "/"))), tarMode(entries[i].mode)
		}
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("setting the mode of %s: %w", p, err)
		}
		if err := os.Chtimes(p, created, created); err != nil {
			return fmt.Errorf("setting the time of %s: %w", p, err)
		}
	}
	return nil
}

// tarMode converts a tar header's Unix mode bits to an fs.FileMode (without the type).
func tarMode(m int64) fs.FileMode {
	mode := fs.FileMode(m) & fs.ModePerm
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// PushImage writes idx to ref (a tag) and returns the index digest.
func PushImage(ctx context.Context, ref name.Reference, idx v1.ImageIndex, opts ...remote.Option) (v1.Hash, error) {
	d, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.WriteIndex(ref, idx, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing the image to %s: %w", ref, err)
	}
	return d, nil
}

// readBounded reads the file at p, refusing one larger than limit bytes.
func readBounded(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, limit)
	}
	return b, nil
}

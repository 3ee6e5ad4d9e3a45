package sigstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
)

// File names of the trust material in a directory (Sigstore's own formats).
const (
	TrustedRootFile   = "trusted_root.json"
	SigningConfigFile = "signing_config.json"
)

// TUF target names of the public-good trust material.
const (
	tufTrustedRoot   = "trusted_root.json"
	tufSigningConfig = "signing_config.v0.2.json"
)

// Material is one Sigstore deployment's trust material: the trusted root verifies bundles,
// the signing configuration names the services that sign, timestamp and log them.
type Material struct {
	TrustedRoot     *root.TrustedRoot
	TrustedRootJSON []byte
	// SigningConfig is nil when only a trusted root was loaded (verification only).
	SigningConfig     *root.SigningConfig
	SigningConfigJSON []byte
}

// LoadDir reads trusted_root.json and signing_config.json from dir.
func LoadDir(dir string) (*Material, error) {
	tr, err := readTrustFile(filepath.Join(dir, TrustedRootFile))
	if err != nil {
		return nil, err
	}
	sc, err := readTrustFile(filepath.Join(dir, SigningConfigFile))
	if err != nil {
		return nil, err
	}
	m, err := ParseMaterial(tr, sc)
	if err != nil {
		return nil, fmt.Errorf("in %q: %w", dir, err)
	}
	return m, nil
}

// LoadTrustedRoot reads a trusted_root.json file; the Material has no signing configuration.
func LoadTrustedRoot(path string) (*Material, error) {
	tr, err := readTrustFile(path)
	if err != nil {
		return nil, err
	}
	m, err := ParseMaterial(tr, nil)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", path, err)
	}
	return m, nil
}

// MaxTrustFileSize bounds trusted_root.json and signing_config.json: public-good's trusted root
// is about 10 KiB, so a file this large is not trust material.
const MaxTrustFileSize = 4 << 20

// readTrustFile reads a regular file of at most MaxTrustFileSize bytes. The file is opened
// without blocking, so a FIFO is refused instead of waiting for a writer, and a device such
// as /dev/zero is refused before a byte is read.
func readTrustFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q does not exist (expected Sigstore's %s)", ErrTrust, path, filepath.Base(path))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading %q: %w", ErrTrust, path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: reading %q: %w", ErrTrust, path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: reading %q: not a regular file (mode %s)", ErrTrust, path, fi.Mode())
	}
	if fi.Size() > MaxTrustFileSize {
		return nil, fmt.Errorf("%w: reading %q: %d bytes, larger than the %d-byte limit for trust material", ErrTrust, path, fi.Size(), MaxTrustFileSize)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxTrustFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading %q: %w", ErrTrust, path, err)
	}
	if len(b) > MaxTrustFileSize {
		return nil, fmt.Errorf("%w: reading %q: larger than the %d-byte limit for trust material", ErrTrust, path, MaxTrustFileSize)
	}
	return b, nil
}

// ParseMaterial parses a trusted root and, when signingConfigJSON is not nil, a signing
// configuration (media type application/vnd.dev.sigstore.signingconfig.v0.2+json).
func ParseMaterial(trustedRootJSON, signingConfigJSON []byte) (*Material, error) {
	tr, err := root.NewTrustedRootFromJSON(trustedRootJSON)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid Sigstore trusted root: %w", ErrTrust, TrustedRootFile, err)
	}
	m := &Material{TrustedRoot: tr, TrustedRootJSON: trustedRootJSON}
	if signingConfigJSON == nil {
		return m, nil
	}
	sc, err := root.NewSigningConfigFromJSON(signingConfigJSON)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid Sigstore signing config v0.2: %w", ErrTrust, SigningConfigFile, err)
	}
	m.SigningConfig, m.SigningConfigJSON = sc, signingConfigJSON
	return m, nil
}

// HasTlog reports whether the signing configuration names a transparency log valid now.
func (m *Material) HasTlog() bool {
	if m == nil || m.SigningConfig == nil {
		return false
	}
	_, err := root.SelectServices(m.SigningConfig.RekorLogURLs(), m.SigningConfig.RekorLogURLsConfig(),
		rekorAPIVersions, time.Now())
	return err == nil
}

// PublicOption configures LoadPublic.
type PublicOption func(*publicConfig) error

type publicConfig struct {
	mirror string
	root   []byte
	net    netConfig
}

// WithTUFMirror fetches from another TUF repository, trusting rootJSON as its initial root
// (for example Sigstore's staging instance).
func WithTUFMirror(url string, rootJSON []byte) PublicOption {
	return func(c *publicConfig) error {
		if url == "" || len(rootJSON) == 0 {
			return errors.New("TUF mirror: expected a URL and its initial root.json")
		}
		c.mirror, c.root = url, rootJSON
		return nil
	}
}

// WithTUFTimeout sets the timeout of each TUF download attempt.
func WithTUFTimeout(d time.Duration) PublicOption {
	return func(c *publicConfig) error { return c.net.setTimeout(d) }
}

// WithTUFRetries sets how many times a failed TUF download is retried.
func WithTUFRetries(n int) PublicOption {
	return func(c *publicConfig) error { return c.net.setRetries(n) }
}

// LoadPublic fetches the public-good trusted root and signing configuration with
// sigstore-go's TUF client, starting from its embedded root and caching under cacheDir.
func LoadPublic(ctx context.Context, cacheDir string, opts ...PublicOption) (*Material, error) {
	cfg := publicConfig{mirror: tuf.DefaultMirror, root: tuf.DefaultRoot(), net: defaultNet()}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("public Sigstore: %w", err)
		}
	}
	if cacheDir == "" {
		return nil, errors.New("public Sigstore: a TUF cache directory is required")
	}
	client, err := tufClient(ctx, cacheDir, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: tuf at %s: %w", ErrTrust, cfg.mirror, err)
	}
	tr, err := client.GetTarget(tufTrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("%w: tuf at %s: fetching %s: %w", ErrTrust, cfg.mirror, tufTrustedRoot, err)
	}
	sc, err := client.GetTarget(tufSigningConfig)
	if err != nil {
		return nil, fmt.Errorf("%w: tuf at %s: fetching %s: %w", ErrTrust, cfg.mirror, tufSigningConfig, err)
	}
	return ParseMaterial(tr, sc)
}

// tufClient is sigstore-go's TUF client of cfg's mirror, trusting cfg's initial root and
// caching under cacheDir.
func tufClient(ctx context.Context, cacheDir string, cfg publicConfig) (*tuf.Client, error) {
	f := fetcher.NewDefaultFetcher()
	f.SetHTTPClient(cfg.net.client(ctx))
	return tuf.New(&tuf.Options{
		Root:              cfg.root,
		CachePath:         cacheDir,
		RepositoryBaseURL: cfg.mirror,
		Fetcher:           f,
		Context:           ctx,
	})
}

package tekton

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"

	"github.com/signet-ci/signet/core"
)

// maxTokenBytes bounds the token file read: a projected service-account token is a few KiB.
const maxTokenBytes = 64 << 10

// TokenFile is a core.TokenSource reading a projected service-account token. The kubelet
// rotates the file, so it is read afresh at every call and never cached. It only reads: the
// command checks the token (JWT, audience, expiry) with ci.Checked.
type TokenFile struct {
	path string
	used atomic.Bool // read at least once: the run's identity came from it
}

// NewTokenFile returns a TokenFile reading path.
func NewTokenFile(path string) *TokenFile {
	return &TokenFile{path: path}
}

// Path returns the file the token is read from.
func (t *TokenFile) Path() string { return t.path }

// Token reads the token. A missing or empty file is core.ErrNoToken, with what to mount
// where; an oversized one is core.ErrTokenMalformed. No error contains the file's contents.
func (t *TokenFile) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	t.used.Store(true)
	fi, err := os.Stat(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: the token file %q does not exist: mount a projected service-account token with "+
			"audience %q there (signet's Task does: volume \"sigstore-token\" at /var/run/sigstore/cosign), "+
			"or set %s to the path where your Task mounts it", core.ErrNoToken, t.path, core.Audience, EnvTokenFile)
	}
	if err != nil {
		return "", fmt.Errorf("reading the identity token file %q: %w", t.path, err)
	}
	if !fi.Mode().IsRegular() {
		// A FIFO would block the read; a directory is a mount without the token's path.
		return "", fmt.Errorf("%w: the token file %q is not a regular file (%s): point %s at the token inside the "+
			"projected volume", core.ErrNoToken, t.path, fi.Mode(), EnvTokenFile)
	}
	f, err := os.Open(t.path)
	if err != nil {
		return "", fmt.Errorf("reading the identity token file %q: %w", t.path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenBytes+1))
	if err != nil {
		return "", fmt.Errorf("reading the identity token file %q: %w", t.path, err)
	}
	if len(b) > maxTokenBytes {
		return "", fmt.Errorf("%w: the token file %q holds more than %d bytes, which no projected service-account token does",
			core.ErrTokenMalformed, t.path, maxTokenBytes)
	}
	raw := strings.TrimSpace(string(b))
	if raw == "" {
		return "", fmt.Errorf("%w: the token file %q is empty", core.ErrNoToken, t.path)
	}
	return raw, nil
}

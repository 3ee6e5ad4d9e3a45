package sigstore

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/signet-ci/signet/core"
)

// MaxTokenFile bounds what FileToken reads: an OIDC identity token is a few KiB, so a larger
// file is the wrong file.
const MaxTokenFile = 64 << 10

// StaticToken is a TokenSource that always returns the same token (for example from
// SIGSTORE_ID_TOKEN). Use it only for tokens that will not expire during the run.
type StaticToken string

var _ core.TokenSource = StaticToken("")

// Token returns the token, trimmed, once core.CheckToken accepts it: a JWT for core.Audience,
// not expired. Its errors wrap core's token sentinels and never contain the token.
func (t StaticToken) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return checked(string(t), "the given identity token")
}

// FileToken is a TokenSource that re-reads a token file at every call, so rotated tokens
// (Kubernetes projected service-account tokens) are fresh when used.
type FileToken string

var _ core.TokenSource = FileToken("")

// Token reads the file (at most MaxTokenFile bytes), trims surrounding whitespace and checks
// the token as StaticToken does. A missing or unreadable file is core.ErrNoToken; a file
// larger than MaxTokenFile is core.ErrTokenMalformed. Errors name the file, never the token.
func (f FileToken) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	path := string(f)
	b, err := readTokenFile(path)
	if err != nil {
		return "", err
	}
	return checked(string(b), fmt.Sprintf("token file %q", path))
}

func readTokenFile(path string) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: reading token file %q: %w", core.ErrNoToken, path, err)
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, MaxTokenFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading token file %q: %w", core.ErrNoToken, path, err)
	}
	if len(b) > MaxTokenFile {
		return nil, fmt.Errorf("%w: token file %q is larger than %d KiB; an OIDC identity token is a few KiB, is it the right file?",
			core.ErrTokenMalformed, path, MaxTokenFile>>10)
	}
	return b, nil
}

// checked trims tok and checks it with core.CheckToken; from names where it came from.
func checked(tok, from string) (string, error) {
	tok = strings.TrimSpace(tok)
	if _, err := core.CheckToken(tok, from, time.Now()); err != nil {
		return "", err
	}
	return tok, nil
}

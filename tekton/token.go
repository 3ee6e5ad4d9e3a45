package tekton

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/signet-ci/signet/provenance"
)

// Audience is the audience Fulcio requires of an identity token, and the one signet's Task
// gives its projected service-account token.
const Audience = "sigstore"

// Errors the token file reports (wrapped); none ever contains the token.
var (
	// ErrNoToken means the token file is missing or empty.
	ErrNoToken = errors.New("no identity token")
	// ErrTokenMalformed means the file does not hold a JWT with a JSON payload.
	ErrTokenMalformed = errors.New("identity token is not a JWT")
	// ErrTokenAudience means the token was issued for another audience than Fulcio's.
	ErrTokenAudience = errors.New("identity token has the wrong audience")
	// ErrTokenExpired means the token's exp is past.
	ErrTokenExpired = errors.New("identity token expired")
)

// TokenFile is a core.TokenSource reading a projected service-account token. The kubelet
// rotates the file, so it is read afresh at every call and never cached.
type TokenFile struct {
	path string
	now  func() time.Time
}

// NewTokenFile returns a TokenFile reading path.
func NewTokenFile(path string) *TokenFile {
	return &TokenFile{path: path, now: time.Now}
}

// Path returns the file the token is read from.
func (t *TokenFile) Path() string { return t.path }

// Token reads the token and checks what would otherwise fail later, and less clearly, at
// Fulcio: that it is a JWT, for audience "sigstore", not expired. Its signature is checked by
// the verifier and by Fulcio.
func (t *TokenFile) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b, err := os.ReadFile(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: token file %q does not exist: mount a projected service-account token with "+
			"audience %q there (signet's Task does: volume \"sigstore-token\" at /var/run/sigstore/cosign), "+
			"or set %s to the path where your Task mounts it", ErrNoToken, t.path, Audience, EnvTokenFile)
	}
	if err != nil {
		return "", fmt.Errorf("reading identity token file %q: %w", t.path, err)
	}
	raw := strings.TrimSpace(string(b))
	if raw == "" {
		return "", fmt.Errorf("%w: token file %q is empty", ErrNoToken, t.path)
	}
	return raw, t.check(raw)
}

// check decodes the payload (without verifying it) for the audience and expiry.
func (t *TokenFile) check(raw string) error {
	c, err := provenance.PeekToken(raw)
	if err != nil {
		return fmt.Errorf("%w: token file %q: %w", ErrTokenMalformed, t.path, err)
	}
	if aud := c.Audience(); !slices.Contains(aud, Audience) {
		return fmt.Errorf("%w: the token in %q is for audience %q, but Fulcio accepts only %q: set audience: %s on the "+
			"serviceAccountToken source of the projected volume (signet's Task does)", ErrTokenAudience, t.path, aud, Audience, Audience)
	}
	if exp, ok := c.Expiry(); ok && exp.Before(t.now()) {
		return fmt.Errorf("%w: the token in %q expired at %s: the kubelet refreshes projected tokens in place, "+
			"so do not mount it with subPath (a subPath mount never sees the refresh)", ErrTokenExpired, t.path, exp.UTC().Format(time.RFC3339))
	}
	return nil
}

package tekton

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
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

// tokenClaims are the claims checked before the token is used.
type tokenClaims struct {
	Audience audience `json:"aud"`
	Expiry   *float64 `json:"exp"`
}

// check decodes the payload (without verifying it) for the audience and expiry.
func (t *TokenFile) check(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%w: token file %q holds %d dot-separated parts, expected 3 (header.payload.signature)", ErrTokenMalformed, t.path, len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return fmt.Errorf("%w: token file %q: payload is not base64url", ErrTokenMalformed, t.path)
	}
	var c tokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return fmt.Errorf("%w: token file %q: payload is not a JSON object with a string or list aud", ErrTokenMalformed, t.path)
	}
	if !slices.Contains(c.Audience, Audience) {
		return fmt.Errorf("%w: the token in %q is for audience %q, but Fulcio accepts only %q: set audience: %s on the "+
			"serviceAccountToken source of the projected volume (signet's Task does)", ErrTokenAudience, t.path, []string(c.Audience), Audience, Audience)
	}
	if c.Expiry != nil {
		if exp := time.Unix(int64(*c.Expiry), 0); exp.Before(t.now()) {
			return fmt.Errorf("%w: the token in %q expired at %s: the kubelet refreshes projected tokens in place, "+
				"so do not mount it with subPath (a subPath mount never sees the refresh)", ErrTokenExpired, t.path, exp.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// audience is the aud claim, a string or a list of strings.
type audience []string

// UnmarshalJSON accepts a string or a list of strings.
func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

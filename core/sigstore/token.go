package sigstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/signet-ci/signet/core"
)

// StaticToken is a TokenSource that always returns the same token (for example from
// SIGSTORE_ID_TOKEN). Use it only for tokens that will not expire during the run.
type StaticToken string

var _ core.TokenSource = StaticToken("")

// Token returns the token after checking it looks like a JWT.
func (t StaticToken) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(t))
	if err := CheckJWT(tok); err != nil {
		return "", err
	}
	return tok, nil
}

// FileToken is a TokenSource that re-reads a token file at every call, so rotated tokens
// (Kubernetes projected service-account tokens) are fresh when used.
type FileToken string

var _ core.TokenSource = FileToken("")

// Token reads the file, trims surrounding whitespace and checks the token looks like a JWT.
func (f FileToken) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b, err := os.ReadFile(string(f))
	if err != nil {
		return "", fmt.Errorf("%w: reading token file %q: %w", ErrNoToken, string(f), err)
	}
	tok := strings.TrimSpace(string(b))
	if err := CheckJWT(tok); err != nil {
		return "", fmt.Errorf("token file %q: %w", string(f), err)
	}
	return tok, nil
}

// CheckJWT checks that tok has the shape of a signed JWT: three base64url parts whose first
// two decode to JSON objects. It does not verify the signature (Fulcio does). Its errors
// never contain the token.
func CheckJWT(tok string) error {
	if tok == "" {
		return fmt.Errorf("%w: the token is empty", ErrNoToken)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%w: not a JWT: expected 3 dot-separated parts, got %d", ErrNoToken, len(parts))
	}
	for i, name := range []string{"header", "claims"} {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[i], "="))
		if err != nil {
			return fmt.Errorf("%w: not a JWT: the %s is not base64url", ErrNoToken, name)
		}
		var obj map[string]any
		if json.Unmarshal(raw, &obj) != nil {
			return fmt.Errorf("%w: not a JWT: the %s is not a JSON object", ErrNoToken, name)
		}
	}
	if parts[2] == "" {
		return fmt.Errorf("%w: not a JWT: the signature part is empty", ErrNoToken)
	}
	return nil
}

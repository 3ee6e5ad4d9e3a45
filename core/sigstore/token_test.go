package sigstore_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
)

// jwt builds a JWT-shaped token (unsigned content, fake signature).
func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJl"
}

// validClaims are claims core.CheckToken accepts for the next hour.
func validClaims(extra string) string {
	return fmt.Sprintf(`{"aud":"sigstore","exp":%d%s}`, time.Now().Add(time.Hour).Unix(), extra)
}

// badTokens are tokens every token source must refuse with the same core sentinel.
func badTokens() []struct {
	name, tok, says string
	want            error
} {
	secret := "eyJzZWNyZXQiOiJzM2NyZXQifQ"
	return []struct {
		name, tok, says string
		want            error
	}{
		{"empty", "", "the token is empty", core.ErrNoToken},
		{"blank", " \n\t", "the token is empty", core.ErrNoToken},
		{"opaque", "s3cret-not-a-jwt", "1 dot-separated part(s), expected 3", core.ErrTokenMalformed},
		{"two parts", secret + "." + secret, "2 dot-separated part(s)", core.ErrTokenMalformed},
		{"four parts", jwt(validClaims("")) + ".x", "4 dot-separated part(s)", core.ErrTokenMalformed},
		{"header not base64", "!!!." + secret + ".sig", "the header is not base64url", core.ErrTokenMalformed},
		{"claims not JSON", jwt(`not json`), "the payload is not a JSON object", core.ErrTokenMalformed},
		{"claims null", jwt(`null`), "the payload is not a JSON object", core.ErrTokenMalformed},
		{"no signature", strings.TrimSuffix(jwt(validClaims("")), "c2lnbmF0dXJl"), "the signature part is empty", core.ErrTokenMalformed},
		{"no audience", jwt(`{"sub":"s3cret"}`), `but Fulcio accepts only "sigstore"`, core.ErrTokenAudience},
		{"look-alike audience", jwt(`{"aud":["Sigstore","sigstore ","sigstore.dev"]}`), "is for audience", core.ErrTokenAudience},
		{"expired", jwt(`{"aud":"sigstore","exp":1700000000}`), "expired at 2023-11-14T22:13:20Z", core.ErrTokenExpired},
	}
}

func TestStaticTokenRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range badTokens() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sigstore.StaticToken(tc.tok).Token(t.Context())
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.want, tc.says)
			}
			mustNotContainToken(t, err, tc.tok)
		})
	}
}

func TestFileTokenRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range badTokens() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(path, []byte(tc.tok), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := sigstore.FileToken(path).Token(t.Context())
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want %v saying %q and naming %s", err, tc.want, tc.says, path)
			}
			mustNotContainToken(t, err, tc.tok)
		})
	}
}

// mustNotContainToken fails when err repeats the token or any long part of it.
func mustNotContainToken(t *testing.T, err error, tok string) {
	t.Helper()
	if strings.TrimSpace(tok) != "" {
		mustNotContain(t, err, tok)
	}
	mustNotContain(t, err, "s3cret")
	for _, part := range strings.Split(tok, ".") {
		if len(part) > 12 {
			mustNotContain(t, err, part)
		}
	}
}

func TestStaticToken(t *testing.T) {
	t.Parallel()
	tok := jwt(validClaims(`,"sub":"me"`))
	got, err := sigstore.StaticToken("  " + tok + "\n").Token(t.Context())
	if err != nil || got != tok {
		t.Fatalf("Token() = %q, %v; want the trimmed token", got, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := sigstore.StaticToken(tok).Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestFileTokenRereads(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "token")
	src := sigstore.FileToken(path)
	for i, extra := range []string{`,"n":1`, `,"n":2`} {
		tok := jwt(validClaims(extra))
		if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := src.Token(t.Context())
		if err != nil || got != tok {
			t.Fatalf("read %d: Token() = %q, %v; want the rotated token", i, got, err)
		}
	}
	if err := os.WriteFile(path, []byte("s3cret garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := src.Token(t.Context())
	if !errors.Is(err, core.ErrTokenMalformed) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want core.ErrTokenMalformed naming %s", err, path)
	}
	mustNotContain(t, err, "s3cret")
	missing := sigstore.FileToken(filepath.Join(t.TempDir(), "absent"))
	if _, err := missing.Token(t.Context()); !errors.Is(err, core.ErrNoToken) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "absent") {
		t.Errorf("missing file: err = %v, want core.ErrNoToken naming the file", err)
	}
	if _, err := sigstore.FileToken(t.TempDir()).Token(t.Context()); !errors.Is(err, core.ErrNoToken) {
		t.Errorf("a directory: err = %v, want core.ErrNoToken", err)
	}
}

// A token file is small: a huge or endless file is refused after MaxTokenFile+1 bytes, naming
// the file, without reading it all.
func TestFileTokenBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tok := jwt(validClaims(""))
	atLimit := filepath.Join(dir, "at-limit")
	if err := os.WriteFile(atLimit, []byte(tok+strings.Repeat("\n", sigstore.MaxTokenFile-len(tok))), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := sigstore.FileToken(atLimit).Token(t.Context()); err != nil || got != tok {
		t.Fatalf("a token padded to exactly MaxTokenFile: %q, %v", got, err)
	}
	over := filepath.Join(dir, "over")
	if err := os.WriteFile(over, []byte(tok+strings.Repeat("\n", sigstore.MaxTokenFile-len(tok)+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, []byte(strings.Repeat("s3cret", 1<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	paths := []string{over, huge}
	if _, err := os.Stat("/dev/zero"); err == nil {
		paths = append(paths, "/dev/zero") // endless: only a bounded read returns
	}
	for _, path := range paths {
		_, err := sigstore.FileToken(path).Token(t.Context())
		if !errors.Is(err, core.ErrTokenMalformed) || !strings.Contains(err.Error(), fmt.Sprintf("token file %q is larger than 64 KiB", path)) {
			t.Errorf("%s: err = %v, want core.ErrTokenMalformed saying the file is larger than 64 KiB", path, err)
		}
		mustNotContain(t, err, "s3cret")
	}
}

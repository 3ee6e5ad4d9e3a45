package sigstore_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/core/sigstore"
)

// jwt builds a JWT-shaped token (unsigned content, fake signature).
func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJl"
}

func TestCheckJWT(t *testing.T) {
	t.Parallel()
	secret := "eyJzZWNyZXQiOiJzM2NyZXQifQ"
	tests := []struct {
		name string
		tok  string
		want string // "" means valid
	}{
		{"valid", jwt(`{"sub":"me"}`), ""},
		{"empty", "", "the token is empty"},
		{"two parts", secret + "." + secret, "expected 3 dot-separated parts, got 2"},
		{"four parts", jwt(`{}`) + ".x", "got 4"},
		{"header not base64", "!!!." + secret + ".sig", "the header is not base64url"},
		{"claims not JSON", jwt(`not json`), "the claims is not a JSON object"},
		{"no signature", strings.TrimSuffix(jwt(`{}`), "c2lnbmF0dXJl"), "the signature part is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := sigstore.CheckJWT(tc.tok)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("CheckJWT: %v", err)
				}
				return
			}
			if !errors.Is(err, sigstore.ErrNoToken) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrNoToken mentioning %q", err, tc.want)
			}
			mustNotContain(t, err, secret)
			mustNotContain(t, err, tc.tok)
		})
	}
}

func TestStaticToken(t *testing.T) {
	t.Parallel()
	tok := jwt(`{"sub":"me"}`)
	got, err := sigstore.StaticToken("  " + tok + "\n").Token(t.Context())
	if err != nil || got != tok {
		t.Fatalf("Token() = %q, %v; want the trimmed token", got, err)
	}
	if _, err := sigstore.StaticToken("nope").Token(t.Context()); !errors.Is(err, sigstore.ErrNoToken) {
		t.Errorf("err = %v, want ErrNoToken", err)
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
	for i, claims := range []string{`{"n":1}`, `{"n":2}`} {
		tok := jwt(claims)
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
	if !errors.Is(err, sigstore.ErrNoToken) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want ErrNoToken naming %s", err, path)
	}
	mustNotContain(t, err, "s3cret")
	missing := sigstore.FileToken(filepath.Join(t.TempDir(), "absent"))
	if _, err := missing.Token(t.Context()); !errors.Is(err, sigstore.ErrNoToken) || !strings.Contains(err.Error(), "absent") {
		t.Errorf("missing file: err = %v, want ErrNoToken naming the file", err)
	}
}

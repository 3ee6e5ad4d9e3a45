package tekton

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/localsigstore"
)

func TestTokenFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		contents func(t *testing.T) (string, bool) // token file contents, and whether to write it
		wantErr  error
		wantMsg  []string
	}{
		{"projected token", func(t *testing.T) (string, bool) { return mint(t) + "\n", true }, nil, nil},
		{"missing file", func(t *testing.T) (string, bool) { return "", false }, ErrNoToken,
			[]string{"does not exist", `audience "sigstore"`, EnvTokenFile, "/var/run/sigstore/cosign"}},
		{"empty file", func(t *testing.T) (string, bool) { return " \n", true }, ErrNoToken, []string{"is empty"}},
		{"not a JWT", func(t *testing.T) (string, bool) { return "opaque-secret-value", true }, ErrTokenMalformed, []string{"expected 3"}},
		{"payload not JSON", func(t *testing.T) (string, bool) { return "a.bm90LWpzb24.c", true }, ErrTokenMalformed, []string{"not a JSON object"}},
		{"wrong audience", func(t *testing.T) (string, bool) {
			return mint(t, localsigstore.WithAudience("https://kubernetes.default.svc")), true
		}, ErrTokenAudience, []string{"https://kubernetes.default.svc", "audience: sigstore", "projected volume"}},
		{"expired", func(t *testing.T) (string, bool) {
			return mint(t, localsigstore.WithIssuedAt(time.Now().Add(-time.Hour)), localsigstore.WithExpiry(10*time.Minute)), true
		}, ErrTokenExpired, []string{"expired at", "subPath"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "oidc-token")
			body, write := tt.contents(t)
			if write {
				if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := NewTokenFile(path).Token(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Token() error = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				if got != strings.TrimSpace(body) {
					t.Errorf("Token() = %d bytes, want the file's %d bytes trimmed", len(got), len(strings.TrimSpace(body)))
				}
				return
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if tok := strings.TrimSpace(body); len(tok) > 20 && strings.Contains(err.Error(), tok) {
				t.Error("the error contains the token")
			}
		})
	}
}

// TestTokenFileRereads shows the file is read at every call: the kubelet rotates it in place.
func TestTokenFileRereads(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "oidc-token")
	tf := NewTokenFile(path)
	for i, pod := range []string{"run-1-pod", "run-1-pod-rotated"} {
		tok := mint(t, localsigstore.WithClaims(map[string]any{"jti": pod}))
		if err := os.WriteFile(path, []byte(tok), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := tf.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got != tok {
			t.Errorf("call %d returned a stale token", i+1)
		}
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := tf.Token(context.Background()); !errors.Is(err, ErrNoToken) {
		t.Errorf("after the file is removed: error = %v, want ErrNoToken (no cached token)", err)
	}
}

func TestTokenFileCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewTokenFile(DefaultTokenFile).Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token(canceled) = %v, want context.Canceled", err)
	}
}

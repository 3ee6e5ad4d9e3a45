package tekton

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
)

// tokenFileCase is a token file TestTokenFile reads and what comes of it.
type tokenFileCase struct {
	name    string
	setup   func(t *testing.T, path string) string // writes the file; returns the token expected
	wantErr error
	wantMsg []string
}

// TestTokenFile: the file is read as it is, bounded; what is not there or unusable as a file
// is core.ErrNoToken with what to mount where. The token's claims are checked by the command
// (ci.Checked), not here: see TestTokenFileChecked.
func TestTokenFile(t *testing.T) {
	t.Parallel()
	tests := []tokenFileCase{
		{"projected token", func(t *testing.T, path string) string {
			tok := mint(t)
			writeFile(t, filepath.Dir(path), filepath.Base(path), tok+"\n")
			return tok
		}, nil, nil},
		{"missing file", func(*testing.T, string) string { return "" }, core.ErrNoToken,
			[]string{"does not exist", `audience "sigstore"`, EnvTokenFile, "/var/run/sigstore/cosign"}},
		{"empty file", func(t *testing.T, path string) string {
			writeFile(t, filepath.Dir(path), filepath.Base(path), " \n")
			return ""
		}, core.ErrNoToken, []string{"is empty"}},
		{"a directory: the volume's mount path, not the token", func(t *testing.T, path string) string {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			return ""
		}, core.ErrNoToken, []string{"not a regular file", EnvTokenFile}},
		{"huge file", func(t *testing.T, path string) string {
			writeFile(t, filepath.Dir(path), filepath.Base(path), strings.Repeat("eyJh", 1<<20))
			return ""
		}, core.ErrTokenMalformed, []string{"more than 65536 bytes"}},
	}
	tests = append(tests, fifoTokenFiles()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "oidc-token")
			want := tt.setup(t, path)
			got, err := NewTokenFile(path).Token(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Token() error = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				if got != want {
					t.Errorf("Token() = %d bytes, want the file's %d bytes trimmed", len(got), len(want))
				}
				return
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "eyJh") {
				t.Error("the error shows the file's contents")
			}
		})
	}
}

// TestTokenFileChecked: the Task's token goes through the command's one check (ci.Checked,
// core.CheckToken) and each bad token maps to core's sentinel, naming the file, never the token.
func TestTokenFileChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    func(t *testing.T) string
		wantErr error
		wantMsg string
	}{
		{"projected token", func(t *testing.T) string { return mint(t) }, nil, ""},
		{"not a JWT", func(*testing.T) string { return "opaque-secret-value" }, core.ErrTokenMalformed, "expected 3"},
		{"payload not JSON", func(*testing.T) string { return "eyJhbGciOiJub25lIn0.bm90LWpzb24.c2ln" }, core.ErrTokenMalformed, "not a JSON object"},
		{"wrong audience", func(t *testing.T) string {
			return mint(t, localsigstore.WithAudience("https://kubernetes.default.svc"))
		}, core.ErrTokenAudience, "https://kubernetes.default.svc"},
		{"audience list without sigstore", func(t *testing.T) string {
			return mint(t, localsigstore.WithClaims(map[string]any{"aud": []string{"sigstore-x", "Sigstore"}}))
		}, core.ErrTokenAudience, "Sigstore"},
		{"expired", func(t *testing.T) string {
			return mint(t, localsigstore.WithIssuedAt(time.Now().Add(-time.Hour)), localsigstore.WithExpiry(10*time.Minute))
		}, core.ErrTokenExpired, "expired at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := t.TempDir()
			path := writeFile(t, ws, "oidc-token", tt.body(t))
			plan, err := New(envOf(map[string]string{EnvTokenFile: path}), nil).Plan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			tok, err := ci.Checked(plan.Token, plan.TokenFrom).Token(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				if tok == "" {
					t.Error("no token")
				}
				return
			}
			for _, m := range []string{tt.wantMsg, path} {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "eyJ") {
				t.Error("the error shows the token")
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
	if _, err := tf.Token(context.Background()); !errors.Is(err, core.ErrNoToken) {
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

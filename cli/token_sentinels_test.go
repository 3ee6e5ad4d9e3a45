//go:build !nolocalsigstore

package cli

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
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/provenance"
)

// TestTokenSentinelsAgreeAcrossReaders: the same bad token, signed by a real issuer, fails with
// the same core sentinel whichever reader meets it (a flag's or SIGSTORE_ID_TOKEN's
// StaticToken, a token file, the platform check ci.Checked, provenance.VerifyToken, which
// verifies the signature against the issuer's keys), and no message contains the token.
func TestTokenSentinelsAgreeAcrossReaders(t *testing.T) {
	t.Parallel()
	s, err := localsigstore.Start(t.Context(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	mint := func(p localsigstore.Preset, opts ...localsigstore.TokenOption) string {
		tok, err := s.Token(p, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := mint(localsigstore.PresetGitHub)
	for _, tc := range []struct {
		name string
		tok  string
		want error
	}{
		{"empty", "  \n", core.ErrNoToken},
		{"opaque secret", "s3cret-opaque-value-0123456789", core.ErrTokenMalformed},
		{"two parts of a real token", valid[:strings.LastIndex(valid, ".")], core.ErrTokenMalformed},
		{"signature cut off", valid[:strings.LastIndex(valid, ".")+1], core.ErrTokenMalformed},
		{"expired github token", mint(localsigstore.PresetGitHub, localsigstore.WithExpiry(-time.Minute)), core.ErrTokenExpired},
		{"expired kubernetes token", mint(localsigstore.PresetKubernetes, localsigstore.WithExpiry(-time.Hour)), core.ErrTokenExpired},
		{"audience vault", mint(localsigstore.PresetGitLab, localsigstore.WithAudience("vault")), core.ErrTokenAudience},
		{"audience Sigstore (case)", mint(localsigstore.PresetEmail, localsigstore.WithAudience("Sigstore")), core.ErrTokenAudience},
		{"audience sigstore.dev (look-alike)", mint(localsigstore.PresetEmail, localsigstore.WithAudience("sigstore.dev")), core.ErrTokenAudience},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(path, []byte(tc.tok+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			readers := map[string]func(context.Context) error{
				"StaticToken": func(ctx context.Context) error { _, err := sigstore.StaticToken(tc.tok).Token(ctx); return err },
				"FileToken":   func(ctx context.Context) error { _, err := sigstore.FileToken(path).Token(ctx); return err },
				"ci.Checked": func(ctx context.Context) error {
					_, err := ci.Checked(rawToken(tc.tok), "the runner's ID token").Token(ctx)
					return err
				},
				"provenance.VerifyToken": func(ctx context.Context) error {
					_, err := provenance.VerifyToken(ctx, tc.tok, provenance.WithRetries(1, time.Millisecond))
					return err
				},
			}
			_, err := ci.Checked(sigstore.StaticToken(tc.tok), "SIGSTORE_ID_TOKEN").Token(t.Context())
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "SIGSTORE_ID_TOKEN") {
				t.Errorf("SIGSTORE_ID_TOKEN's source: err = %v, want %v naming SIGSTORE_ID_TOKEN", err, tc.want)
			}
			for name, read := range readers {
				err := read(t.Context())
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: err = %v, want %v", name, err, tc.want)
					continue
				}
				if leaks(err, tc.tok) {
					t.Errorf("%s: the error repeats the token: %v", name, err)
				}
			}
		})
	}
	// The valid token passes every reader, so the refusals above are about the tokens.
	if _, err := sigstore.StaticToken(valid).Token(t.Context()); err != nil {
		t.Errorf("StaticToken refused a valid token: %v", err)
	}
	if _, err := provenance.VerifyToken(t.Context(), valid); err != nil {
		t.Errorf("VerifyToken refused a valid token: %v", err)
	}
	if !errors.Is(errNoToken, core.ErrNoToken) {
		t.Errorf("the CLI's no-token error %q is not core.ErrNoToken", errNoToken)
	}
}

// rawToken hands out a token unchecked, as a platform's endpoint would.
type rawToken string

func (r rawToken) Token(context.Context) (string, error) { return string(r), nil }

// leaks reports whether err's message holds the token or any long part of it.
func leaks(err error, tok string) bool {
	msg := err.Error()
	if t := strings.TrimSpace(tok); t != "" && strings.Contains(msg, t) {
		return true
	}
	for _, part := range strings.Split(tok, ".") {
		if len(part) > 12 && strings.Contains(msg, part) {
			return true
		}
	}
	return false
}

package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
)

// idToken is a JWT-shaped token for audience sigstore whose subject names where it came from.
func idToken(sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	claims := fmt.Sprintf(`{"aud":"sigstore","sub":%q,"exp":%d}`, sub, time.Now().Add(time.Hour).Unix())
	return enc([]byte(`{"alg":"ES256"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

type namedToken string

func (n namedToken) Token(context.Context) (string, error) { return idToken(string(n)), nil }

// TestChooseToken pins the one identity rule every platform shares: the first source given
// wins, in the order flag, flag file, SIGSTORE_ID_TOKEN, embedded Sigstore, platform.
func TestChooseToken(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(idToken("file")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	all := attestConfig{Token: idToken("flag"), TokenFile: file, PlatformToken: namedToken("platform"), PlatformTokenFrom: "the platform's token"}
	for _, tc := range []struct {
		name  string
		cfg   func(attestConfig) attestConfig
		env   string
		local bool
		want  string
	}{
		{"flag wins over everything", func(c attestConfig) attestConfig { return c }, "env", true, "flag"},
		{"token file next", func(c attestConfig) attestConfig { c.Token = ""; return c }, "env", true, "file"},
		{"SIGSTORE_ID_TOKEN next", func(c attestConfig) attestConfig { c.Token, c.TokenFile = "", ""; return c }, "env", true, "env"},
		{"embedded Sigstore before the platform", func(c attestConfig) attestConfig { c.Token, c.TokenFile = "", ""; return c }, "", true, "local"},
		{"platform last", func(c attestConfig) attestConfig { c.Token, c.TokenFile = "", ""; return c }, "", false, "platform"},
		{"none", func(c attestConfig) attestConfig { return attestConfig{} }, "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := Env{Getenv: func(k string) string {
				if k == "SIGSTORE_ID_TOKEN" && tc.env != "" {
					return idToken(tc.env)
				}
				return ""
			}}
			var local namedToken
			if tc.local {
				local = "local"
			}
			var src interface {
				Token(context.Context) (string, error)
			}
			var err error
			if tc.local {
				src, err = chooseToken(env, tc.cfg(all), local)
			} else {
				src, err = chooseToken(env, tc.cfg(all), nil)
			}
			if tc.want == "" {
				if !errors.Is(err, errNoToken) {
					t.Fatalf("chooseToken() error = %v, want errNoToken", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tok, err := src.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			c, err := core.PeekToken(tok)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.String("sub"); got != tc.want {
				t.Errorf("the token came from %q, want %q", got, tc.want)
			}
		})
	}
}

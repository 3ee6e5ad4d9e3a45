package ci_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
)

// source is a token source that gives tok or fails with err.
type source struct {
	tok string
	err error
}

func (s source) Token(context.Context) (string, error) { return s.tok, s.err }

func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"ES256"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

// Every refusal names where the token came from, whether the source or Checked refused it.
func TestCheckedNamesTheSource(t *testing.T) {
	t.Parallel()
	valid := jwt(fmt.Sprintf(`{"aud":"sigstore","exp":%d}`, time.Now().Add(time.Hour).Unix()))
	down := errors.New("token endpoint down")
	for _, tc := range []struct {
		name string
		src  source
		want error
		says string
	}{
		{"checked here: expired", source{tok: jwt(`{"aud":"sigstore","exp":1700000000}`)}, core.ErrTokenExpired, "OIDC identity token expired: SIGSTORE_ID_TOKEN expired at"},
		{"checked here: audience", source{tok: jwt(`{"aud":"vault"}`)}, core.ErrTokenAudience, `SIGSTORE_ID_TOKEN is for audience ["vault"]`},
		{"checked here: malformed", source{tok: "opaque"}, core.ErrTokenMalformed, "SIGSTORE_ID_TOKEN: OIDC identity token is not a JWT"},
		{"refused by the source", source{err: fmt.Errorf("%w: the given identity token expired at X", core.ErrTokenExpired)}, core.ErrTokenExpired,
			"SIGSTORE_ID_TOKEN: OIDC identity token expired: the given identity token expired at X"},
		{"source empty", source{err: fmt.Errorf("%w: the token is empty", core.ErrNoToken)}, core.ErrNoToken, "SIGSTORE_ID_TOKEN: no OIDC identity token"},
		{"other source failure kept as it is", source{err: down}, down, "token endpoint down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ci.Checked(tc.src, "SIGSTORE_ID_TOKEN").Token(t.Context())
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.want, tc.says)
			}
			if tc.src.err == down && err.Error() != down.Error() {
				t.Errorf("err = %q, want the source's own error unchanged", err)
			}
		})
	}
	if got, err := ci.Checked(source{tok: valid}, "SIGSTORE_ID_TOKEN").Token(t.Context()); err != nil || got != valid {
		t.Errorf("a valid token: %q, %v", got, err)
	}
}

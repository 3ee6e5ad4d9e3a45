package provenance

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
)

// TestPeekToken covers the deprecated wrapper kept for the gitlab and tekton adapters: it is
// core.PeekToken, with core's sentinels.
func TestPeekToken(t *testing.T) {
	t.Parallel()
	jwt := func(payload string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
	}
	u, err := PeekToken(jwt(`{"aud":["a","sigstore"],"exp":1700000000,"ci_config_ref_uri":null,"sub":"s"}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a", "sigstore"}, u.Audience()); d != "" {
		t.Errorf("audience (-want +got):\n%s", d)
	}
	if exp, ok := u.Expiry(); !ok || !exp.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("expiry %v %v", exp, ok)
	}
	if v, ok := u.Claim("ci_config_ref_uri"); !ok || string(v) != "null" {
		t.Errorf("null claim: %q %v", v, ok)
	}
	if _, ok := u.Claim("missing"); ok {
		t.Error("absent claim reported present")
	}
	if u.String("sub") != "s" || u.String("exp") != "" {
		t.Errorf("String: %q %q", u.String("sub"), u.String("exp"))
	}
	one, _ := PeekToken(jwt(`{"aud":"sigstore"}`))
	if d := cmp.Diff([]string{"sigstore"}, one.Audience()); d != "" {
		t.Errorf("string aud (-want +got):\n%s", d)
	}
	for _, bad := range []string{"a.b", "secret-token-value", "x.!!!.y", jwt(`[1]`), jwt(`null`)} {
		_, err := PeekToken(bad)
		if !errors.Is(err, core.ErrTokenMalformed) {
			t.Errorf("PeekToken(%q): %v, want core.ErrTokenMalformed", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), bad) {
			t.Errorf("error %q repeats the token", err)
		}
	}
}

package provenance

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
)

var tokenNow = time.Date(2026, 8, 20, 10, 0, 0, 0, time.UTC)

func baseClaims(iss string) map[string]any {
	return map[string]any{
		"iss": iss, "sub": "repo:signet-ci/signet:ref:refs/heads/main", "aud": "sigstore",
		"iat": tokenNow.Unix(), "nbf": tokenNow.Add(-5 * time.Second).Unix(), "exp": tokenNow.Add(5 * time.Minute).Unix(),
		"repository": "signet-ci/signet", "runner_id": 12270859, "repository_visibility": "private",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(m, kv[i].(string))
			continue
		}
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func TestVerifyToken(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	other := newTestIssuer(t)
	forger, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) VerifyOption { return WithNow(func() time.Time { return tokenNow.Add(d) }) }
	iss := ti.URL()
	tests := []struct {
		name    string
		token   string
		opts    []VerifyOption
		wantErr error
		wantMsg string
	}{
		{name: "valid", token: ti.sign(t, baseClaims(iss)), opts: []VerifyOption{at(time.Minute)}},
		{name: "valid with required issuer and audience list", token: ti.sign(t, with(baseClaims(iss), "aud", []string{"other", "sigstore"})),
			opts: []VerifyOption{at(time.Minute), WithIssuer(iss)}},
		{name: "forged signature", token: signJWT(t, forger, ti.kid, baseClaims(iss)), opts: []VerifyOption{at(time.Minute)},
			wantErr: ErrTokenSignature, wantMsg: "does not verify with the keys OIDC issuer \"" + iss + "\" publishes at " + iss + "/keys"},
		{name: "signed by another issuer's key", token: other.sign(t, baseClaims(iss)), opts: []VerifyOption{at(time.Minute)},
			wantErr: ErrTokenSignature, wantMsg: "does not verify"},
		{name: "expired", token: ti.sign(t, baseClaims(iss)), opts: []VerifyOption{at(10 * time.Minute)},
			wantErr: core.ErrTokenExpired, wantMsg: "token expired at 2026-08-20T10:05:00Z, 5m0s before now (2026-08-20T10:10:00Z)"},
		{name: "not yet valid", token: ti.sign(t, with(baseClaims(iss), "nbf", tokenNow.Add(time.Hour).Unix())), opts: []VerifyOption{at(0)},
			wantErr: ErrTokenNotYetValid, wantMsg: "valid from 2026-08-20T11:00:00Z"},
		{name: "wrong audience", token: ti.sign(t, with(baseClaims(iss), "aud", "https://github.com/signet-ci")), opts: []VerifyOption{at(0)},
			wantErr: core.ErrTokenAudience, wantMsg: `token audience ["https://github.com/signet-ci"] does not include "sigstore"`},
		{name: "audience option", token: ti.sign(t, baseClaims(iss)), opts: []VerifyOption{at(0), WithAudience("nobody")},
			wantErr: core.ErrTokenAudience, wantMsg: `does not include "nobody"`},
		{name: "wrong issuer", token: ti.sign(t, baseClaims(iss)), opts: []VerifyOption{at(0), WithIssuer("https://token.actions.githubusercontent.com")},
			wantErr: ErrTokenIssuer, wantMsg: `token issuer "` + iss + `" is not the required issuer "https://token.actions.githubusercontent.com"`},
		{name: "issuer over plain http elsewhere", token: ti.sign(t, baseClaims("http://issuer.example.com")), opts: []VerifyOption{at(0)},
			wantErr: ErrTokenIssuer, wantMsg: "expected an https URL (http only on loopback)"},
		{name: "no issuer", token: ti.sign(t, with(baseClaims(iss), "iss", nil)), opts: []VerifyOption{at(0)},
			wantErr: ErrTokenIssuer, wantMsg: "token has no iss claim"},
		{name: "no expiry", token: ti.sign(t, with(baseClaims(iss), "exp", nil)), opts: []VerifyOption{at(0)},
			wantErr: ErrClaim, wantMsg: "no numeric exp claim"},
		{name: "not a JWT", token: "not-a-token", wantErr: core.ErrTokenMalformed, wantMsg: "1 dot-separated part(s), expected 3"},
		{name: "header not base64", token: "a.!!!.c", wantErr: core.ErrTokenMalformed, wantMsg: "the header is not base64url"},
		{name: "payload not base64", token: "eyJhbGciOiJSUzI1NiJ9.!!!.c", wantErr: core.ErrTokenMalformed, wantMsg: "the payload is not base64url"},
		{name: "payload null", token: "eyJhbGciOiJSUzI1NiJ9.bnVsbA.c", wantErr: core.ErrTokenMalformed, wantMsg: "the payload is not a JSON object"},
		{name: "empty", token: " \n", wantErr: core.ErrNoToken, wantMsg: "the token is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			claims, err := VerifyToken(t.Context(), tt.token, tt.opts...)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifyToken: %v", err)
				}
				if got, _ := claims.Get("repository"); got != "signet-ci/signet" {
					t.Errorf("repository claim = %q", got)
				}
				if got, _ := claims.Get("runner_id"); got != "12270859" {
					t.Errorf("runner_id claim = %q, want the number as written", got)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyToken error = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			assertNoToken(t, err, tt.token)
		})
	}
}

// assertNoToken fails when an error quotes any part of a token.
func assertNoToken(t *testing.T, err error, token string) {
	t.Helper()
	for _, part := range strings.Split(token, ".") {
		if len(part) > 16 && strings.Contains(err.Error(), part) {
			t.Errorf("error contains part of the token: %v", err)
		}
	}
}

func TestVerifyTokenWithRealIssuerURL(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	const gh = "https://token.actions.githubusercontent.com"
	tok := ti.sign(t, baseClaims(gh))
	claims, err := VerifyToken(t.Context(), tok, WithIssuer(gh), WithHTTPClient(ti.redirectClient()),
		WithNow(func() time.Time { return tokenNow }))
	if err != nil {
		t.Fatalf("VerifyToken: %v", err)
	}
	if claims.Issuer() != gh || !claims.IsPrivate() {
		t.Errorf("issuer %q private %v", claims.Issuer(), claims.IsPrivate())
	}
}

func TestVerifyTokenIssuerFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		failures  int
		discIss   string
		keys      int
		wantErr   error
		wantMsg   string
		wantHits  int32
		wantValid bool
	}{
		{name: "issuer down: bounded retries", status: http.StatusServiceUnavailable, wantErr: ErrIssuerUnreachable,
			wantMsg: `OIDC issuer "{iss}": GET {iss}/.well-known/openid-configuration: failed after 3 attempt(s): HTTP 503 Service Unavailable`, wantHits: 3},
		{name: "not found is not retried", status: http.StatusNotFound, wantErr: ErrIssuerUnreachable,
			wantMsg: "failed after 1 attempt(s): HTTP 404 Not Found", wantHits: 1},
		{name: "key set down: bounded retries", keys: http.StatusBadGateway, wantErr: ErrIssuerUnreachable,
			wantMsg: "GET {iss}/keys: failed after 3 attempt(s): HTTP 502 Bad Gateway", wantHits: 4},
		{name: "transient failures recover", failures: 2, wantValid: true, wantHits: 4},
		{name: "discovery names another issuer", discIss: "https://elsewhere.example.com", wantErr: ErrTokenIssuer,
			wantMsg: `its discovery document names issuer "https://elsewhere.example.com"`, wantHits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ti := newTestIssuer(t)
			ti.status.Store(int32(tt.status))
			ti.failures.Store(int32(tt.failures))
			ti.discoveredIssuer.Store(tt.discIss)
			ti.keysStatus.Store(int32(tt.keys))
			tok := ti.sign(t, baseClaims(ti.URL()))
			_, err := VerifyToken(t.Context(), tok, WithRetries(3, time.Millisecond), WithNow(func() time.Time { return tokenNow }))
			if got := ti.hits.Load(); got != tt.wantHits {
				t.Errorf("issuer got %d requests, want %d", got, tt.wantHits)
			}
			if tt.wantValid {
				if err != nil {
					t.Fatalf("VerifyToken: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if msg := strings.ReplaceAll(tt.wantMsg, "{iss}", ti.URL()); !strings.Contains(err.Error(), msg) {
				t.Errorf("error %q does not say %q", err, msg)
			}
			assertNoToken(t, err, tok)
		})
	}
}

func TestVerifyTokenTimeout(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	ti := newTestIssuer(t)
	ti.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})
	start := time.Now()
	_, err := VerifyToken(context.Background(), ti.sign(t, baseClaims(ti.URL())), WithTimeout(200*time.Millisecond), WithRetries(5, 10*time.Millisecond))
	if !errors.Is(err, ErrIssuerUnreachable) || !strings.Contains(err.Error(), ti.URL()) {
		t.Fatalf("error = %v, want ErrIssuerUnreachable naming %s", err, ti.URL())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("verification took %s despite a 200ms timeout", d)
	}
}

func TestVerifyOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  VerifyOption
		want string
	}{
		{"issuer not a URL", WithIssuer("token.actions.githubusercontent.com"), "expected an absolute http(s) URL"},
		{"empty audience", WithAudience(""), "audience is empty"},
		{"nil clock", WithNow(nil), "clock is nil"},
		{"nil client", WithHTTPClient(nil), "client is nil"},
		{"zero timeout", WithTimeout(0), "expected a positive duration"},
		{"no attempts", WithRetries(0, time.Second), "WithRetries(0, 1s): backoff: 0 attempts: expected 1 to 10"},
		{"too many attempts", WithRetries(11, time.Second), "WithRetries(11, 1s): backoff: 11 attempts: expected 1 to 10"},
		{"zero backoff", WithRetries(3, 0), "WithRetries(3, 0s): backoff: delay 0s"},
		{"negative backoff", WithRetries(3, -time.Second), "WithRetries(3, -1s): backoff: delay -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := VerifyToken(t.Context(), "a.b.c", tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

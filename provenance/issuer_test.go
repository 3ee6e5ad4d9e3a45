package provenance

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// testIssuer is a real OIDC issuer for tests: discovery and JWKS over HTTP, RS256 tokens
// signed with go-jose. It serves any issuer URL it is asked about (the discovery document names
// https://<Host><path>), so tests can use real issuer URLs through redirectClient.
type testIssuer struct {
	srv  *httptest.Server
	key  *rsa.PrivateKey
	kid  string
	hits atomic.Int32
	// failures is how many requests get 503 before the issuer answers.
	failures atomic.Int32
	// status, when not 0, is returned to every request.
	status atomic.Int32
	// keysStatus, when not 0, is returned to key set requests only.
	keysStatus atomic.Int32
	// discoveredIssuer, when set, is the issuer the discovery document names.
	discoveredIssuer atomic.Value
}

const discoveryPath = "/.well-known/openid-configuration"

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ti := &testIssuer{key: key, kid: "test-key-1"}
	ti.srv = httptest.NewServer(http.HandlerFunc(ti.serve))
	t.Cleanup(ti.srv.Close)
	return ti
}

// URL is the issuer URL of the server itself (plain http on loopback).
func (ti *testIssuer) URL() string { return ti.srv.URL }

func (ti *testIssuer) serve(w http.ResponseWriter, r *http.Request) {
	ti.hits.Add(1)
	if s := ti.status.Load(); s != 0 {
		http.Error(w, "configured failure", int(s))
		return
	}
	if ti.failures.Add(-1) >= 0 {
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	scheme := "https"
	if r.Host == ti.srv.Listener.Addr().String() {
		scheme = "http"
	}
	base := scheme + "://" + r.Host
	switch {
	case strings.HasSuffix(r.URL.Path, discoveryPath):
		iss := base + strings.TrimSuffix(r.URL.Path, discoveryPath)
		if d, ok := ti.discoveredIssuer.Load().(string); ok && d != "" {
			iss = d
		}
		writeJSON(w, map[string]any{"issuer": iss, "jwks_uri": base + strings.TrimSuffix(r.URL.Path, discoveryPath) + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"}, "response_types_supported": []string{"id_token"},
			"subject_types_supported": []string{"public"}})
	case strings.HasSuffix(r.URL.Path, "/keys") && ti.keysStatus.Load() != 0:
		http.Error(w, "keys unavailable", int(ti.keysStatus.Load()))
	case strings.HasSuffix(r.URL.Path, "/keys"):
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &ti.key.PublicKey, KeyID: ti.kid, Algorithm: "RS256", Use: "sig"}}})
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// sign returns a compact RS256 JWT of claims signed with the issuer's key.
func (ti *testIssuer) sign(t *testing.T, claims map[string]any) string {
	return signJWT(t, ti.key, ti.kid, claims)
}

func signJWT(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// redirectClient sends every request to the test issuer, keeping the original Host, so tokens
// can carry real issuer URLs (https://token.actions.githubusercontent.com...).
func (ti *testIssuer) redirectClient() *http.Client {
	target, _ := url.Parse(ti.srv.URL)
	return &http.Client{Transport: redirect{target: target}}
}

type redirect struct{ target *url.URL }

// RoundTrip implements http.RoundTripper.
func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Host = req.URL.Host
	out.URL.Scheme, out.URL.Host = r.target.Scheme, r.target.Host
	return http.DefaultTransport.RoundTrip(out)
}

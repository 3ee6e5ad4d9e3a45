package localsigstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// maxMintRequest bounds the body of a mint request.
const maxMintRequest = 1 << 20

// issuer is one preset's OIDC provider: an ES256 key, its discovery document and JWKS.
type issuer struct {
	preset Preset
	url    string
	key    jose.JSONWebKey
	signer jose.Signer
}

func newIssuer(baseURL string, p Preset) (*issuer, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the %s issuer's signing key: %w", p, err)
	}
	key := jose.JSONWebKey{Key: priv, Algorithm: string(jose.ES256), Use: "sig"}
	thumb, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("computing the %s issuer's key ID: %w", p, err)
	}
	key.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), key.KeyID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, opts)
	if err != nil {
		return nil, fmt.Errorf("creating the %s issuer's signer: %w", p, err)
	}
	return &issuer{preset: p, url: baseURL + "/oidc/" + string(p), key: key, signer: signer}, nil
}

// mint signs a token with the preset's default claims, the registered claims and opts.
func (i *issuer) mint(o tokenOptions) (string, error) {
	jti := rand.Text()
	base := map[string]any{
		"iss": i.url,
		"aud": o.audience,
		"iat": o.issuedAt.Unix(),
		"nbf": o.issuedAt.Add(-5 * time.Second).Unix(),
		"exp": o.issuedAt.Add(o.expiry).Unix(),
		"jti": jti,
	}
	claims := mergeClaims(mergeClaims(base, DefaultClaims(i.preset)), o.claims)
	for _, name := range o.remove {
		delete(claims, name)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding the claims of a %s token: %w", i.preset, err)
	}
	jws, err := i.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("signing a %s token: %w", i.preset, err)
	}
	return jws.CompactSerialize()
}

// routes registers the issuer's discovery, JWKS and mint endpoints on mux.
func (i *issuer) routes(mux *http.ServeMux) {
	prefix := "/oidc/" + string(i.preset)
	mux.HandleFunc("GET "+prefix+"/.well-known/openid-configuration", i.serveDiscovery)
	mux.HandleFunc("GET "+prefix+"/keys", i.serveKeys)
	mux.HandleFunc("POST "+prefix+"/token", i.serveMint)
	mux.HandleFunc("GET "+prefix+"/token", i.serveMint)
}

func (i *issuer) serveDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                i.url,
		"jwks_uri":                              i.url + "/keys",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{string(jose.ES256)},
		"scopes_supported":                      []string{"openid"},
		"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf"},
	})
}

func (i *issuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{i.key.Public()}})
}

// mintRequest is the body of POST /oidc/<preset>/token; every field is optional.
type mintRequest struct {
	Claims    map[string]any `json:"claims"`
	Remove    []string       `json:"remove"`
	Audience  string         `json:"audience"`
	ExpiresIn int64          `json:"expiresIn"`
}

// serveMint answers POST with a JSON mintRequest body, or GET with an optional ?audience= (the
// shape of GitHub's ACTIONS_ID_TOKEN_REQUEST_URL), with {"value":"<jwt>"}.
func (i *issuer) serveMint(w http.ResponseWriter, r *http.Request) {
	req := mintRequest{Audience: r.URL.Query().Get("audience")}
	if r.Method == http.MethodPost {
		if err := decodeMintRequest(w, r, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	}
	tok, err := i.mintFor(req)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"value": tok})
}

func decodeMintRequest(w http.ResponseWriter, r *http.Request, req *mintRequest) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxMintRequest))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil && !errors.Is(err, io.EOF) { // an empty body stands for {}
		return fmt.Errorf("decoding the token request body: expected JSON such as "+
			`{"claims":{...},"remove":["claim"],"audience":"sigstore","expiresIn":600}: %w`, err)
	}
	return nil
}

func (i *issuer) mintFor(req mintRequest) (string, error) {
	opts := []TokenOption{WithClaims(req.Claims), WithoutClaims(req.Remove...)}
	if req.Audience != "" {
		opts = append(opts, WithAudience(req.Audience))
	}
	if req.ExpiresIn != 0 {
		opts = append(opts, WithExpiry(time.Duration(req.ExpiresIn)*time.Second))
	}
	o, err := buildTokenOptions(opts)
	if err != nil {
		return "", err
	}
	return i.mint(o)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

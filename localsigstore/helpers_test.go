package localsigstore

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-ci/signet/internal/golden"
)

// start runs an instance for the test and closes it (checking the error) when the test ends.
func start(t *testing.T, opts ...Option) *Sigstore {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	s, err := Start(ctx, opts...)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// artifact is what the test statements describe.
var artifact = []byte("signet localsigstore test artifact\n")

func artifactDigest() []byte {
	d := sha256.Sum256(artifact)
	return d[:]
}

func statement(t *testing.T) []byte {
	t.Helper()
	st := map[string]any{
		"_type": "https://in-toto.io/Statement/v1",
		"subject": []any{map[string]any{
			"name":   "artifact.txt",
			"digest": map[string]string{"sha256": hex.EncodeToString(artifactDigest())},
		}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate":     map[string]any{"buildDefinition": map[string]any{"buildType": "https://signet.dev/test"}},
	}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// signWith signs a DSSE statement with sigstore-go against the services that s's signing
// configuration names, using token, and returns the bundle JSON.
func signWith(t *testing.T, s *Sigstore, token string) ([]byte, error) {
	t.Helper()
	sc, err := root.NewSigningConfigFromJSON(s.SigningConfig())
	if err != nil {
		t.Fatalf("parsing the signing config: %v", err)
	}
	now := time.Now()
	ca, err := root.SelectService(sc.FulcioCertificateAuthorityURLs(), sign.FulcioAPIVersions, now)
	if err != nil {
		t.Fatalf("selecting Fulcio: %v", err)
	}
	tsas, err := root.SelectServices(sc.TimestampAuthorityURLs(), sc.TimestampAuthorityURLsConfig(), sign.TimestampAuthorityAPIVersions, now)
	if err != nil {
		t.Fatalf("selecting a TSA: %v", err)
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := sign.BundleOptions{
		CertificateProvider:        sign.NewFulcio(&sign.FulcioOptions{BaseURL: ca.URL, Timeout: 10 * time.Second}),
		CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: token},
		Context:                    t.Context(),
	}
	for _, tsa := range tsas {
		opts.TimestampAuthorities = append(opts.TimestampAuthorities,
			sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: tsa.URL, Timeout: 10 * time.Second}))
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: statement(t), PayloadType: "application/vnd.in-toto+json"}, kp, opts)
	if err != nil {
		return nil, err
	}
	return protojson.Marshal(pb)
}

// verifyWith verifies bundleJSON against trustedRoot (one signed timestamp required) and
// returns the summary of the bundle's certificate.
func verifyWith(t *testing.T, trustedRoot, bundleJSON []byte) (certificate.Summary, error) {
	t.Helper()
	tr, err := root.NewTrustedRootFromJSON(trustedRoot)
	if err != nil {
		t.Fatalf("parsing the trusted root: %v", err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		t.Fatalf("parsing the bundle: %v", err)
	}
	v, err := verify.NewVerifier(tr, verify.WithSignedTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	policy := verify.NewPolicy(verify.WithArtifactDigest("sha256", artifactDigest()), verify.WithoutIdentitiesUnsafe())
	if _, err := v.Verify(&b, policy); err != nil {
		return certificate.Summary{}, err
	}
	vc, err := b.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	return certificate.SummarizeCertificate(vc.Certificate())
}

// requestCertificate asks s's Fulcio for a certificate as sigstore-go would (public key and proof
// of possession over the token's email or sub) and returns the HTTP status and body.
func requestCertificate(t *testing.T, s *Sigstore, token string) (int, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	claims := tokenClaims(t, token)
	subject, ok := claims["email"].(string)
	if !ok {
		subject, _ = claims["sub"].(string)
	}
	digest := sha256.Sum256([]byte(subject))
	proof, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"publicKeyRequest": map[string]any{
		"publicKey":         map[string]string{"algorithm": "ECDSA", "content": string(pub)},
		"proofOfPossession": base64.StdEncoding.EncodeToString(proof),
	}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/api/v2/signingCert", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", req.URL, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(out)
}

// tokenClaims decodes a JWT's payload (numbers as json.Number).
func tokenClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decoding the token payload: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		t.Fatalf("decoding the token payload: %v", err)
	}
	return claims
}

// goldenJSON compares the indented JSON of v with testdata/name, rewriting it under -update.
func goldenJSON(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", name), append(got, '\n'))
}

package sigstore_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/signet-ci/signet/core/sigstore"
)

// keyPEM encodes a fresh private key; sec1 picks "EC PRIVATE KEY" over PKCS#8.
func keyPEM(t *testing.T, key crypto.Signer, sec1 bool) []byte {
	t.Helper()
	if sec1 {
		der, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func newECDSA(t *testing.T, c elliptic.Curve) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEd25519(t *testing.T) crypto.Signer {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeySignerRoundTrip(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	tests := []struct {
		name      string
		key       crypto.Signer
		sec1      bool
		mat       *sigstore.Material
		wantTimes int
	}{
		{"ECDSA P-256 PKCS#8, timestamped", newECDSA(t, elliptic.P256()), false, mat, 1},
		{"ECDSA P-256 SEC1, timestamped", newECDSA(t, elliptic.P256()), true, mat, 1},
		{"Ed25519, timestamped", newEd25519(t), false, mat, 1},
		{"ECDSA P-256, no trust material", newECDSA(t, elliptic.P256()), false, nil, 0},
		{"Ed25519, no trust material", newEd25519(t), false, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			signer, err := sigstore.NewKeySigner(t.Context(), keyPEM(t, tc.key, tc.sec1), tc.mat)
			if err != nil {
				t.Fatal(err)
			}
			b, err := signer.SignStatement(t.Context(), statement(t, appBin))
			if err != nil {
				t.Fatalf("SignStatement: %v", err)
			}
			if len(b.Timestamps) != tc.wantTimes || b.LogEntry != nil {
				t.Errorf("bundle timestamps %v, log entry %+v; want %d timestamps, no entry", b.Timestamps, b.LogEntry, tc.wantTimes)
			}
			res := verifyKey(t, tc.mat, tc.key.Public(), b.JSON)
			if res.KeyHint == "" || res.KeyHint != signer.Identity().Subject || res.Certificate != nil {
				t.Errorf("result key hint %q, identity %+v, certificate %v", res.KeyHint, signer.Identity(), res.Certificate)
			}
			if len(res.Timestamps) != tc.wantTimes {
				t.Errorf("verified timestamps %+v, want %d", res.Timestamps, tc.wantTimes)
			}
			wrong, err := sigstore.NewVerifier(trustedRoot(tc.mat), sigstore.WithPublicKey(newECDSA(t, elliptic.P256()).Public()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := wrong.Verify(t.Context(), b.JSON, "sha256", appBin.digest(), sigstore.IdentityPolicy{}); !errors.Is(err, sigstore.ErrSignature) {
				t.Errorf("verifying with another key: err = %v, want ErrSignature", err)
			}
		})
	}
}

func verifyKey(t *testing.T, mat *sigstore.Material, pub crypto.PublicKey, js []byte) *sigstore.Result {
	t.Helper()
	v, err := sigstore.NewVerifier(trustedRoot(mat), sigstore.WithPublicKey(pub))
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(t.Context(), js, "sha256", appBin.digest(), sigstore.IdentityPolicy{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return res
}

// trustedRoot is mat's trusted root, or no trusted material at all.
func trustedRoot(mat *sigstore.Material) root.TrustedMaterial {
	if mat == nil {
		return nil
	}
	return mat.TrustedRoot
}

func TestKeyBundleNeedsTheKey(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	signer, err := sigstore.NewKeySigner(t.Context(), keyPEM(t, newECDSA(t, elliptic.P256()), false), mat)
	if err != nil {
		t.Fatal(err)
	}
	b, err := signer.SignStatement(t.Context(), statement(t, appBin))
	if err != nil {
		t.Fatal(err)
	}
	v, err := sigstore.NewVerifier(mat.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), b.JSON, "sha256", appBin.digest(), sigstore.IdentityPolicy{Issuer: "x", SAN: "y"})
	if !errors.Is(err, sigstore.ErrSignature) || !strings.Contains(err.Error(), "no public key is trusted") {
		t.Fatalf("err = %v, want ErrSignature saying no key is trusted", err)
	}
}

func TestNewKeySignerRefuses(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384 := keyPEM(t, newECDSA(t, elliptic.P384()), false)
	tests := []struct {
		name string
		pem  []byte
		want string
	}{
		{"not PEM", []byte("-----BEGIN NOTHING"), "no PEM block found"},
		{"RSA", keyPEM(t, rsaKey, false), "expected ECDSA P-256 or Ed25519"},
		{"P-384", p384, "ECDSA curve P-384: expected P-256"},
		{"encrypted", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}}), "encrypted private keys are not supported"},
		{"certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}), `PEM block "CERTIFICATE"`},
		{"garbage PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("s3cret-key-bytes")}), "does not parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sigstore.NewKeySigner(t.Context(), tc.pem, nil)
			if !errors.Is(err, sigstore.ErrKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrKey mentioning %q", err, tc.want)
			}
			block, _ := pem.Decode(tc.pem)
			if block != nil {
				mustNotContain(t, err, string(block.Bytes))
			}
			mustNotContain(t, err, "s3cret")
		})
	}
}

func TestParsePublicKey(t *testing.T) {
	t.Parallel()
	k := newEd25519(t)
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sigstore.ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	if err != nil || !k.Public().(ed25519.PublicKey).Equal(pub) {
		t.Fatalf("ParsePublicKey = %v, %v", pub, err)
	}
	if _, err := sigstore.ParsePublicKey([]byte("nope")); !errors.Is(err, sigstore.ErrKey) {
		t.Errorf("ParsePublicKey(garbage) err = %v, want ErrKey", err)
	}
}

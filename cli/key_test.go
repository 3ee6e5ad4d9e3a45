package cli

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeKeyPair writes a PKCS#8 private key and its PKIX public key as PEM files.
func writeKeyPair(t *testing.T, priv any, pub any) (privPath, pubPath string) {
	t.Helper()
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	privPath, pubPath = filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.pub")
	os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	return privPath, pubPath
}

// TestAttestWithKey signs without Fulcio (air-gapped), timestamped by the TSA of the signing
// config, and verifies with the public key; the key never reaches the output.
func TestAttestWithKey(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	keys := map[string][2]any{"ecdsa-p256": {ec, &ec.PublicKey}, "ed25519": {ed, ed.Public()}}
	for name, kp := range keys {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			priv, pub := writeKeyPair(t, kp[0], kp[1])
			dir := workspace(t)
			fulcio := ss.Requests("fulcio")
			out, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--key", priv, "dist")
			if code != 0 {
				t.Fatalf("attest --key exit %d: %s%s", code, out, errOut)
			}
			if ss.Requests("fulcio") != fulcio {
				t.Error("key-based signing asked Fulcio for a certificate")
			}
			keyPEM := mustRead(t, priv)
			body := strings.SplitN(keyPEM, "\n", 3)[1]
			if strings.Contains(out+errOut+listFiles(t, filepath.Join(dir, "attestations")), body) {
				t.Fatal("private key material reached the output")
			}
			if o, e, c := run(t, dir, nil, "verify", "--sigstore", ss.Dir, "--index", "attestations/index.json",
				"--public-key", pub, "dist/app.tar.gz"); c != 0 {
				t.Fatalf("verify --public-key exit %d: %s%s", c, o, e)
			}
			other := ec2(t)
			_, otherPub := writeKeyPair(t, other, &other.PublicKey)
			if o, _, c := run(t, dir, nil, "verify", "--sigstore", ss.Dir, "--index", "attestations/index.json",
				"--public-key", otherPub, "dist/app.tar.gz"); c == 0 {
				t.Fatalf("verify accepted another key:\n%s", o)
			}
		})
	}
}

func ec2(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

//go:build tier3

package tier3

import (
	"crypto"
	"crypto/elliptic"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ThalesGroup/crypto11"

	"github.com/signet-ci/signet/core"
)

// hsm is the SoftHSM2 token scripts/tier3.sh initialised (SOFTHSM2_CONF names its directory).
type hsm struct{ Module, Token, PIN string }

func loadHSM(t *testing.T) hsm {
	t.Helper()
	h := hsm{os.Getenv("SIGNET_TIER3_PKCS11_MODULE"), os.Getenv("SIGNET_TIER3_PKCS11_TOKEN"), os.Getenv("SIGNET_TIER3_PKCS11_PIN")}
	if h.Module == "" || h.Token == "" || h.PIN == "" || os.Getenv("SOFTHSM2_CONF") == "" {
		t.Fatal("tier-3 PKCS#11 tests need SIGNET_TIER3_PKCS11_MODULE, _TOKEN, _PIN and SOFTHSM2_CONF: run scripts/tier3.sh, which initialises a SoftHSM2 token")
	}
	return h
}

// generateOnToken makes a key pair on the token (it never leaves it) and returns its public key.
func generateOnToken(t *testing.T, h hsm, label string, c elliptic.Curve) crypto.PublicKey {
	t.Helper()
	p11, err := crypto11.Configure(&crypto11.Config{Path: h.Module, TokenLabel: h.Token, Pin: h.PIN})
	if err != nil {
		t.Fatalf("crypto11: %v", err)
	}
	defer p11.Close()
	s, err := p11.GenerateECDSAKeyPairWithLabel([]byte(label), []byte(label), c)
	if err != nil {
		t.Fatalf("generating %s on the token: %v", label, err)
	}
	return s.Public()
}

// TestPKCS11SignVerifyCosign signs with a P-256 key generated on a SoftHSM2 token through a
// pkcs11: URI (the signet binary built with -tags pkcs11), timestamped by the stack's TSA, and
// verifies with signet and cosign v3.1.3 using the public key; both reject a modified artifact.
func TestPKCS11SignVerifyCosign(t *testing.T) {
	ctx := t.Context()
	s := loadStack(t)
	h := loadHSM(t)
	tr := writeTrust(ctx, t, s)
	pub := generateOnToken(t, h, "signet-release", elliptic.P256())
	generateOnToken(t, h, "signet-p384", elliptic.P384())
	work, names := writeArtifacts(t)
	out := filepath.Join(work, "attestations")
	uri := func(object string) string {
		return "pkcs11:token=" + h.Token + ";object=" + object + "?module-path=" + h.Module
	}
	env := []string{"SOFTHSM2_CONF=" + os.Getenv("SOFTHSM2_CONF"), "SIGNET_PKCS11_PIN=" + h.PIN}

	att := run(ctx, t, work, env, s.Signet, "attest", "--sigstore", tr.Dir, "--key", uri("signet-release"), "--output-dir", out, "--format", "json", names[0], names[1])
	att.mustSucceed(t, "signet attest --key pkcs11:…")
	att.mustNotShow(t, "signet attest", h.PIN)
	prov := provenanceBundle(t, out)
	pubFile := writePublicKey(t, work, pub)
	verify := func(key string, files ...string) result {
		args := append([]string{"verify", "--sigstore", tr.Dir, "--public-key", key, "--index", filepath.Join(out, core.IndexFile)}, files...)
		return run(ctx, t, work, env, s.Signet, args...)
	}
	verify(pubFile, names...).mustSucceed(t, "signet verify --public-key release.pub")
	verify(uri("signet-release"), names...).mustSucceed(t, "signet verify --public-key pkcs11:…")
	cosignVerifyKey(ctx, t, tr, nil, pubFile, prov, filepath.Join(work, names[0])).mustSucceed(t, "cosign verify-blob-attestation --key release.pub")

	tamper(t, filepath.Join(work, names[0]))
	verify(pubFile, names...).mustFail(t, "signet verify of a modified artifact", "1 of 2 artifact(s) rejected")
	cosignVerifyKey(ctx, t, tr, nil, pubFile, prov, filepath.Join(work, names[0])).mustFail(t, "cosign verify-blob-attestation of a modified artifact",
		"provided artifact digests do not match digests in statement")

	for _, tc := range []struct {
		name, key string
		env       []string
		want      string
	}{
		{"P-384 key", uri("signet-p384"), env, "ECDSA curve P-384: expected P-256"},
		{"wrong PIN", uri("signet-release"), []string{"SOFTHSM2_CONF=" + os.Getenv("SOFTHSM2_CONF"), "SIGNET_PKCS11_PIN=99999999"}, "CKR_PIN_INCORRECT"},
		{"PIN in the URI is never shown", strings.Replace(uri("signet-release"), "?", ";id=nosuch?", 1) + "&pin-value=" + h.PIN, env, "pin-value=REDACTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(ctx, t, work, tc.env, s.Signet, "attest", "--sigstore", tr.Dir, "--key", tc.key,
				"--output-dir", filepath.Join(t.TempDir(), "out"), names[1])
			r.mustFail(t, "signet attest --key "+tc.name, tc.want)
			r.mustNotShow(t, "signet attest", h.PIN)
		})
	}
}

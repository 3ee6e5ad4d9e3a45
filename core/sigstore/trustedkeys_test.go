package sigstore_test

import (
	"crypto"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core/sigstore"
)

// window is a key's validity window in a trusted-keys document; a zero end is open.
type window struct {
	name       string
	key        crypto.PublicKey
	start, end time.Time
}

// trustedKeysJSON writes the trusted-keys document for ws.
func trustedKeysJSON(t *testing.T, ws ...window) []byte {
	t.Helper()
	type validFor struct {
		Start string `json:"start"`
		End   string `json:"end,omitempty"`
	}
	type pubKey struct {
		RawBytes   string   `json:"rawBytes"`
		KeyDetails string   `json:"keyDetails"`
		ValidFor   validFor `json:"validFor"`
	}
	type entry struct {
		Name      string `json:"name"`
		PublicKey pubKey `json:"publicKey"`
	}
	doc := struct {
		MediaType string  `json:"mediaType"`
		Keys      []entry `json:"keys"`
	}{MediaType: sigstore.TrustedKeysMediaType}
	for _, w := range ws {
		der, err := x509.MarshalPKIXPublicKey(w.key)
		if err != nil {
			t.Fatal(err)
		}
		vf := validFor{Start: w.start.UTC().Format(time.RFC3339)}
		if !w.end.IsZero() {
			vf.End = w.end.UTC().Format(time.RFC3339)
		}
		doc.Keys = append(doc.Keys, entry{Name: w.name, PublicKey: pubKey{
			RawBytes: base64.StdEncoding.EncodeToString(der), KeyDetails: "PKIX_ECDSA_P256_SHA_256", ValidFor: vf}})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKeyRotation signs with three keys at one time T (the localsigstore TSA's signed
// timestamp) and verifies each bundle against two trusted-keys documents, one per stage of a
// rotation, so that every key is seen both inside and outside its window:
//
//	stage 1 (rolling to K2): K1 [T-2h, T+1h] | K2 [T-1h, open) | K3 [T+1h, open)
//	stage 2 (K1 revoked):            —       | K2 [T-3h, T-1m] | K3 [T-2m, open)
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	k1, k2, k3 := newECDSA(t, elliptic.P256()), newECDSA(t, elliptic.P256()), newECDSA(t, elliptic.P256())
	bundles := map[string][]byte{}
	for name, k := range map[string]crypto.Signer{"K1": k1, "K2": k2, "K3": k3} {
		signer, err := sigstore.NewCryptoKeySigner(t.Context(), k, mat)
		if err != nil {
			t.Fatal(err)
		}
		b, err := signer.SignStatement(t.Context(), statement(t, appBin))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Timestamps) != 1 {
			t.Fatalf("%s: bundle has %d signed timestamps, want 1", name, len(b.Timestamps))
		}
		bundles[name] = b.JSON
	}
	T := time.Now()
	stage1 := trustedKeysJSON(t,
		window{"K1", k1.Public(), T.Add(-2 * time.Hour), T.Add(time.Hour)},
		window{"K2", k2.Public(), T.Add(-time.Hour), time.Time{}},
		window{"K3", k3.Public(), T.Add(time.Hour), time.Time{}})
	stage2 := trustedKeysJSON(t,
		window{"K2", k2.Public(), T.Add(-3 * time.Hour), T.Add(-time.Minute)},
		window{"K3", k3.Public(), T.Add(-2 * time.Minute), time.Time{}})
	tests := []struct {
		stage   string
		doc     []byte
		bundle  string
		wantErr string // "" passes
	}{
		{"stage 1", stage1, "K1", ""},
		{"stage 1", stage1, "K2", ""},
		{"stage 1", stage1, "K3", `key "K3" (ID %s) is trusted from ` + T.Add(time.Hour).UTC().Format("2006-01-02T15:04") + ``},
		{"stage 2", stage2, "K1", "which is not among the 2 trusted keys of \"rotation.json\" (a key removed from the trusted keys is no longer trusted)"},
		{"stage 2", stage2, "K2", `key "K2" (ID %s) is trusted from ` + T.Add(-3*time.Hour).UTC().Format("2006-01-02T15:04")},
		{"stage 2", stage2, "K3", ""},
	}
	for _, tc := range tests {
		t.Run(tc.stage+"/"+tc.bundle, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "rotation.json")
			if err := os.WriteFile(path, tc.doc, 0o644); err != nil {
				t.Fatal(err)
			}
			ts, err := sigstore.LoadTrustedKeys(path)
			if err != nil {
				t.Fatal(err)
			}
			ts.Source = "rotation.json"
			v, err := sigstore.NewVerifier(mat.TrustedRoot, sigstore.WithTrustedKeys(ts))
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(t.Context(), bundles[tc.bundle], "sha256", appBin.digest(), sigstore.IdentityPolicy{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.KeyHint == "" || len(res.Timestamps) != 1 {
					t.Fatalf("result hint %q, timestamps %+v", res.KeyHint, res.Timestamps)
				}
				return
			}
			want := tc.wantErr
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, hintOf(t, map[string]crypto.Signer{"K1": k1, "K2": k2, "K3": k3}[tc.bundle]))
			}
			if err == nil {
				t.Fatalf("Verify passed; want %q", want)
			}
			t.Logf("%v", err)
			if !errors.Is(err, sigstore.ErrSignature) || !strings.Contains(err.Error(), want) {
				t.Fatalf("Verify error = %v\nwant ErrSignature containing %q", err, want)
			}
			if strings.Contains(want, "is trusted from") && !strings.Contains(err.Error(), "but the bundle's signed timestamp is") {
				t.Fatalf("Verify error = %v\nwant the signing time named", err)
			}
		})
	}
}

func hintOf(t *testing.T, k crypto.Signer) string {
	t.Helper()
	h, err := sigstore.KeyHint(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestTrustedKeysNeedATime: a bundle without a signed timestamp cannot show it was signed
// inside its key's window, so a windowed key refuses it; --public-key's unwindowed key does not.
func TestTrustedKeysNeedATime(t *testing.T) {
	t.Parallel()
	k := newECDSA(t, elliptic.P256())
	signer, err := sigstore.NewCryptoKeySigner(t.Context(), k, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := signer.SignStatement(t.Context(), statement(t, appBin))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := sigstore.ParseTrustedKeys(trustedKeysJSON(t, window{"release", k.Public(), time.Now().Add(-time.Hour), time.Time{}}))
	if err != nil {
		t.Fatal(err)
	}
	v, err := sigstore.NewVerifier(nil, sigstore.WithTrustedKeys(ts))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), b.JSON, "sha256", appBin.digest(), sigstore.IdentityPolicy{})
	if !errors.Is(err, sigstore.ErrSignature) || !strings.Contains(err.Error(), `key "release"`) || !strings.Contains(err.Error(), "no signed timestamp") {
		t.Fatalf("err = %v, want a refusal naming the key and the missing timestamp", err)
	}
	verifyKey(t, nil, k.Public(), b.JSON) // the same bundle passes against the pinned key
}

// TestTrustedKeysHintIsNotTrusted: the hint a bundle carries only selects a key; a bundle
// signed by an untrusted key but carrying a trusted key's hint fails on the signature.
func TestTrustedKeysHintIsNotTrusted(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	trusted, attacker := newECDSA(t, elliptic.P256()), newECDSA(t, elliptic.P256())
	signer, err := sigstore.NewCryptoKeySigner(t.Context(), attacker, mat)
	if err != nil {
		t.Fatal(err)
	}
	b, err := signer.SignStatement(t.Context(), statement(t, appBin))
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(b.JSON), hintOf(t, attacker), hintOf(t, trusted), 1)
	if forged == string(b.JSON) {
		t.Fatal("the bundle does not carry the signer's hint")
	}
	ts, err := sigstore.ParseTrustedKeys(trustedKeysJSON(t, window{"release", trusted.Public(), time.Now().Add(-time.Hour), time.Time{}}))
	if err != nil {
		t.Fatal(err)
	}
	v, err := sigstore.NewVerifier(mat.TrustedRoot, sigstore.WithTrustedKeys(ts))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), []byte(forged), "sha256", appBin.digest(), sigstore.IdentityPolicy{}); !errors.Is(err, sigstore.ErrSignature) {
		t.Fatalf("forged hint: err = %v, want ErrSignature", err)
	}
	if _, err := v.Verify(t.Context(), b.JSON, "sha256", appBin.digest(), sigstore.IdentityPolicy{}); err == nil || !strings.Contains(err.Error(), "not among the 1 trusted keys") {
		t.Fatalf("untrusted key: err = %v", err)
	}
}

// TestNewCryptoKeySignerRefuses: a KMS or HSM key of another curve or algorithm is refused
// before anything is signed.
func TestNewCryptoKeySignerRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		want string
	}{
		{"P-384", newECDSA(t, elliptic.P384()), "ECDSA curve P-384: expected P-256"},
		{"P-521", newECDSA(t, elliptic.P521()), "ECDSA curve P-521: expected P-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sigstore.NewCryptoKeySigner(t.Context(), tc.key, nil)
			if !errors.Is(err, sigstore.ErrKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrKey %q", err, tc.want)
			}
		})
	}
}

// TestParseTrustedKeysRefuses: the trusted-keys document is strict; each way to get it wrong
// is an error naming the field.
func TestParseTrustedKeysRefuses(t *testing.T) {
	t.Parallel()
	k := newECDSA(t, elliptic.P256())
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	raw := base64.StdEncoding.EncodeToString(der)
	p384, err := x509.MarshalPKIXPublicKey(newECDSA(t, elliptic.P384()).Public())
	if err != nil {
		t.Fatal(err)
	}
	ed, err := x509.MarshalPKIXPublicKey(newEd25519(t).Public())
	if err != nil {
		t.Fatal(err)
	}
	mt := `"mediaType":"` + sigstore.TrustedKeysMediaType + `"`
	key := func(extra string) string {
		return `{` + mt + `,"keys":[{"publicKey":{"rawBytes":"` + raw + `","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2026-01-01T00:00:00Z"}}` + extra + `}]}`
	}
	tests := []struct{ name, doc, want string }{
		{"not JSON", `{`, "not a trusted-keys document"},
		{"unknown top-level field", `{` + mt + `,"keys":[],"tlogs":[]}`, `unknown field "tlogs"`},
		{"trailing data", key("") + `{}`, "trailing data"},
		{"wrong media type", `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","keys":[]}`, "mediaType"},
		{"media type case variant", `{"mediaType":"` + strings.ToUpper(sigstore.TrustedKeysMediaType) + `","keys":[]}`, "mediaType"},
		{"no keys", `{` + mt + `,"keys":[]}`, "no keys listed"},
		{"unknown key field", key(`,"revoked":true`), `unknown field "revoked"`},
		{"unknown publicKey field", `{` + mt + `,"keys":[{"publicKey":{"rawBytes":"` + raw + `","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2026-01-01T00:00:00Z"},"x":1}}]}`, "publicKey"},
		{"no publicKey", `{` + mt + `,"keys":[{"name":"a"}]}`, "publicKey is missing"},
		{"no rawBytes", `{` + mt + `,"keys":[{"publicKey":{"keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2026-01-01T00:00:00Z"}}}]}`, "rawBytes is missing"},
		{"rawBytes not DER", `{` + mt + `,"keys":[{"publicKey":{"rawBytes":"AAAA","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2026-01-01T00:00:00Z"}}}]}`, "not a DER (PKIX) public key"},
		{"P-384 key", `{` + mt + `,"keys":[{"publicKey":{"rawBytes":"` + base64.StdEncoding.EncodeToString(p384) + `","keyDetails":"PKIX_ECDSA_P384_SHA_384","validFor":{"start":"2026-01-01T00:00:00Z"}}}]}`, "expected P-256"},
		{"keyDetails lies", `{` + mt + `,"keys":[{"publicKey":{"rawBytes":"` + base64.StdEncoding.EncodeToString(ed) + `","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2026-01-01T00:00:00Z"}}}]}`, "does not match the key, which is PKIX_ED25519"},
		{"no start", `{` + mt + `,"keys":[{"publicKey":{"rawBytes":"` + raw + `","keyDetails":"PKIX_ECDSA_P256_SHA_256"}}]}`, "validFor.start is missing"},
		{"end before start", `{` + mt + `,"keys":[{"publicKey":{"rawBytes":"` + raw + `","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2026-02-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}}}]}`, "ends (2026-01-01T00:00:00Z) before it starts"},
		{"wrong keyId", key(`,"keyId":{"keyId":"AAAA"}`), `keyId "AAAA" is not the key's ID`},
		{"same key twice", `{` + mt + `,"keys":[` + strings.TrimSuffix(strings.TrimPrefix(key(`,"name":"a"`), `{`+mt+`,"keys":[`), `]}`) + `,` + strings.TrimSuffix(strings.TrimPrefix(key(`,"name":"b"`), `{`+mt+`,"keys":[`), `]}`) + `]}`, "keys[1] (b) is the same key as a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sigstore.ParseTrustedKeys([]byte(tc.doc))
			if !errors.Is(err, sigstore.ErrTrust) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrTrust containing %q", err, tc.want)
			}
		})
	}
	if _, err := sigstore.ParseTrustedKeys([]byte(key(`,"name":"ok","keyId":{"keyId":"` + hintOf(t, k) + `"}`))); err != nil {
		t.Fatalf("a well-formed document: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, []byte(strings.Repeat(" ", 1<<20+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sigstore.LoadTrustedKeys(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("a 1 MiB+1 file: %v", err)
	}
}

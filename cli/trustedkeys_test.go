package cli

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core/sigstore"
)

// writeTrustedKeys writes a trusted-keys file naming each key with its window ([start, end],
// a zero end left open).
func writeTrustedKeys(t *testing.T, keys ...struct {
	name       string
	pub        *ecdsa.PublicKey
	start, end time.Time
}) string {
	t.Helper()
	var entries []map[string]any
	for _, k := range keys {
		der, err := x509.MarshalPKIXPublicKey(k.pub)
		if err != nil {
			t.Fatal(err)
		}
		vf := map[string]string{"start": k.start.UTC().Format(time.RFC3339)}
		if !k.end.IsZero() {
			vf["end"] = k.end.UTC().Format(time.RFC3339)
		}
		entries = append(entries, map[string]any{"name": k.name, "publicKey": map[string]any{
			"rawBytes": base64.StdEncoding.EncodeToString(der), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": vf}})
	}
	b, err := json.Marshal(map[string]any{"mediaType": sigstore.TrustedKeysMediaType, "keys": entries})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "trusted_keys.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type keyWindow = struct {
	name       string
	pub        *ecdsa.PublicKey
	start, end time.Time
}

// TestVerifyTrustedKeys: verify --trusted-keys passes a bundle timestamped inside its key's
// window and refuses one outside it, or signed by a key no longer listed, naming the key.
func TestVerifyTrustedKeys(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	current, retired := ec2(t), ec2(t)
	priv, _ := writeKeyPair(t, current, &current.PublicKey)
	dir := workspace(t)
	if o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--key", priv, "dist"); c != 0 {
		t.Fatalf("attest --key exit %d: %s%s", c, o, e)
	}
	now := time.Now()
	verify := func(extra ...string) (string, int) {
		args := append([]string{"verify", "--sigstore", ss.Dir, "--index", "attestations/index.json"}, extra...)
		o, e, c := run(t, dir, nil, append(args, "dist/app.tar.gz")...)
		return o + e, c
	}
	open := writeTrustedKeys(t, keyWindow{"retired-2025", &retired.PublicKey, now.Add(-48 * time.Hour), now.Add(-24 * time.Hour)},
		keyWindow{"release-2026", &current.PublicKey, now.Add(-time.Hour), time.Time{}})
	if out, c := verify("--trusted-keys", open); c != 0 {
		t.Fatalf("verify --trusted-keys (inside the window) exit %d:\n%s", c, out)
	}
	closed := writeTrustedKeys(t, keyWindow{"release-2026", &current.PublicKey, now.Add(-time.Hour), now.Add(-time.Minute)})
	out, c := verify("--trusted-keys", closed)
	if c != 1 || !strings.Contains(out, `key "release-2026"`) || !strings.Contains(out, "it was signed after the window closed") {
		t.Fatalf("verify with a closed window: exit %d, want 1 naming the key and the window:\n%s", c, out)
	}
	removed := writeTrustedKeys(t, keyWindow{"retired-2025", &retired.PublicKey, now.Add(-48 * time.Hour), time.Time{}})
	out, c = verify("--trusted-keys", removed)
	if c != 1 || !strings.Contains(out, "not among the 1 trusted keys") {
		t.Fatalf("verify with the key removed: exit %d, want 1 saying the key is not trusted:\n%s", c, out)
	}
	_, pub := writeKeyPair(t, current, &current.PublicKey)
	if out, c := verify("--trusted-keys", open, "--public-key", pub); c != 2 || !strings.Contains(out, "give --public-key or --trusted-keys, not both") {
		t.Fatalf("both key flags: exit %d:\n%s", c, out)
	}
	if out, c := verify("--trusted-keys", open, "--certificate-identity", "x", "--certificate-oidc-issuer", "y"); c != 2 {
		t.Fatalf("--trusted-keys with identity flags: exit %d, want 2:\n%s", c, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"mediaType":"`+sigstore.TrustedKeysMediaType+`","keys":[],"extra":1}`), 0o644)
	if out, c := verify("--trusted-keys", bad); c == 0 || !strings.Contains(out, "--trusted-keys") || !strings.Contains(out, `unknown field "extra"`) {
		t.Fatalf("a malformed --trusted-keys: exit %d:\n%s", c, out)
	}
}

// TestAttestKeyReferenceLookAlikes: a --key that looks like a KMS reference but is not one is
// refused before any network call, naming --key; a file whose name starts like a scheme is
// read only when written as a path (./awskms:…).
func TestAttestKeyReferenceLookAlikes(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := workspace(t)
	k := ec2(t)
	priv, _ := writeKeyPair(t, k, &k.PublicKey)
	pemBytes, err := os.ReadFile(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "awskms:alias"), pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, want string }{
		{"AWSKMS:///alias/release", `--key: key reference: scheme "AWSKMS" must be written in lowercase`},
		{"awskms:/alias/release", "is not a valid AWS KMS reference"},
		{"awskms:alias", "for a file of that name write ./awskms:"},
		{"gcpkms:/projects/p", "is not a valid Google Cloud KMS reference"},
		{"HashiVault://k", "must be written in lowercase"},
		{"vault://release", `unknown scheme "vault:"`},
		{"file:///etc/key.pem", `unknown scheme "file:"`},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--key", tc.key, "--output-dir", t.TempDir(), "dist")
			if c == 0 || !strings.Contains(o+e, tc.want) || !strings.Contains(e, "--key") {
				t.Fatalf("attest --key %q: exit %d, want a refusal with %q:\n%s%s", tc.key, c, tc.want, o, e)
			}
		})
	}
	if o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--key", filepath.Join(dir, "awskms:alias"), "--output-dir", t.TempDir(), "dist"); c != 0 {
		t.Fatalf("attest --key /abs/awskms:alias (a file): exit %d:\n%s%s", c, o, e)
	}
}

package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/keys"
)

// TestApplyKey: the platform's key input is merged as every other setting: given, it wins over
// --key; not given, --key stays.
func TestApplyKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ flag, input, want string }{
		{flag: "", input: "/ws/keys/release.pem", want: "/ws/keys/release.pem"},
		{flag: "cosign.key", input: "awskms:///alias/release", want: "awskms:///alias/release"},
		{flag: "cosign.key", input: "", want: "cosign.key"},
		{flag: "", input: "", want: ""},
	} {
		c := attestConfig{KeyFile: tc.flag}
		from := ""
		if tc.input != "" {
			from = "input key (INPUT_KEY)"
		}
		c.apply(ci.Plan{Settings: ci.Settings{Key: tc.input, KeyFrom: from}})
		if c.KeyFile != tc.want || keyName(c) != map[bool]string{true: "--key", false: from}[from == ""] {
			t.Errorf("--key %q, input %q: KeyFile %q, want %q", tc.flag, tc.input, c.KeyFile, tc.want)
		}
	}
}

// TestPrintableRef: a printed --public-key carries a KMS or HSM reference only when it shows
// all of it; a PKCS#11 PIN is never printed, so such a run names the public key file instead.
func TestPrintableRef(t *testing.T) {
	t.Parallel()
	for given, want := range map[string]bool{
		"awskms:///alias/release": true,
		"pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so":                     true,
		"pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/pin": true,
		"pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=s3cr3tpin": false,
	} {
		ref, err := keys.Parse(given)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := printableRef(ref, given)
		if ok != want || strings.Contains(got, "s3cr3tpin") {
			t.Errorf("printableRef(%q) = %q, %v; want printable %v and no PIN", given, got, ok, want)
		}
	}
}

// TestAttestWithKeyWritesPublicKey: a run signed with a PEM key leaves the key's public half in
// the output directory, byte for byte the PKIX PEM, so the printed --public-key names a file.
func TestAttestWithKeyWritesPublicKey(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := writeKeyPair(t, k, &k.PublicKey)
	dir := workspace(t)
	if out, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--key", priv, "dist"); code != 0 {
		t.Fatalf("attest --key exit %d: %s%s", code, out, errOut)
	}
	if got, want := mustRead(t, filepath.Join(dir, "attestations", PublicKeyFile)), mustRead(t, pub); got != want {
		t.Errorf("%s:\n%s\nwant the key's public half:\n%s", PublicKeyFile, got, want)
	}
	if o, e, c := run(t, dir, nil, "verify", "--sigstore", ss.Dir, "--index", "attestations/index.json",
		"--public-key", filepath.Join("attestations", PublicKeyFile), "dist/app.tar.gz"); c != 0 {
		t.Fatalf("verify --public-key %s exit %d: %s%s", PublicKeyFile, c, o, e)
	}
}

// TestAttestWithKeyKeepsAnExistingPublicKeyFile: a file already named signing-key.pub in the
// output directory is the user's, and is refused before signing as an existing bundle would
// be (nothing written, the file unchanged); --force replaces it with the key's public half.
func TestAttestWithKeyKeepsAnExistingPublicKeyFile(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv, pub := writeKeyPair(t, k, &k.PublicKey)
	dir := workspace(t)
	existing := filepath.Join(dir, "attestations", PublicKeyFile)
	if err := os.MkdirAll(filepath.Dir(existing), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(existing, []byte("the user's own file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--key", priv, "dist")
	if code == 0 || !strings.Contains(errOut, PublicKeyFile) {
		t.Fatalf("attest --key over an existing %s: exit %d, stderr %q; want a refusal naming it", PublicKeyFile, code, errOut)
	}
	if got := mustRead(t, existing); got != "the user's own file\n" {
		t.Errorf("the existing %s was changed to %q", PublicKeyFile, got)
	}
	if _, err := os.Stat(filepath.Join(dir, "attestations", "index.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused run wrote index.json (%v)", err)
	}
	if out, errOut, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--key", priv, "--force", "dist"); code != 0 {
		t.Fatalf("attest --key --force exit %d: %s%s", code, out, errOut)
	}
	if got, want := mustRead(t, existing), mustRead(t, pub); got != want {
		t.Errorf("after --force, %s:\n%s\nwant the key's public half:\n%s", PublicKeyFile, got, want)
	}
}

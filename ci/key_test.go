package ci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// TestReaderKey reads a key input as --key parses it: KMS and HSM references as given, a file
// resolved against the workspace and required to exist; look-alikes, case variants, unknown
// schemes, key material and whitespace are refused, and no error shows a PIN or key material.
func TestReaderKey(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	for _, f := range []string{"keys/release.pem", "awskms:alias", "my-key"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(ws, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	abs := filepath.Join(ws, "keys/release.pem")
	const pin = "s3cr3tpin"
	for _, tc := range []struct{ in, want, says string }{
		{in: "", want: ""},
		{in: " keys/release.pem\n", want: abs},
		{in: abs, want: abs},
		{in: "./awskms:alias", want: filepath.Join(ws, "awskms:alias")},
		{in: "my-key", want: filepath.Join(ws, "my-key")},
		{in: "awskms:///alias/release", want: "awskms:///alias/release"},
		{in: "awskms://kms.eu-west-1.amazonaws.com/arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
			want: "awskms://kms.eu-west-1.amazonaws.com/arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		{in: "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
			want: "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1"},
		{in: "hashivault://release", want: "hashivault://release"},
		{in: "pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=" + pin,
			want: "pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=" + pin},
		{in: "keys/none.pem", says: `"keys/none.pem": there is no file "` + filepath.Join(ws, "keys/none.pem") + `"`},
		{in: "keys", says: `"keys" is not a regular file`},
		{in: "awskms:alias", says: "not a valid AWS KMS reference"},
		{in: "AWSKMS:///alias/release", says: "must be written in lowercase"},
		{in: "Pkcs11:token=t", says: "must be written in lowercase"},
		{in: "file:///etc/key.pem", says: `unknown scheme "file:"`},
		{in: "k8s://ns/secret", says: `unknown scheme "k8s:"`},
		{in: "pkcs11:token=t;object=k;pin=" + pin + "?module-path=/lib.so", says: "not supported"},
		{in: "pkcs11:token=t;object=k?module-path=lib.so&pin-value=" + pin, says: "must be absolute"},
		{in: "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n", says: "holds PEM key material (not shown)"},
		{in: "-----BEGIN PRIVATE KEY-----MIGHAgEAMBMGByqGSM49", says: "holds PEM key material (not shown)"},
		{in: "keys/release.pem other.pem", says: "holds whitespace (the value is not shown)"},
		{in: "keys/release.pem\x00", says: "control character"},
		{in: strings.Repeat("a", 5000), says: "longer than the 2048"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			r := NewReader(SyntaxOf(provenance.GitLab), lookupOf(map[string]string{"key": tc.in}))
			got := r.Key("key", ws)
			err := r.Err()
			if tc.says == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Key(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil || got != "" {
				t.Fatalf("Key(%q) = %q, accepted; want an error saying %q", tc.in, got, tc.says)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "input key (VAR_key): ") || !strings.Contains(msg, tc.says) {
				t.Errorf("Key(%q): %q; want the input named and %q", tc.in, msg, tc.says)
			}
			for _, secret := range []string{pin, "MIGHAgEA"} {
				if strings.Contains(msg, secret) {
					t.Errorf("Key(%q): the error shows %q: %s", tc.in, secret, msg)
				}
			}
		})
	}
	t.Run("no workspace leaves a relative file relative", func(t *testing.T) {
		t.Parallel()
		r := NewReader(SyntaxOf(provenance.Tekton), lookupOf(map[string]string{"key": "reader_test_missing.pem"}))
		if got := r.Key("key", ""); got != "" || r.Err() == nil || !strings.Contains(r.Err().Error(), `there is no file "reader_test_missing.pem"`) {
			t.Errorf("Key = %q, %v", got, r.Err())
		}
	})
}

// TestKeyedCommands: a key-signed run's commands name the public key, never an identity; gh,
// which checks certificates only, is not offered; no public-log warning is given, since nothing
// was certified or logged.
func TestKeyedCommands(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, sigstore, key string
		verify, cosign      string
	}{
		{name: "a key file, public-good timestamps", sigstore: "public", key: "FILE",
			verify: "signet verify --index attestations/index.json --public-key attestations/signing-key.pub a.tgz ghcr.io/o/app@sha256:" + lowerHex,
			cosign: "cosign verify-blob-attestation --bundle attestations/provenance.sigstore.json --type https://slsa.dev/provenance/v1 " +
				"--key attestations/signing-key.pub --use-signed-timestamps --insecure-ignore-tlog a.tgz"},
		{name: "a KMS key, a private Sigstore", sigstore: "DIR", key: "awskms:///alias/release",
			verify: "signet verify --sigstore sigstore --index attestations/index.json --public-key awskms:///alias/release a.tgz ghcr.io/o/app@sha256:" + lowerHex,
			cosign: "cosign verify-blob-attestation --bundle attestations/provenance.sigstore.json --type https://slsa.dev/provenance/v1 " +
				"--key awskms:///alias/release --trusted-root trusted_root.jsonl --use-signed-timestamps --insecure-ignore-tlog a.tgz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := outcome(t, tc.sigstore, false)
			o.Index.Signer = &core.Identity{Subject: "hint="} // a key's identity: its hint, no issuer
			o.NoCTLog = true
			if tc.sigstore == "DIR" {
				o.Sigstore = filepath.Join(o.Dir, "sigstore")
			}
			o.PublicKey = tc.key
			if tc.key == "FILE" {
				o.PublicKey = filepath.Join(o.OutputDir, "signing-key.pub")
			}
			o.Visibility = "private"
			if cmd, _ := o.VerifyCommand(20); cmd.String() != tc.verify {
				t.Errorf("VerifyCommand() = %q\nwant %q", cmd, tc.verify)
			}
			file, bundle, _ := o.Example()
			if got := o.CosignCommand(file, bundle).String(); got != tc.cosign {
				t.Errorf("CosignCommand() = %q\nwant %q", got, tc.cosign)
			}
			if o.GhVerifies() {
				t.Error("GhVerifies() for a key-signed run: gh checks certificates only")
			}
			if w := o.PublicLogWarning("sigstore: DIR"); w != "" {
				t.Errorf("a key-signed run got a public-log warning: %s", w)
			}
		})
	}
}

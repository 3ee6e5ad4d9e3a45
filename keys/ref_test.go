package keys_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/signet-ci/signet/keys"
)

func TestParse(t *testing.T) {
	t.Parallel()
	const uuid = "1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		ref     string
		kind    keys.Kind
		wantErr string // "" means it parses
	}{
		{"cosign.key", keys.File, ""},
		{"./awskms:alias/x", keys.File, ""},
		{"/abs/path/key.pem", keys.File, ""},
		{`C:\keys\cosign.key`, keys.File, ""},
		{"dir/awskms://x", keys.File, ""}, // a path: the scheme must lead
		{"awskms:///" + uuid, keys.AWSKMS, ""},
		{"awskms:///alias/release", keys.AWSKMS, ""},
		{"awskms://127.0.0.1:4566/alias/release", keys.AWSKMS, ""},
		{"awskms:///arn:aws:kms:us-east-2:111122223333:key/" + uuid, keys.AWSKMS, ""},
		{"gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k", keys.GCPKMS, ""},
		{"gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1", keys.GCPKMS, ""},
		{"azurekms://myvault.vault.azure.net/mykey", keys.AzureKMS, ""},
		{"hashivault://release", keys.HashiVault, ""},
		{"pkcs11:token=signet;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234", keys.PKCS11, ""},
		{"pkcs11:slot-id=0;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so", keys.PKCS11, ""},

		// Look-alikes and case variants are errors, never file names.
		{"AWSKMS:///alias/release", 0, `scheme "AWSKMS" must be written in lowercase`},
		{"AwsKms:///alias/release", 0, `scheme "AwsKms" must be written in lowercase`},
		{"PKCS11:token=a;object=b?module-path=/m.so", 0, `scheme "PKCS11" must be written in lowercase`},
		{"awskms:/alias/release", 0, "is not a valid AWS KMS reference: expected awskms://[ENDPOINT]/[ID|ALIAS|ARN]"},
		{"awskms:alias/release", 0, "for a file of that name write ./awskms:…"},
		{"awskms://", 0, "is not a valid AWS KMS reference"},
		{"awskms:///not-a-key-id", 0, "is not a valid AWS KMS reference"},
		{"awskms://host/alias", 0, "is not a valid AWS KMS reference"},
		{"gcpkms://projects/p/keyRings/r", 0, "is not a valid Google Cloud KMS reference"},
		{"gcpkms:/projects/p/locations/l/keyRings/r/cryptoKeys/k", 0, "is not a valid Google Cloud KMS reference"},
		{"azurekms:/vault/key", 0, "is not a valid Azure Key Vault reference"},
		{"hashivault:/release", 0, "is not a valid HashiCorp Vault reference"},
		{"awskms2:///alias/x", 0, `unknown scheme "awskms2:"`},
		{"file:///etc/key.pem", 0, `unknown scheme "file:"`},
		{"k8s://ns/secret", 0, `unknown scheme "k8s:"`},
		{"gitlab://project", 0, `unknown scheme "gitlab:"`},
		{"", 0, "empty"},
		{"key\n.pem", 0, "control character"},
		{"awskms:///alias/\x00x", 0, "control character"},
		{strings.Repeat("a", 5000), 0, "longer than the 2048"},

		// PKCS#11 URIs are strict.
		{"pkcs11:token=signet;object=release", 0, "names no module"},
		{"pkcs11:object=release?module-path=/m.so", 0, "names no token"},
		{"pkcs11:token=signet?module-path=/m.so", 0, "names no key"},
		{"pkcs11:token=a;slot-id=1;object=b?module-path=/m.so", 0, "both token and slot-id"},
		{"pkcs11:token=a;object=b?module-path=relative.so", 0, "must be absolute"},
		{"pkcs11:token=a;object=b;type=public?module-path=/m.so", 0, "signing needs type=private"},
		{"pkcs11:token=a;object=b;serial=1?module-path=/m.so", 0, `"serial" is not supported`},
		{"pkcs11:token=a;token=b;object=c?module-path=/m.so", 0, "given twice"},
		{"pkcs11:token=a;object=b?module-path=/m.so&module-name=x", 0, `"module-name" is not supported`},
		{"pkcs11:token=a;object=b?module-path=/m.so&pin-value=1&pin-source=/f", 0, "both pin-value and pin-source"},
		{"pkcs11:token=a;object=%zz?module-path=/m.so", 0, "bad percent-encoding"},
		{"pkcs11:token=a;slot-id=-1;object=b?module-path=/m.so", 0, "not a non-negative number"},
		{"pkcs11:token?module-path=/m.so", 0, "is not NAME=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.ref[:min(len(tt.ref), 60)], func(t *testing.T) {
			t.Parallel()
			ref, err := keys.Parse(tt.ref)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v", tt.ref, err)
				}
				if ref.Kind() != tt.kind {
					t.Fatalf("Parse(%q).Kind() = %v, want %v", tt.ref, ref.Kind(), tt.kind)
				}
				if ref.IsFile() != (tt.kind == keys.File) || (ref.Path() == tt.ref) != (tt.kind == keys.File) {
					t.Fatalf("Parse(%q): IsFile %v, Path %q", tt.ref, ref.IsFile(), ref.Path())
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error containing %q", tt.ref, ref.Kind(), tt.wantErr)
			}
			if !errors.Is(err, keys.ErrRef) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse(%q) error = %v, want keys.ErrRef containing %q", tt.ref, err, tt.wantErr)
			}
		})
	}
}

// TestPINNeverShown: a PIN in a pkcs11 URI is redacted from String and from every parse error.
func TestPINNeverShown(t *testing.T) {
	t.Parallel()
	const pin = "s3cr3t-PIN-4711"
	ref, err := keys.Parse("pkcs11:token=signet;object=release?module-path=/usr/lib/m.so&pin-value=" + pin)
	if err != nil {
		t.Fatal(err)
	}
	if got := ref.String(); strings.Contains(got, pin) || got != "pkcs11:token=signet;object=release?module-path=/usr/lib/m.so&pin-value=REDACTED" {
		t.Fatalf("String() = %q", got)
	}
	for _, bad := range []string{
		"pkcs11:token=a;object=b?pin-value=" + pin,                            // no module
		"pkcs11:token=a;object=b?module-path=/m.so&pin-value=" + pin + "&x=1", // unknown attribute after the PIN
		"pkcs11:token=a;object=b?module-path=/m.so&pin-value=" + pin + "&pin-source=/f",
		"pkcs11:token=a;object=b?module-path=/m.so&pin" + pin, // malformed PIN attribute
		"PKCS11:token=a;object=b?module-path=/m.so&pin-value=" + pin,
	} {
		_, err := keys.Parse(bad)
		if err == nil {
			t.Fatalf("Parse accepted %q", bad)
		}
		if strings.Contains(err.Error(), pin) {
			t.Fatalf("Parse error shows the PIN: %v", err)
		}
	}
}

// TestOpenFileRefused: Open is for KMS and HSM keys; a file path is read by the caller.
func TestOpenFileRefused(t *testing.T) {
	t.Parallel()
	ref, err := keys.Parse("cosign.key")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Open(t.Context(), ref); !errors.Is(err, keys.ErrRef) || !strings.Contains(err.Error(), "is a file path") {
		t.Fatalf("Open(file) error = %v", err)
	}
}

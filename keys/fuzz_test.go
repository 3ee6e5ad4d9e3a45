package keys_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/signet-ci/signet/keys"
)

// FuzzParse: any input either parses to one kind or is refused with ErrRef; a PKCS#11 PIN
// never appears in String or in an error (a file path is shown as given); only an exact lowercase scheme makes a KMS or HSM key.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"cosign.key", "awskms:///alias/x", "AWSKMS:///alias/x", "awskms:/x", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
		"azurekms://v.vault.azure.net/k", "hashivault://k", "pkcs11:token=a;object=b?module-path=/m.so&pin-value=PIN",
		"pkcs11:slot-id=0;id=%01?module-path=/m.so", "file:///x", "./awskms:x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := keys.Parse(s)
		if pin := pinValue(s); pin != "" && strings.HasPrefix(strings.ToLower(s), "pkcs11:") {
			if err != nil && strings.Contains(err.Error(), pin) {
				t.Fatalf("Parse(%q) error shows the PIN %q: %v", s, pin, err)
			}
			if err == nil && strings.Contains(ref.String(), pin) {
				t.Fatalf("Parse(%q).String() = %q shows the PIN %q", s, ref.String(), pin)
			}
		}
		if err != nil {
			if !errors.Is(err, keys.ErrRef) {
				t.Fatalf("Parse(%q) error %v is not ErrRef", s, err)
			}
			if strings.Contains(err.Error(), "pin-value=") && !strings.Contains(err.Error(), "pin-value=REDACTED") {
				t.Fatalf("Parse(%q) error shows a PIN: %v", s, err)
			}
			return
		}
		if ref.Kind() == keys.PKCS11 && strings.Contains(ref.String(), "pin-value=") && !strings.Contains(ref.String(), "pin-value=REDACTED") {
			t.Fatalf("Parse(%q).String() = %q shows a PIN", s, ref.String())
		}
		if !ref.IsFile() {
			for _, p := range []string{"awskms://", "gcpkms://", "azurekms://", "hashivault://", "pkcs11:"} {
				if strings.HasPrefix(s, p) {
					return
				}
			}
			t.Fatalf("Parse(%q) = kind %v without an exact lowercase scheme", s, ref.Kind())
		}
		if ref.Path() != s {
			t.Fatalf("Parse(%q).Path() = %q", s, ref.Path())
		}
	})
}

// pinValue is the value of a pin-value attribute in s when it is long enough to search for
// and appears nowhere else in s ("" otherwise).
func pinValue(s string) string {
	_, v, ok := strings.Cut(s, "pin-value=")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(v, "&;?"); i >= 0 {
		v = v[:i]
	}
	if len(v) < 3 || strings.Count(s, v) != 1 {
		return ""
	}
	return v
}

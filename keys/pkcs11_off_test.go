//go:build !pkcs11 || !cgo

package keys_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/signet-ci/signet/keys"
)

// TestPKCS11NotBuilt: without the pkcs11 tag (or cgo), a pkcs11: key names the build it needs
// and never shows its PIN.
func TestPKCS11NotBuilt(t *testing.T) {
	t.Parallel()
	ref, err := keys.Parse("pkcs11:token=signet;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=9911")
	if err != nil {
		t.Fatal(err)
	}
	_, err = keys.Open(t.Context(), ref)
	if !errors.Is(err, keys.ErrNotBuilt) || !strings.Contains(err.Error(), "-tags pkcs11") || strings.Contains(err.Error(), "9911") {
		t.Fatalf("Open error = %v, want ErrNotBuilt naming -tags pkcs11, without the PIN", err)
	}
}

//go:build !pkcs11 || !cgo

package keys

import "fmt"

// openPKCS11 explains that this binary has no PKCS#11 support: it needs cgo to load a module.
func openPKCS11(ref Ref, _ config) (backend, error) {
	return nil, fmt.Errorf("%w: %s %s: PKCS#11 needs a binary built with cgo and the pkcs11 build tag (CGO_ENABLED=1 go build -tags pkcs11)",
		ErrNotBuilt, ref.Service(), ref)
}

//go:build pkcs11 && cgo

package keys

import (
	"context"
	"crypto"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/ThalesGroup/crypto11"
)

// maxPINFile bounds a pin-source file.
const maxPINFile = 1024

// p11Backend is a private key on a PKCS#11 token, used through crypto11 (cgo).
type p11Backend struct {
	ctx    *crypto11.Context
	signer crypto11.Signer
	once   sync.Once
	err    error
}

func openPKCS11(ref Ref, cfg config) (backend, error) {
	u := ref.p11
	pin, err := pkcs11PIN(u, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrRef, ref.Service(), ref, err)
	}
	c := &crypto11.Config{Path: u.modulePath, Pin: pin}
	if u.token != "" {
		c.TokenLabel = u.token
	} else {
		slot := u.slot
		c.SlotNumber = &slot
	}
	p11, err := crypto11.Configure(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: opening the token: %w", ErrService, ref.Service(), ref, scrub(err, pin))
	}
	var label []byte
	if u.object != "" {
		label = []byte(u.object)
	}
	found, err := p11.FindKeyPairs(u.id, label)
	if err != nil {
		_ = p11.Close()
		return nil, fmt.Errorf("%w: %s %s: finding the key: %w", ErrService, ref.Service(), ref, scrub(err, pin))
	}
	switch len(found) {
	case 0:
		_ = p11.Close()
		return nil, fmt.Errorf("%w: %s %s: no private key with that object label/id on the token", ErrService, ref.Service(), ref)
	case 1:
	default:
		_ = p11.Close()
		return nil, fmt.Errorf("%w: %s %s: %d private keys match; name one key with object= and id=", ErrService, ref.Service(), ref, len(found))
	}
	return &p11Backend{ctx: p11, signer: found[0]}, nil
}

// pkcs11PIN is pin-value, else the first line of the pin-source file, else WithPIN's.
func pkcs11PIN(u *pkcs11URI, cfg config) (string, error) {
	switch {
	case u.pin != "":
		return u.pin, nil
	case u.pinSource != "":
		f, err := os.Open(u.pinSource)
		if err != nil {
			return "", fmt.Errorf("reading pin-source %q: %w", u.pinSource, err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxPINFile+1))
		if err != nil {
			return "", fmt.Errorf("reading pin-source %q: %w", u.pinSource, err)
		}
		if len(b) > maxPINFile {
			return "", fmt.Errorf("pin-source %q is larger than %d bytes", u.pinSource, maxPINFile)
		}
		pin, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimSuffix(pin, "\r"), nil
	case cfg.pin != "":
		return cfg.pin, nil
	}
	return "", fmt.Errorf("no PIN: add pin-source=FILE to the URI or set the PIN in the environment (signet reads SIGNET_PKCS11_PIN)")
}

// scrub removes the PIN from a module's error text, should a module ever echo it.
func scrub(err error, pin string) error {
	if pin == "" || !strings.Contains(err.Error(), pin) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), pin, "REDACTED"))
}

func (p *p11Backend) public(ctx context.Context) (crypto.PublicKey, error) {
	return p.signer.Public(), nil
}

// sign runs the module's C_Sign in a goroutine so that the caller's deadline bounds a token
// that does not answer.
func (p *p11Backend) sign(ctx context.Context, digest []byte, h crypto.Hash) ([]byte, error) {
	type answer struct {
		sig []byte
		err error
	}
	done := make(chan answer, 1)
	go func() {
		sig, err := p.signer.Sign(rand.Reader, digest, h)
		done <- answer{sig, err}
	}()
	select {
	case a := <-done:
		return a.sig, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *p11Backend) close() error {
	p.once.Do(func() { p.err = p.ctx.Close() })
	return p.err
}

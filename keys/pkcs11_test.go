//go:build pkcs11 && cgo

package keys_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"

	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/keys"
	"github.com/signet-ci/signet/localsigstore"
)

// softHSM modules, Debian's path first.
var softHSMModules = []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib64/pkcs11/libsofthsm2.so"}

const (
	tokenLabel = "signet-test"
	userPIN    = "71829364"
)

// softHSM initialises a fresh SoftHSM2 token in a temporary directory (SOFTHSM2_CONF is read
// by the module, so the test cannot run in parallel) and returns the module's path. It fails,
// never skips, when SoftHSM2 is not installed.
func softHSM(t *testing.T) string {
	t.Helper()
	var module string
	for _, m := range softHSMModules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	util, err := exec.LookPath("softhsm2-util")
	if module == "" || err != nil {
		t.Fatalf("SoftHSM2 is not installed (module %v, softhsm2-util: %v): apt-get install -y softhsm2 (scripts/test.sh does)", softHSMModules, err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(dir, "tokens")+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.CommandContext(t.Context(), util, "--init-token", "--free", "--label", tokenLabel, "--pin", userPIN, "--so-pin", "1029384756").CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return module
}

// generate makes a key pair on the token with label on curve c and returns its public key.
func generate(t *testing.T, module, label string, c elliptic.Curve) crypto.PublicKey {
	t.Helper()
	p11, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: tokenLabel, Pin: userPIN})
	if err != nil {
		t.Fatalf("crypto11: %v", err)
	}
	defer p11.Close()
	s, err := p11.GenerateECDSAKeyPairWithLabel([]byte(label+"-id"), []byte(label), c)
	if err != nil {
		t.Fatalf("generating %s: %v", label, err)
	}
	return s.Public()
}

// TestPKCS11 signs with a P-256 key that stays on a SoftHSM2 token, through a pkcs11: URI, into
// a bundle timestamped by localsigstore's TSA, and verifies it with the public key.
func TestPKCS11(t *testing.T) {
	module := softHSM(t)
	pub := generate(t, module, "release", elliptic.P256())
	generate(t, module, "p384", elliptic.P384())
	generate(t, module, "twin", elliptic.P256())
	generate(t, module, "twin", elliptic.P256())
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(userPIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	uri := func(object, query string) string {
		return "pkcs11:token=" + tokenLabel + ";object=" + object + "?module-path=" + module + query
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	t.Run("sign and verify", func(t *testing.T) {
		for _, q := range []string{"&pin-value=" + userPIN, "&pin-source=file:" + pinFile, ""} {
			ref, err := keys.Parse(uri("release", q))
			if err != nil {
				t.Fatal(err)
			}
			s, err := keys.Open(ctx, ref, keys.WithPIN(userPIN))
			if err != nil {
				t.Fatalf("Open(%s): %v", ref, err)
			}
			digest := sha256.Sum256([]byte("signet"))
			sig, err := s.Sign(nil, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], sig) || !s.Public().(*ecdsa.PublicKey).Equal(pub) {
				t.Fatalf("the token's signature does not verify with its public key")
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("bundle", func(t *testing.T) {
		ls, err := localsigstore.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer ls.Close()
		mat, err := sigstore.ParseMaterial(ls.TrustedRoot(), ls.SigningConfig())
		if err != nil {
			t.Fatal(err)
		}
		ref, err := keys.Parse(uri("release", "&pin-source="+pinFile))
		if err != nil {
			t.Fatal(err)
		}
		s, err := keys.Open(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		signer, err := sigstore.NewCryptoKeySigner(ctx, s, mat)
		if err != nil {
			t.Fatal(err)
		}
		stmt := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"` +
			strings.Repeat("ab", 32) + `"}}],"predicateType":"https://example.com/p","predicate":{}}`)
		b, err := signer.SignStatement(ctx, stmt)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Timestamps) != 1 {
			t.Fatalf("bundle has %d timestamps, want 1 from the TSA", len(b.Timestamps))
		}
		v, err := sigstore.NewVerifier(mat.TrustedRoot, sigstore.WithPublicKey(pub))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(ctx, b.JSON, "sha256", strings.Repeat("ab", 32), sigstore.IdentityPolicy{}); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name, ref string
			opts      []keys.Option
			want      string
		}{
			{"wrong PIN", uri("release", "&pin-value=00000000"), nil, "opening the token"},
			{"no PIN", uri("release", ""), nil, "no PIN"},
			{"missing key", uri("nosuchkey", "&pin-value="+userPIN), nil, "no private key with that object label/id"},
			{"two keys match", uri("twin", "&pin-value="+userPIN), nil, "2 private keys match"},
			{"missing token", strings.Replace(uri("release", "&pin-value="+userPIN), tokenLabel, "other-token", 1), nil, "opening the token"},
			{"missing module", "pkcs11:token=" + tokenLabel + ";object=release?module-path=/nonexistent/libp11.so&pin-value=" + userPIN, nil, "opening the token"},
			{"missing pin-source", uri("release", "&pin-source=/nonexistent/pin"), nil, "reading pin-source"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ref, err := keys.Parse(tc.ref)
				if err != nil {
					t.Fatal(err)
				}
				s, err := keys.Open(ctx, ref, tc.opts...)
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				t.Logf("%v", err)
				if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), userPIN) {
					t.Fatalf("error %q: want %q, and never the PIN", err, tc.want)
				}
			})
		}
	})

	t.Run("wrong curve", func(t *testing.T) {
		ref, err := keys.Parse(uri("p384", "&pin-value="+userPIN))
		if err != nil {
			t.Fatal(err)
		}
		s, err := keys.Open(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := sigstore.NewCryptoKeySigner(ctx, s, nil); !errors.Is(err, sigstore.ErrKey) || !strings.Contains(err.Error(), "P-384: expected P-256") {
			t.Fatalf("P-384 key: err = %v", err)
		}
	})
}

package sigstore_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/signet-ci/signet/core/sigstore"
)

// FuzzParseTrustedKeys: a document either fails with ErrTrust or yields keys that each have a
// start, an end after it (or none), a name and the ID of their own key.
func FuzzParseTrustedKeys(f *testing.F) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"mediaType":"` + sigstore.TrustedKeysMediaType + `","keys":[{"name":"a","publicKey":{"rawBytes":"` +
		base64.StdEncoding.EncodeToString(der) + `","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z"}}}]}`))
	f.Add([]byte(`{"mediaType":"` + sigstore.TrustedKeysMediaType + `","keys":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := sigstore.ParseTrustedKeys(b)
		if err != nil {
			if !errors.Is(err, sigstore.ErrTrust) {
				t.Fatalf("error %v is not ErrTrust", err)
			}
			return
		}
		if len(ts.Keys) == 0 {
			t.Fatal("parsed a document with no keys")
		}
		for _, k := range ts.Keys {
			id, err := sigstore.KeyHint(k.Key)
			if err != nil || id != k.ID || k.Name == "" || k.Start.IsZero() || (!k.End.IsZero() && !k.End.After(k.Start)) {
				t.Fatalf("key %+v: id %q (err %v)", k, id, err)
			}
		}
	})
}

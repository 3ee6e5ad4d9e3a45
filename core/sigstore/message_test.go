package sigstore_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/signet-ci/signet/core/sigstore"
)

// TestVerifyMessage verifies message-signature bundles (cosign sign-blob's kind): the
// artifact, its bytes or its digest, is checked by sigstore-go against the signature, never
// taken from the bundle, and the signer answers to the same identity policy as attestations.
func TestVerifyMessage(t *testing.T) {
	t.Parallel()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	artifact, other := []byte("release artifact"), []byte("another artifact")
	sum, otherSum := sha256.Sum256(artifact), sha256.Sum256(other)
	hexOf := func(b [32]byte) string { return hex.EncodeToString(b[:]) }
	key := newECDSA(t, elliptic.P256()).(*ecdsa.PrivateKey)
	tests := []struct {
		name    string
		bundle  vsBundle
		opts    []sigstore.VerifyOption
		reader  []byte            // the artifact's bytes; nil: digests only
		digests map[string]string // nil: sha256 of artifact
		want    error
		wantMsg string
	}{
		{name: "artifact bytes", bundle: vsBundle{tsa: true, message: artifact}, reader: artifact},
		{name: "artifact digest", bundle: vsBundle{tsa: true, message: artifact}},
		{name: "uppercase digest", bundle: vsBundle{tsa: true, message: artifact}, digests: map[string]string{"sha256": strings.ToUpper(hexOf(sum))}},
		{name: "bundle v0.1 spelling without a log entry", bundle: vsBundle{tsa: true, message: artifact, mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1"},
			want: sigstore.ErrBundle, wantMsg: "v0.1 must carry a transparency-log entry"},
		{name: "bundle v0.2", bundle: vsBundle{tsa: true, message: artifact, mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.2"}},
		{name: "another artifact's bytes", bundle: vsBundle{tsa: true, message: artifact}, reader: other, want: sigstore.ErrSignature},
		{name: "another artifact's digest", bundle: vsBundle{tsa: true, message: artifact}, digests: map[string]string{"sha256": hexOf(otherSum)},
			want: sigstore.ErrDigest, wantMsg: "the bundle signs sha256:" + hexOf(sum)},
		{name: "stated digest is the artifact's, signature is another's", bundle: vsBundle{tsa: true, message: other, statedDigest: sum[:]},
			reader: artifact, want: sigstore.ErrSignature},
		{name: "stated digest is the artifact's, signature is another's, by digest", bundle: vsBundle{tsa: true, message: other, statedDigest: sum[:]},
			want: sigstore.ErrSignature},
		{name: "stated digest is another's", bundle: vsBundle{tsa: true, message: artifact, statedDigest: otherSum[:]}, reader: artifact, want: sigstore.ErrDigest},
		{name: "only a sha512 digest", bundle: vsBundle{tsa: true, message: artifact},
			digests: map[string]string{"sha512": hex.EncodeToString(sha512Of(artifact))}, want: sigstore.ErrDigest, wantMsg: "give the artifact itself or its sha256 digest"},
		{name: "digest not hex", bundle: vsBundle{tsa: true, message: artifact}, digests: map[string]string{"sha256": "xyz"}, want: sigstore.ErrDigest},
		{name: "no trusted time", bundle: vsBundle{message: artifact}, want: sigstore.ErrTimestamp},
		{name: "certificate from another CA", bundle: vsBundle{tsa: true, message: artifact, certFrom: foreign}, want: sigstore.ErrCertificate},
		{name: "log required, none", bundle: vsBundle{tsa: true, message: artifact}, opts: []sigstore.VerifyOption{sigstore.WithRequireTlog()}, want: sigstore.ErrTlog},
		{name: "key-signed, no key trusted", bundle: vsBundle{tsa: true, message: artifact, key: key}, want: sigstore.ErrSignature, wantMsg: "no public key is trusted"},
		{name: "key-signed, key trusted", bundle: vsBundle{tsa: true, message: artifact, key: key}, opts: []sigstore.VerifyOption{sigstore.WithPublicKey(key.Public())}, reader: artifact},
		{name: "key-signed, another key trusted", bundle: vsBundle{tsa: true, message: artifact, key: key},
			opts: []sigstore.VerifyOption{sigstore.WithPublicKey(newECDSA(t, elliptic.P256()).Public())}, reader: artifact, want: sigstore.ErrSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := sigstore.NewVerifier(noCTLogs{vs}, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			js := tc.bundle.build(t, vs, nil)
			var r io.Reader
			if tc.reader != nil {
				r = bytes.NewReader(tc.reader)
			}
			digests := tc.digests
			if digests == nil {
				digests = map[string]string{"sha256": hexOf(sum)}
			}
			res, err := v.VerifyMessage(t.Context(), js, r, digests)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || !strings.Contains(errString(err), tc.wantMsg) {
					t.Fatalf("err = %v, want %v containing %q", err, tc.want, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.MessageDigest == nil || res.MessageDigest.String() != "sha256:"+hexOf(sum) || res.Statement != nil || len(res.Subjects) != 0 {
				t.Errorf("result: digest %v, statement %q, subjects %v", res.MessageDigest, res.Statement, res.Subjects)
			}
			if tc.bundle.key == nil && res.Certificate == nil || tc.bundle.key != nil && res.Certificate != nil {
				t.Errorf("certificate %v for a bundle signed with key %v", res.Certificate, tc.bundle.key != nil)
			}
		})
	}
}

// TestVerifyMessageKinds keeps the two kinds apart: a message signature has no statement to
// return, and Verify applies the digest and identity policy to it as to an attestation.
func TestVerifyMessageKinds(t *testing.T) {
	t.Parallel()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	v, err := sigstore.NewVerifier(noCTLogs{vs})
	if err != nil {
		t.Fatal(err)
	}
	artifact := []byte("release artifact")
	sum := sha256.Sum256(artifact)
	msg := vsBundle{tsa: true, message: artifact}.build(t, vs, nil)
	att := vsBundle{tsa: true}.build(t, vs, statement(t, appBin))
	if _, err := v.VerifyStatement(t.Context(), msg); !errors.Is(err, sigstore.ErrMessageSignature) {
		t.Errorf("VerifyStatement(message signature) = %v, want ErrMessageSignature", err)
	}
	if _, err := v.VerifyMessage(t.Context(), att, bytes.NewReader(artifact), nil); !errors.Is(err, sigstore.ErrBundle) {
		t.Errorf("VerifyMessage(attestation) = %v, want ErrBundle", err)
	}
	if _, err := v.Verify(t.Context(), msg, "sha256", hex.EncodeToString(sum[:]), vsPolicy()); err != nil {
		t.Errorf("Verify(message signature, its digest): %v", err)
	}
	wrong := vsPolicy()
	wrong.SAN = "attacker@signet.example"
	if _, err := v.Verify(t.Context(), msg, "sha256", hex.EncodeToString(sum[:]), wrong); !errors.Is(err, sigstore.ErrIdentity) {
		t.Errorf("Verify(message signature, wrong SAN) = %v, want ErrIdentity", err)
	}
	other := sha256.Sum256([]byte("other"))
	if _, err := v.Verify(t.Context(), msg, "sha256", hex.EncodeToString(other[:]), vsPolicy()); !errors.Is(err, sigstore.ErrDigest) {
		t.Errorf("Verify(message signature, another digest) = %v, want ErrDigest", err)
	}
}

// TestVerifyRequiresSCT refuses a certificate without a verified SCT when the trusted root
// lists certificate-transparency logs, as the public-good root does.
func TestVerifyRequiresSCT(t *testing.T) {
	t.Parallel()
	vs, err := ca.NewVirtualSigstore() // lists a CT log; its certificates carry no SCT
	if err != nil {
		t.Fatal(err)
	}
	v, err := sigstore.NewVerifier(vs)
	if err != nil {
		t.Fatal(err)
	}
	for name, js := range map[string][]byte{
		"attestation":       vsBundle{tsa: true}.build(t, vs, statement(t, appBin)),
		"message signature": vsBundle{tsa: true, message: []byte("x")}.build(t, vs, nil),
	} {
		sum := sha256.Sum256([]byte("x"))
		if _, err := v.VerifyStatement(t.Context(), js); name == "attestation" && (!errors.Is(err, sigstore.ErrCertificate) || !strings.Contains(err.Error(), "SCT")) {
			t.Errorf("%s: err = %v, want ErrCertificate naming the SCT", name, err)
		}
		if _, err := v.VerifyMessage(t.Context(), js, nil, map[string]string{"sha256": hex.EncodeToString(sum[:])}); name == "message signature" && (!errors.Is(err, sigstore.ErrCertificate) || !strings.Contains(err.Error(), "SCT")) {
			t.Errorf("%s: err = %v, want ErrCertificate naming the SCT", name, err)
		}
	}
}

func sha512Of(b []byte) []byte {
	s := sha512.Sum512(b)
	return s[:]
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

package sigstore

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/signet-ci/signet/core"
)

// KeySigner signs with a long-lived private key instead of a Fulcio certificate. Bundles
// carry a public-key hint, are timestamped when the signing configuration lists a timestamp
// authority, and are never sent to a transparency log. It is safe for concurrent use.
type KeySigner struct {
	session
	kp *keyPair
}

var (
	_ core.Signer     = (*KeySigner)(nil)
	_ core.Identifier = (*KeySigner)(nil)
)

// NewKeySigner parses a PEM private key (ECDSA P-256 or Ed25519; PKCS#8, or SEC1 for ECDSA).
// mat may be nil: bundles then carry no timestamp.
func NewKeySigner(ctx context.Context, keyPEM []byte, mat *Material, opts ...SignerOption) (*KeySigner, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kp, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	return newKeySigner(ctx, kp, mat, opts)
}

// NewCryptoKeySigner signs with priv, a private key that may live outside the process (a KMS
// or HSM key, see package keys): its public key must be ECDSA P-256 or Ed25519. When priv has
// a method SignContext(ctx, digest, opts) ([]byte, error), each signature is made under the
// signing call's context. mat may be nil: bundles then carry no timestamp.
func NewCryptoKeySigner(ctx context.Context, priv crypto.Signer, mat *Material, opts ...SignerOption) (*KeySigner, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kp, err := newKeyPair(priv)
	if err != nil {
		return nil, err
	}
	return newKeySigner(ctx, kp, mat, opts)
}

func newKeySigner(_ context.Context, kp *keyPair, mat *Material, opts []SignerOption) (*KeySigner, error) {
	cfg, err := newSignerConfig(opts)
	if err != nil {
		return nil, err
	}
	s := &KeySigner{kp: kp}
	s.session = session{keypair: kp, net: cfg.net, rec: cfg.rec}
	var trusted root.TrustedMaterial
	if mat != nil {
		if s.tsas, err = selectTSAs(mat.SigningConfig, cfg.now()); err != nil {
			return nil, err
		}
		if mat.TrustedRoot != nil {
			trusted = mat.TrustedRoot
		}
	}
	if s.verifier, err = NewVerifier(trusted, WithPublicKey(kp.priv.Public())); err != nil {
		return nil, err
	}
	return s, nil
}

// SignStatement signs one in-toto statement into a Sigstore bundle v0.3.
func (s *KeySigner) SignStatement(ctx context.Context, statement []byte) (*core.Bundle, error) {
	return s.sign(ctx, statement)
}

// Identity names the key by its hint (base64 SHA-256 of the DER public key).
func (s *KeySigner) Identity() core.Identity { return core.Identity{Subject: string(s.kp.hint)} }

// PublicKey returns the signer's public key.
func (s *KeySigner) PublicKey() crypto.PublicKey { return s.kp.priv.Public() }

// ParsePublicKey parses a PEM public key (PKIX) for WithPublicKey.
func ParsePublicKey(pemBytes []byte) (crypto.PublicKey, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: not a PEM public key: %w", ErrKey, err)
	}
	if _, err := keyDetails(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// contextSigner is a crypto.Signer whose signing call takes a context (a KMS or HSM key).
type contextSigner interface {
	SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

// keyPair is a sign.Keypair over a long-lived private key.
type keyPair struct {
	priv    crypto.Signer
	details signature.AlgorithmDetails
	hint    []byte
}

var _ sign.Keypair = (*keyPair)(nil)

func parsePrivateKey(b []byte) (*keyPair, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found (expected an ECDSA P-256 or Ed25519 private key)", ErrKey)
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY", "ENCRYPTED SIGSTORE PRIVATE KEY":
		return nil, fmt.Errorf("%w: encrypted private keys are not supported: decrypt it to PKCS#8 first", ErrKey)
	default:
		return nil, fmt.Errorf("%w: PEM block %q: expected \"PRIVATE KEY\" (PKCS#8) or \"EC PRIVATE KEY\" (SEC1)", ErrKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: PEM block %q does not parse as a private key", ErrKey, block.Type)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: unsupported private key type %T", ErrKey, key)
	}
	return newKeyPair(signer)
}

// newKeyPair checks signer's public key (ECDSA P-256 or Ed25519) and computes its hint.
func newKeyPair(signer crypto.Signer) (*keyPair, error) {
	details, err := keyDetails(signer.Public())
	if err != nil {
		return nil, err
	}
	hint, err := KeyHint(signer.Public())
	if err != nil {
		return nil, err
	}
	return &keyPair{priv: signer, details: details, hint: []byte(hint)}, nil
}

// KeyHint is the public-key hint signet writes in key-signed bundles: the standard base64 of
// the SHA-256 of the key's DER (PKIX) encoding, as a trusted root's log keyId is written.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: encoding the public key: %w", ErrKey, err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// keyDetails accepts ECDSA P-256 and Ed25519 keys.
func keyDetails(pub crypto.PublicKey) (signature.AlgorithmDetails, error) {
	var alg protocommon.PublicKeyDetails
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return signature.AlgorithmDetails{}, fmt.Errorf("%w: ECDSA curve %s: expected P-256", ErrKey, k.Curve.Params().Name)
		}
		alg = protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
	case ed25519.PublicKey:
		alg = protocommon.PublicKeyDetails_PKIX_ED25519
	default:
		return signature.AlgorithmDetails{}, fmt.Errorf("%w: key type %T: expected ECDSA P-256 or Ed25519", ErrKey, pub)
	}
	return signature.GetAlgorithmDetails(alg)
}

// GetHashAlgorithm returns the digest algorithm of the signature.
func (k *keyPair) GetHashAlgorithm() protocommon.HashAlgorithm { return k.details.GetProtoHashType() }

// GetSigningAlgorithm returns the signature algorithm.
func (k *keyPair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return k.details.GetSignatureAlgorithm()
}

// GetHint returns the public-key hint written in bundles.
func (k *keyPair) GetHint() []byte { return k.hint }

// GetKeyAlgorithm returns the key family.
func (k *keyPair) GetKeyAlgorithm() string {
	if k.details.GetKeyType() == signature.ED25519 {
		return "ED25519"
	}
	return "ECDSA"
}

// GetPublicKey returns the public key.
func (k *keyPair) GetPublicKey() crypto.PublicKey { return k.priv.Public() }

// GetPublicKeyPem returns the PEM public key.
func (k *keyPair) GetPublicKeyPem() (string, error) {
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.priv.Public())
	return string(b), err
}

// SignData signs data (hashed first for ECDSA; Ed25519 signs the message itself).
func (k *keyPair) SignData(ctx context.Context, data []byte) ([]byte, []byte, error) {
	hf := k.details.GetHashType()
	msg := data
	if hf != crypto.Hash(0) {
		h := hf.New()
		h.Write(data)
		msg = h.Sum(nil)
	}
	var sig []byte
	var err error
	if cs, ok := k.priv.(contextSigner); ok {
		sig, err = cs.SignContext(ctx, msg, hf)
	} else {
		sig, err = k.priv.Sign(rand.Reader, msg, hf)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: signing: %w", ErrKey, err)
	}
	return sig, msg, nil
}

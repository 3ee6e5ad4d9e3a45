package sigstore

import (
	"bytes"
	"context"
	"crypto"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/signet-ci/signet/core"
)

// Verifier checks bundles offline against trusted material. It is safe for concurrent use.
type Verifier struct {
	trusted     root.TrustedMaterial // nil when only a public key is trusted
	key         crypto.PublicKey
	keys        *TrustedKeys // WithTrustedKeys; excludes key
	requireTlog bool
	all         root.TrustedMaterial // trusted and key, built once
}

// VerifyOption configures NewVerifier.
type VerifyOption func(*Verifier) error

// WithRequireTlog refuses bundles without a verified transparency-log entry.
func WithRequireTlog() VerifyOption {
	return func(v *Verifier) error {
		v.requireTlog = true
		return nil
	}
}

// WithPublicKey trusts pub (ECDSA P-256 or Ed25519) for key-signed bundles.
func WithPublicKey(pub crypto.PublicKey) VerifyOption {
	return func(v *Verifier) error {
		if _, err := keyDetails(pub); err != nil {
			return err
		}
		v.key = pub
		return nil
	}
}

// NewVerifier verifies certificate-signed bundles against trusted (a *root.TrustedRoot, or
// any sigstore-go trusted material) and key-signed bundles against WithPublicKey's key.
// trusted may be nil when a public key is given.
func NewVerifier(trusted root.TrustedMaterial, opts ...VerifyOption) (*Verifier, error) {
	if tr, ok := trusted.(*root.TrustedRoot); ok && tr == nil {
		trusted = nil
	}
	v := &Verifier{trusted: trusted}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, fmt.Errorf("verifier option: %w", err)
		}
	}
	if v.key != nil && v.keys != nil {
		return nil, fmt.Errorf("%w: give a public key or trusted keys, not both", ErrTrust)
	}
	if v.trusted == nil && v.key == nil && v.keys == nil {
		return nil, fmt.Errorf("%w: a trusted root or a public key is required to verify", ErrTrust)
	}
	var err error
	if v.all, err = v.material(); err != nil {
		return nil, err
	}
	return v, nil
}

// material is what sigstore-go checks a bundle against: the trusted root and the key.
func (v *Verifier) material() (root.TrustedMaterial, error) {
	var tm root.TrustedMaterialCollection
	if v.trusted != nil {
		tm = append(tm, v.trusted)
	}
	if v.key != nil {
		sv, err := signature.LoadVerifier(v.key, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%w: loading the public key: %w", ErrKey, err)
		}
		k := root.NewExpiringKey(sv, time.Time{}, time.Time{})
		tm = append(tm, root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return k, nil }))
	}
	if v.keys != nil {
		km, err := keysMaterial(v.keys)
		if err != nil {
			return nil, err
		}
		tm = append(tm, km)
	}
	return tm, nil
}

// IdentityPolicy is who must have signed a certificate-signed bundle: an OIDC issuer and a
// certificate SAN, each exact or a regular expression (unanchored, as in cosign: anchor it
// with ^…$), plus Fulcio extension values that must match exactly (empty fields are ignored).
type IdentityPolicy struct {
	Issuer       string
	IssuerRegexp string
	SAN          string
	SANRegexp    string
	Extensions   certificate.Extensions
}

func (p IdentityPolicy) identity() (verify.CertificateIdentity, error) {
	if p.Issuer == "" && p.IssuerRegexp == "" {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: policy names no OIDC issuer (exact or regexp)", ErrIdentity)
	}
	if p.SAN == "" && p.SANRegexp == "" {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: policy names no certificate SAN (exact or regexp)", ErrIdentity)
	}
	san, err := verify.NewSANMatcher(p.SAN, p.SANRegexp)
	if err != nil {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: SAN regexp %q: %w", ErrIdentity, p.SANRegexp, err)
	}
	iss, err := verify.NewIssuerMatcher(p.Issuer, p.IssuerRegexp)
	if err != nil {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: issuer regexp %q: %w", ErrIdentity, p.IssuerRegexp, err)
	}
	id, err := verify.NewCertificateIdentity(san, iss, p.Extensions)
	if err != nil {
		return verify.CertificateIdentity{}, fmt.Errorf("%w: %w", ErrIdentity, err)
	}
	return id, nil
}

// Verify checks bundleJSON: its transparency-log entries and signed timestamps, the
// certificate chain at the signing time (or the trusted key), the signature, that the
// artifact digest (algorithm and hex, e.g. "sha256", "ab12…") is one of the statement's
// subjects or, for a message signature, the digest the signature covers, and, for
// certificate-signed bundles, that the signer matches policy. At least one signed timestamp
// or log integrated time is always required for certificates.
func (v *Verifier) Verify(ctx context.Context, bundleJSON []byte, digestAlg, digestHex string, policy IdentityPolicy) (*Result, error) {
	if digestAlg == "" || digestHex == "" {
		return nil, fmt.Errorf("%w: an artifact digest (algorithm and hex) is required", ErrDigest)
	}
	b, err := ParseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	var res *Result
	if b.GetMessageSignature() != nil {
		res, err = v.verifyMessage(ctx, b, nil, map[string]string{strings.ToLower(digestAlg): digestHex})
	} else if res, err = v.verifyStatement(ctx, b); err == nil {
		err = res.checkDigest(digestAlg, digestHex)
	}
	if err != nil {
		return nil, err
	}
	if res.Certificate == nil {
		return res, nil // key-signed: the trusted key is the identity
	}
	id, err := policy.identity()
	if err != nil {
		return nil, err
	}
	if err := id.Verify(*res.Certificate); err != nil {
		return nil, fmt.Errorf("%w: certificate (SAN %q, issuer %q) does not match the policy: %w",
			ErrIdentity, res.Certificate.SubjectAlternativeName, res.Certificate.Issuer, err)
	}
	return res, nil
}

// VerifyStatement runs every cryptographic check of Verify on bundleJSON once — log entries,
// signed timestamps, the certificate chain at the signing time (or the trusted key) and the
// DSSE signature — and returns the statement the signature covers. It checks neither an
// artifact digest nor an identity: the caller must match every artifact against
// Result.Subjects (parsed from the verified DSSE payload, never from an unverified copy) and
// apply its identity policy to Result.Certificate. It lets one bundle that signs many
// subjects be verified once for all of them.
func (v *Verifier) VerifyStatement(ctx context.Context, bundleJSON []byte) (*Result, error) {
	b, err := ParseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	if b.GetMessageSignature() != nil {
		return nil, fmt.Errorf("%w: it signs one artifact's digest and holds no statement", ErrMessageSignature)
	}
	return v.verifyStatement(ctx, b)
}

func (v *Verifier) verifyStatement(ctx context.Context, b *bundle.Bundle) (*Result, error) {
	vr, err := v.verifyEntity(ctx, b, verify.WithoutArtifactUnsafe())
	if err != nil {
		return nil, err
	}
	return v.result(b, vr)
}

// VerifyMessage verifies a message-signature bundle (what cosign sign-blob, sigstore-python
// and sigstore-js write: a signature over one artifact's digest, no statement) for one
// artifact, with every cryptographic check of VerifyStatement. sigstore-go checks the
// signature against the artifact itself: its bytes when artifact is not nil (hashed with the
// bundle's digest algorithm; Ed25519 signatures need them), else its digest in digests
// (algorithm → hex, e.g. "sha256") for the bundle's algorithm. The digest the bundle states
// is never trusted on its own. It checks no identity: apply the policy to
// Result.Certificate. Result.MessageDigest is the verified digest; Result has no statement.
func (v *Verifier) VerifyMessage(ctx context.Context, bundleJSON []byte, artifact io.Reader, digests map[string]string) (*Result, error) {
	b, err := ParseBundle(bundleJSON)
	if err != nil {
		return nil, err
	}
	if b.GetMessageSignature() == nil {
		return nil, fmt.Errorf("%w: it is a DSSE attestation, not a message signature", ErrBundle)
	}
	return v.verifyMessage(ctx, b, artifact, digests)
}

func (v *Verifier) verifyMessage(ctx context.Context, b *bundle.Bundle, artifact io.Reader, digests map[string]string) (*Result, error) {
	md := b.GetMessageSignature().GetMessageDigest()
	alg, ok := digestAlgorithms[md.GetAlgorithm()]
	if !ok {
		return nil, fmt.Errorf("%w: message digest algorithm %s is not supported (sha256, sha384 or sha512)", ErrBundle, md.GetAlgorithm())
	}
	signed := Digest{Algorithm: alg, Hex: hex.EncodeToString(md.GetDigest())}
	var opt verify.ArtifactPolicyOption
	if artifact != nil {
		opt = verify.WithArtifact(artifact)
	} else {
		h := digests[alg]
		if h == "" {
			return nil, fmt.Errorf("%w: the bundle signs a %s digest; give the artifact itself or its %s digest", ErrDigest, alg, alg)
		}
		raw, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("%w: %s digest %q is not hex", ErrDigest, alg, h)
		}
		if !bytes.Equal(raw, md.GetDigest()) {
			return nil, fmt.Errorf("%w: the bundle signs %s, not the artifact's %s:%s", ErrDigest, signed, alg, strings.ToLower(h))
		}
		opt = verify.WithArtifactDigest(alg, raw)
	}
	vr, err := v.verifyEntity(ctx, b, opt)
	if err != nil {
		return nil, err
	}
	res, err := v.result(b, vr)
	if err != nil {
		return nil, err
	}
	res.MessageDigest = &signed
	return res, nil
}

// digestAlgorithms names the message digest algorithms sigstore-go verifies.
var digestAlgorithms = map[protocommon.HashAlgorithm]string{
	protocommon.HashAlgorithm_SHA2_256: "sha256",
	protocommon.HashAlgorithm_SHA2_384: "sha384",
	protocommon.HashAlgorithm_SHA2_512: "sha512",
}

// Digest is an algorithm ("sha256") and a lower-case hex value.
type Digest struct {
	Algorithm string `json:"algorithm"`
	Hex       string `json:"hex"`
}

// String renders the digest as ALG:HEX.
func (d Digest) String() string { return d.Algorithm + ":" + d.Hex }

// mediaTypeV01 is bundle v0.1, which must hold a log entry with an inclusion promise.
const mediaTypeV01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"

// Bundle versions signet verifies, by media type: v0.1, v0.2 and v0.3 in both spellings.
// Signing writes BundleMediaType (v0.3) only.
var verifiedMediaTypes = map[string]bool{
	mediaTypeV01: true,
	"application/vnd.dev.sigstore.bundle+json;version=0.2": true,
	"application/vnd.dev.sigstore.bundle+json;version=0.3": true,
	BundleMediaType: true,
}

// VerifiedMediaTypes lists the bundle media types signet verifies, sorted.
func VerifiedMediaTypes() []string { return slices.Sorted(maps.Keys(verifiedMediaTypes)) }

// ParseBundle decodes a Sigstore bundle v0.1, v0.2 or v0.3 (either media-type spelling)
// whose content is an in-toto DSSE envelope or a message signature, with sigstore-go's
// checks of what each version requires (v0.1 an inclusion promise, v0.2 and later an
// inclusion proof, v0.3 a single certificate) and, for v0.1, at least one log entry.
func ParseBundle(bundleJSON []byte) (*bundle.Bundle, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return nil, fmt.Errorf("%w: not a valid Sigstore bundle: %w", ErrBundle, err)
	}
	if !verifiedMediaTypes[b.GetMediaType()] {
		return nil, fmt.Errorf("%w: media type %q, expected one of %q", ErrBundle, b.GetMediaType(), VerifiedMediaTypes())
	}
	if b.GetMediaType() == mediaTypeV01 && len(b.GetVerificationMaterial().GetTlogEntries()) == 0 {
		return nil, fmt.Errorf("%w: a bundle v0.1 must carry a transparency-log entry with its inclusion promise, and this one has none", ErrBundle)
	}
	if b.GetMessageSignature() != nil {
		return &b, nil
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return nil, fmt.Errorf("%w: neither a DSSE envelope nor a message signature", ErrBundle)
	}
	if env.GetPayloadType() != InTotoPayloadType {
		return nil, fmt.Errorf("%w: DSSE payload type %q, expected %q", ErrBundle, env.GetPayloadType(), InTotoPayloadType)
	}
	return &b, nil
}

// verifyEntity runs sigstore-go's cryptographic checks with the timestamp and log
// requirements that fit the bundle, the artifact policy given and no identity policy.
func (v *Verifier) verifyEntity(ctx context.Context, b *bundle.Bundle, artifact verify.ArtifactPolicyOption) (*verify.VerificationResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts, keySigned, err := v.options(b)
	if err != nil {
		return nil, err
	}
	sv, err := verify.NewVerifier(v.all, opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring the verifier: %w", err)
	}
	identities := verify.WithoutIdentitiesUnsafe()
	if keySigned {
		identities = verify.WithKey()
	}
	vr, err := sv.Verify(b, verify.NewPolicy(artifact, identities))
	if err != nil {
		if keySigned && v.keys != nil {
			if werr := v.outsideKeyWindow(sv, b); werr != nil {
				return nil, werr
			}
		}
		if terr := v.timeOutsideValidity(sv, b, err); terr != nil {
			return nil, terr
		}
		return nil, classify(err)
	}
	return vr, nil
}

// timeOutsideValidity explains a failed leaf-certificate check whose only fault is the time:
// the certificate chains to the trusted root at a time inside its own validity, but a verified
// signed timestamp (or log integrated time) lies outside that validity — the signature was
// timestamped after the certificate expired, or before it was issued. It returns nil when
// that is not the case, leaving the chain failure as it is.
func (v *Verifier) timeOutsideValidity(sv *verify.Verifier, b *bundle.Bundle, err error) error {
	if !strings.HasPrefix(err.Error(), "failed to verify leaf certificate") {
		return nil
	}
	vc, verr := b.VerificationContent()
	if verr != nil || vc.Certificate() == nil {
		return nil
	}
	leaf := *vc.Certificate() // a copy: Go's verifier does not handle Fulcio's OtherName SAN
	leaf.UnhandledCriticalExtensions = slices.DeleteFunc(slices.Clone(leaf.UnhandledCriticalExtensions),
		func(oid asn1.ObjectIdentifier) bool { return oid.Equal(cryptoutils.SANOID) })
	inside := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	if _, cerr := verify.VerifyLeafCertificate(inside, &leaf, v.all); cerr != nil {
		return nil // the chain itself is broken: not a matter of time
	}
	logTimes, terr := sv.VerifyTransparencyLogInclusion(b)
	if terr != nil {
		return nil
	}
	times, terr := sv.VerifyObserverTimestamps(b, logTimes)
	if terr != nil {
		return nil
	}
	for _, ts := range times {
		t := ts.Timestamp.UTC()
		if !t.Before(leaf.NotBefore) && !t.After(leaf.NotAfter) {
			continue
		}
		what, when := "signed timestamp", "after the certificate expired"
		if ts.Type == "Tlog" {
			what = "log integrated time"
		}
		if t.Before(leaf.NotBefore) {
			when = "before the certificate was issued"
		}
		return fmt.Errorf("%w: %s %s is outside the certificate's validity (%s to %s): the signature was timestamped %s",
			ErrTimestamp, what, t.Format(time.RFC3339), leaf.NotBefore.UTC().Format(time.RFC3339),
			leaf.NotAfter.UTC().Format(time.RFC3339), when)
	}
	return nil
}

// options requires every log entry present to verify, at least one trusted time (a signed
// timestamp or a log integrated time; key-signed bundles may have neither) and, when the
// trusted root lists CT logs, a verified SCT in the certificate.
func (v *Verifier) options(b *bundle.Bundle) ([]verify.VerifierOption, bool, error) {
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrBundle, err)
	}
	keySigned := vc.PublicKey() != nil
	switch {
	case keySigned && v.key == nil && v.keys == nil:
		return nil, false, fmt.Errorf("%w: the bundle is signed with a key (hint %q) but no public key is trusted", ErrSignature, vc.PublicKey().Hint())
	case !keySigned && v.trusted == nil:
		return nil, false, fmt.Errorf("%w: the bundle is signed with a certificate but no trusted root is given", ErrTrust)
	}
	entries := b.GetVerificationMaterial().GetTlogEntries()
	stamps := b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps()
	if keySigned && v.keys != nil {
		if err := v.keys.checkHint(vc.PublicKey().Hint(), len(entries)+len(stamps) > 0); err != nil {
			return nil, false, err
		}
	}
	if v.requireTlog && len(entries) == 0 {
		return nil, false, fmt.Errorf("%w: the bundle has no transparency-log entry and the policy requires one", ErrTlog)
	}
	var opts []verify.VerifierOption
	if len(entries) > 0 {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	if !keySigned && len(v.trusted.CTLogs()) > 0 {
		// A trusted root that lists certificate-transparency logs (the public-good one does)
		// vouches only for certificates one of them logged: the certificate's SCT must verify.
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	switch {
	case len(entries) > 0 || len(stamps) > 0:
		opts = append(opts, verify.WithObserverTimestamps(1))
	case keySigned:
		opts = append(opts, verify.WithNoObserverTimestamps())
	default:
		return nil, false, fmt.Errorf("%w: the bundle has no signed timestamp and no transparency-log entry, "+
			"so the certificate cannot be checked at the signing time", ErrTimestamp)
	}
	return opts, keySigned, nil
}

// stages maps sigstore-go v1.3.0's verification steps to this package's sentinels.
var stages = []struct {
	prefix   string
	sentinel error
	what     string
}{
	{"failed to verify log inclusion", ErrTlog, "transparency-log entry"},
	{"failed to verify timestamps", ErrTimestamp, "signed timestamps"},
	{"must provide timestamp", ErrTimestamp, "signed timestamps"},
	{"failed to verify leaf certificate", ErrCertificate, "certificate chain at the signing time"},
	{"failed to verify signed certificate timestamp", ErrCertificate, "certificate's signed certificate timestamp (SCT)"},
	{"failed to summarize certificate", ErrCertificate, "certificate"},
	{"failed to get signature verifier", ErrSignature, "signing key"},
	{"failed to verify signature", ErrSignature, "signature"},
}

func classify(err error) error {
	msg := err.Error()
	for _, m := range []string{"artifact does not match digest", "artifact digest does not match message digest"} {
		if strings.Contains(msg, m) {
			return fmt.Errorf("%w: the message signature does not cover this artifact: %w", ErrDigest, err)
		}
	}
	for _, s := range stages {
		if strings.HasPrefix(msg, s.prefix) {
			return fmt.Errorf("%w: checking the %s: %w", s.sentinel, s.what, err)
		}
	}
	return fmt.Errorf("%w: %w", ErrBundle, err)
}

// Kinds of verified timestamps.
const (
	TimestampAuthority = "timestamp-authority"
	TransparencyLog    = "transparency-log"
)

// Timestamp is a verified time at which the signature existed.
type Timestamp struct {
	Kind string    `json:"kind"`
	URI  string    `json:"uri,omitempty"`
	Time time.Time `json:"time"`
}

// Result is what a verified bundle holds.
type Result struct {
	// Statement is the DSSE payload: the in-toto statement JSON; nil for a message signature.
	Statement     []byte
	PredicateType string
	Subjects      []core.Subject
	// MessageDigest is the artifact digest a message signature covers, checked against the
	// artifact; nil for a DSSE attestation.
	MessageDigest *Digest
	// Certificate summarizes the signing certificate; nil for key-signed bundles.
	Certificate *certificate.Summary
	// KeyHint is the public-key hint of key-signed bundles.
	KeyHint    string
	Timestamps []Timestamp
	LogEntries []core.LogEntry
}

func (v *Verifier) result(b *bundle.Bundle, vr *verify.VerificationResult) (*Result, error) {
	res := &Result{}
	if env := b.GetDsseEnvelope(); env != nil {
		payload := env.GetPayload()
		subjects, predType, err := core.StatementSubjects(payload)
		if err != nil {
			return nil, fmt.Errorf("%w: DSSE payload: %w", ErrBundle, err)
		}
		res.Statement, res.PredicateType, res.Subjects = payload, predType, subjects
	}
	if vr.Signature != nil {
		res.Certificate = vr.Signature.Certificate
		if vr.Signature.PublicKeyID != nil {
			res.KeyHint = string(*vr.Signature.PublicKeyID)
		}
	}
	for _, ts := range vr.VerifiedTimestamps {
		kind := TimestampAuthority
		if ts.Type == "Tlog" {
			kind = TransparencyLog
		}
		res.Timestamps = append(res.Timestamps, Timestamp{Kind: kind, URI: ts.URI, Time: ts.Timestamp.UTC()})
	}
	for _, e := range b.GetVerificationMaterial().GetTlogEntries() {
		le := logEntry(e)
		if v.trusted != nil {
			if l, ok := v.trusted.RekorLogs()[le.ID]; ok {
				le.URL = l.BaseURL
			}
		}
		res.LogEntries = append(res.LogEntries, le)
	}
	return res, nil
}

// checkDigest requires the artifact digest to be one of the statement's subjects.
func (r *Result) checkDigest(alg, hexDigest string) error {
	alg, want := strings.ToLower(alg), strings.ToLower(hexDigest)
	if _, err := hex.DecodeString(want); err != nil {
		return fmt.Errorf("%w: %s digest %q is not hex", ErrDigest, alg, hexDigest)
	}
	var names []string
	for _, s := range r.Subjects {
		if strings.ToLower(s.Digest[alg]) == want {
			return nil
		}
		if len(names) < 5 {
			names = append(names, s.Name)
		}
	}
	return fmt.Errorf("%w: %s:%s is not among the statement's %d subject(s) %v", ErrDigest, alg, want, len(r.Subjects), names)
}

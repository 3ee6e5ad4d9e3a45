package verify

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
)

// BundleMediaType is the Sigstore bundle version signet writes (v0.3). It reads v0.1, v0.2
// and v0.3 in both media-type spellings (sigstore.VerifiedMediaTypes).
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// inTotoPayloadType is the DSSE payload type of in-toto statements.
const inTotoPayloadType = "application/vnd.in-toto+json"

// MaxBundleSize bounds a bundle file; an SBOM statement for a large image stays far below it.
const MaxBundleSize = 128 << 20

// ErrNotBundle means a file is not a Sigstore bundle (v0.1 to v0.3) holding an in-toto
// statement or a message signature.
var ErrNotBundle = errors.New("not a Sigstore bundle (v0.1 to v0.3) with an in-toto statement or a message signature")

// Digest is an algorithm ("sha256") and a lower-case hex value.
type Digest = sigstore.Digest

// BundleInfo is what a bundle claims, read without any verification: use it to select bundles
// and to show them, never to decide.
type BundleInfo struct {
	PredicateType string
	Subjects      []core.Subject
	// Statement is the in-toto statement JSON carried in the DSSE envelope.
	Statement []byte
	// MessageDigest is the digest a message-signature bundle (cosign sign-blob and other
	// clients) says it signs; such a bundle has no statement, subjects or predicate type.
	MessageDigest *Digest
	// Certificate is the signing certificate; nil when the bundle names a public key, whose
	// hint is KeyHint.
	Certificate *x509.Certificate
	KeyHint     string
	// Summary is the certificate's identity and Fulcio extensions, when it has a certificate.
	Summary *certificate.Summary
	// SignedTimestamps counts RFC 3161 timestamps; TlogEntries lists log entries.
	SignedTimestamps [][]byte
	TlogEntries      []TlogEntryInfo
}

// TlogEntryInfo is a log entry as the bundle states it.
type TlogEntryInfo struct {
	Index          int64
	LogID          string
	IntegratedTime time.Time
	Kind, Version  string
}

// bundleJSON is the part of the bundle JSON (v0.1 to v0.3) signet reads.
type bundleJSON struct {
	MediaType            string `json:"mediaType"`
	VerificationMaterial *struct {
		Certificate *struct {
			RawBytes []byte `json:"rawBytes"`
		} `json:"certificate"`
		X509CertificateChain *struct {
			Certificates []struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"certificates"`
		} `json:"x509CertificateChain"`
		PublicKey *struct {
			Hint string `json:"hint"`
		} `json:"publicKey"`
		TlogEntries []struct {
			LogIndex       string                 `json:"logIndex"`
			LogID          struct{ KeyID []byte } `json:"logId"`
			KindVersion    struct{ Kind, Version string }
			IntegratedTime string `json:"integratedTime"`
		} `json:"tlogEntries"`
		TimestampVerificationData *struct {
			RFC3161Timestamps []struct {
				SignedTimestamp []byte `json:"signedTimestamp"`
			} `json:"rfc3161Timestamps"`
		} `json:"timestampVerificationData"`
	} `json:"verificationMaterial"`
	MessageSignature *struct {
		MessageDigest *struct {
			Algorithm string `json:"algorithm"`
			Digest    []byte `json:"digest"`
		} `json:"messageDigest"`
		Signature []byte `json:"signature"`
	} `json:"messageSignature"`
	DSSEEnvelope *struct {
		Payload     []byte `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig []byte `json:"sig"`
		} `json:"signatures"`
	} `json:"dsseEnvelope"`
}

// ReadBundleFile reads a bundle file, refusing one larger than MaxBundleSize or one that is
// not a regular file.
func ReadBundleFile(path string) ([]byte, error) {
	return readLimited(path, "bundle", MaxBundleSize)
}

// readLimited reads the regular file path, what it is ("bundle", "index") naming it in
// errors, refusing more than limit bytes. The file is opened without blocking and checked
// before any read, so a FIFO fails at once instead of waiting for a writer and a device such
// as /dev/zero is refused, not read until memory runs out.
func readLimited(path, what string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("reading %s %q: %w", what, path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s %q: %w", what, path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("reading %s %q: not a regular file (mode %s)", what, path, fi.Mode())
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("reading %s %q: %d bytes, larger than the %d-byte limit for a %s", what, path, fi.Size(), limit, what)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s %q: %w", what, path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("reading %s %q: larger than the %d-byte limit for a %s", what, path, limit, what)
	}
	return b, nil
}

// ParseBundle reads what a bundle claims: its statement, subjects, certificate and the
// timestamps and log entries it carries. Nothing is verified.
func ParseBundle(b []byte) (*BundleInfo, error) {
	var raw bundleJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %w", ErrNotBundle, err)
	}
	if raw.MediaType == core.IndexMediaType {
		return nil, fmt.Errorf("%w: this is a signet attest index; pass it with --index", ErrNotBundle)
	}
	if !slices.Contains(sigstore.VerifiedMediaTypes(), raw.MediaType) {
		return nil, fmt.Errorf("%w: mediaType %q, expected one of %q", ErrNotBundle, raw.MediaType, sigstore.VerifiedMediaTypes())
	}
	if raw.VerificationMaterial == nil {
		return nil, fmt.Errorf("%w: no verification material", ErrNotBundle)
	}
	if raw.MessageSignature != nil && raw.DSSEEnvelope == nil {
		return parseMessage(&raw)
	}
	env := raw.DSSEEnvelope
	if env == nil || raw.MessageSignature != nil {
		return nil, fmt.Errorf("%w: expected one DSSE envelope or one message signature", ErrNotBundle)
	}
	if env.PayloadType != inTotoPayloadType || len(env.Signatures) == 0 {
		return nil, fmt.Errorf("%w: DSSE payload type %q with %d signature(s), expected %q signed", ErrNotBundle, env.PayloadType, len(env.Signatures), inTotoPayloadType)
	}
	subjects, pt, err := core.StatementSubjects(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotBundle, err)
	}
	info := &BundleInfo{PredicateType: pt, Subjects: subjects, Statement: env.Payload}
	if err := info.readMaterial(&raw); err != nil {
		return nil, err
	}
	return info, nil
}

// messageAlgorithms maps the bundle's hash algorithm names to digest algorithm names.
var messageAlgorithms = map[string]string{"SHA2_256": core.SHA256, "SHA2_384": "sha384", "SHA2_512": core.SHA512}

// parseMessage reads a message-signature bundle: the digest it says it signs.
func parseMessage(raw *bundleJSON) (*BundleInfo, error) {
	ms := raw.MessageSignature
	if ms.MessageDigest == nil || len(ms.Signature) == 0 {
		return nil, fmt.Errorf("%w: message signature without a digest or a signature", ErrNotBundle)
	}
	alg, ok := messageAlgorithms[ms.MessageDigest.Algorithm]
	if !ok || len(ms.MessageDigest.Digest) == 0 {
		return nil, fmt.Errorf("%w: message digest algorithm %q, expected SHA2_256, SHA2_384 or SHA2_512 with a digest", ErrNotBundle, ms.MessageDigest.Algorithm)
	}
	info := &BundleInfo{MessageDigest: &Digest{Algorithm: alg, Hex: hex.EncodeToString(ms.MessageDigest.Digest)}}
	if err := info.readMaterial(raw); err != nil {
		return nil, err
	}
	return info, nil
}

// IsMessage reports whether the bundle is a message signature: a signed digest, no statement.
func (info *BundleInfo) IsMessage() bool { return info.MessageDigest != nil }

// claimed is what the bundle says it signs: the statement's subjects, or the message digest
// as one nameless subject. Unverified: to choose bundles, never to accept.
func (info *BundleInfo) claimed() []core.Subject {
	if md := info.MessageDigest; md != nil {
		return []core.Subject{{Digest: map[string]string{md.Algorithm: md.Hex}}}
	}
	return info.Subjects
}

func (info *BundleInfo) readMaterial(raw *bundleJSON) error {
	vm := raw.VerificationMaterial
	var der []byte
	switch {
	case vm.Certificate != nil:
		der = vm.Certificate.RawBytes
	case vm.X509CertificateChain != nil && len(vm.X509CertificateChain.Certificates) > 0:
		der = vm.X509CertificateChain.Certificates[0].RawBytes
	case vm.PublicKey == nil:
		return fmt.Errorf("%w: no certificate and no public key", ErrNotBundle)
	default:
		info.KeyHint = vm.PublicKey.Hint
	}
	if der != nil {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return fmt.Errorf("%w: certificate: %w", ErrNotBundle, err)
		}
		info.Certificate = cert
		if sum, err := certificate.SummarizeCertificate(cert); err == nil {
			info.Summary = &sum
		}
	}
	if tvd := vm.TimestampVerificationData; tvd != nil {
		for _, ts := range tvd.RFC3161Timestamps {
			info.SignedTimestamps = append(info.SignedTimestamps, ts.SignedTimestamp)
		}
	}
	for _, e := range vm.TlogEntries {
		idx, err1 := parseInt64(e.LogIndex)
		secs, err2 := parseInt64(e.IntegratedTime)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%w: log entry index %q or integrated time %q is not a number", ErrNotBundle, e.LogIndex, e.IntegratedTime)
		}
		te := TlogEntryInfo{Index: idx, LogID: hex.EncodeToString(e.LogID.KeyID), Kind: e.KindVersion.Kind, Version: e.KindVersion.Version}
		if secs > 0 {
			te.IntegratedTime = time.Unix(secs, 0).UTC()
		}
		info.TlogEntries = append(info.TlogEntries, te)
	}
	return nil
}

// Names reports whether the bundle's statement names a subject with any of digest's values,
// or its message signature says it signs one of them.
func (info *BundleInfo) Names(digest map[string]string) bool {
	for _, s := range info.claimed() {
		for alg, h := range digest {
			if s.Digest[alg] != "" && strings.EqualFold(s.Digest[alg], h) {
				return true
			}
		}
	}
	return false
}

// namesFile reports whether the statement names a subject called name (or a path suffix of it).
func (info *BundleInfo) namesFile(name string) bool {
	for _, s := range info.Subjects {
		if sameName(s.Name, name) {
			return true
		}
	}
	return false
}

// parseInt64 reads a protojson int64 (a decimal string, omitted when zero).
func parseInt64(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseInt(s, 10, 64)
}

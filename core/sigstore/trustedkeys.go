package sigstore

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
)

// TrustedKeysMediaType is the media type of a trusted-keys file.
const TrustedKeysMediaType = "application/vnd.dev.signet.trustedkeys+json;version=0.1"

// Bounds of a trusted-keys file.
const (
	maxTrustedKeysFile = 1 << 20
	maxTrustedKeys     = 1000
)

// TrustedKey is a public key trusted for key-signed bundles signed inside its validity window.
type TrustedKey struct {
	// Name labels the key in messages ("release-2026"); it defaults to the key ID.
	Name string
	// ID is the key's hint: base64 of the SHA-256 of its DER encoding (KeyHint).
	ID  string
	Key crypto.PublicKey
	// Start and End bound the window; a zero End leaves it open.
	Start, End time.Time
}

// Window describes the validity window: "from S to E" or "from S (no end)".
func (k TrustedKey) Window() string {
	if k.End.IsZero() {
		return "from " + k.Start.UTC().Format(time.RFC3339) + " (no end)"
	}
	return "from " + k.Start.UTC().Format(time.RFC3339) + " to " + k.End.UTC().Format(time.RFC3339)
}

func (k TrustedKey) validAt(t time.Time) bool {
	return !t.Before(k.Start) && (k.End.IsZero() || !t.After(k.End))
}

// TrustedKeys is the set of keys a verifier trusts for key-signed bundles, and where it was read.
type TrustedKeys struct {
	Source string
	Keys   []TrustedKey
}

// byHint returns the key whose ID is hint.
func (ts *TrustedKeys) byHint(hint string) (TrustedKey, bool) {
	for _, k := range ts.Keys {
		if k.ID == hint {
			return k, true
		}
	}
	return TrustedKey{}, false
}

// trustedKeysFile is the file's shape. Each key is a trusted_root.json PublicKey message
// (rawBytes, keyDetails, validFor) beside an optional name and a keyId written as a trusted
// root's logId is.
type trustedKeysFile struct {
	MediaType string           `json:"mediaType"`
	Keys      []trustedKeyJSON `json:"keys"`
}

type trustedKeyJSON struct {
	Name      string          `json:"name,omitempty"`
	KeyID     *keyIDJSON      `json:"keyId,omitempty"`
	PublicKey json.RawMessage `json:"publicKey"`
}

type keyIDJSON struct {
	KeyID string `json:"keyId"`
}

// LoadTrustedKeys reads a trusted-keys file (see ParseTrustedKeys), at most 1 MiB.
func LoadTrustedKeys(path string) (*TrustedKeys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: reading trusted keys %q: %w", ErrTrust, path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTrustedKeysFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading trusted keys %q: %w", ErrTrust, path, err)
	}
	if len(b) > maxTrustedKeysFile {
		return nil, fmt.Errorf("%w: trusted keys %q is larger than %d bytes", ErrTrust, path, maxTrustedKeysFile)
	}
	ts, err := ParseTrustedKeys(b)
	if err != nil {
		return nil, fmt.Errorf("trusted keys %q: %w", path, err)
	}
	ts.Source = path
	return ts, nil
}

// ParseTrustedKeys parses a trusted-keys document strictly (unknown fields are errors):
//
//	{"mediaType": "application/vnd.dev.signet.trustedkeys+json;version=0.1",
//	 "keys": [{"name": "release-2026",
//	           "keyId": {"keyId": "<base64 SHA-256 of the DER key: the bundles' hint>"},
//	           "publicKey": {"rawBytes": "<base64 DER (PKIX)>",
//	                         "keyDetails": "PKIX_ECDSA_P256_SHA_256",
//	                         "validFor": {"start": "2026-01-01T00:00:00Z", "end": "2026-07-01T00:00:00Z"}}}]}
//
// Every key needs validFor.start; an absent end leaves the window open. keyId may be left
// out; when given it must be the key's hint. keyDetails must name the key's algorithm
// (PKIX_ECDSA_P256_SHA_256 or PKIX_ED25519). A key may be listed once.
func ParseTrustedKeys(b []byte) (*TrustedKeys, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f trustedKeysFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: not a trusted-keys document: %w", ErrTrust, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the trusted-keys document", ErrTrust)
	}
	if f.MediaType != TrustedKeysMediaType {
		return nil, fmt.Errorf("%w: mediaType %q, expected %q", ErrTrust, f.MediaType, TrustedKeysMediaType)
	}
	switch {
	case len(f.Keys) == 0:
		return nil, fmt.Errorf("%w: no keys listed", ErrTrust)
	case len(f.Keys) > maxTrustedKeys:
		return nil, fmt.Errorf("%w: %d keys listed, at most %d", ErrTrust, len(f.Keys), maxTrustedKeys)
	}
	ts := &TrustedKeys{}
	for i, kj := range f.Keys {
		k, err := parseTrustedKey(kj)
		if err != nil {
			return nil, fmt.Errorf("%w: keys[%d]: %w", ErrTrust, i, err)
		}
		if prev, dup := ts.byHint(k.ID); dup {
			return nil, fmt.Errorf("%w: keys[%d] (%s) is the same key as %s: list a key once, with one window", ErrTrust, i, k.Name, prev.Name)
		}
		ts.Keys = append(ts.Keys, k)
	}
	return ts, nil
}

func parseTrustedKey(kj trustedKeyJSON) (TrustedKey, error) {
	if len(kj.PublicKey) == 0 {
		return TrustedKey{}, fmt.Errorf("publicKey is missing")
	}
	var pk protocommon.PublicKey
	if err := protojson.Unmarshal(kj.PublicKey, &pk); err != nil {
		return TrustedKey{}, fmt.Errorf("publicKey: %w", err)
	}
	if len(pk.GetRawBytes()) == 0 {
		return TrustedKey{}, fmt.Errorf("publicKey.rawBytes is missing")
	}
	pub, err := x509.ParsePKIXPublicKey(pk.GetRawBytes())
	if err != nil {
		return TrustedKey{}, fmt.Errorf("publicKey.rawBytes is not a DER (PKIX) public key: %w", err)
	}
	details, err := keyDetails(pub)
	if err != nil {
		return TrustedKey{}, fmt.Errorf("publicKey: %w", err)
	}
	if pk.GetKeyDetails() != details.GetSignatureAlgorithm() {
		return TrustedKey{}, fmt.Errorf("publicKey.keyDetails %s does not match the key, which is %s", pk.GetKeyDetails(), details.GetSignatureAlgorithm())
	}
	vf := pk.GetValidFor()
	if vf.GetStart() == nil {
		return TrustedKey{}, fmt.Errorf("publicKey.validFor.start is missing: every key's window has a start")
	}
	k := TrustedKey{Key: pub, Start: vf.GetStart().AsTime()}
	if vf.GetEnd() != nil {
		k.End = vf.GetEnd().AsTime()
		if !k.End.After(k.Start) {
			return TrustedKey{}, fmt.Errorf("publicKey.validFor ends (%s) before it starts (%s)", k.End.Format(time.RFC3339), k.Start.Format(time.RFC3339))
		}
	}
	if k.ID, err = KeyHint(pub); err != nil {
		return TrustedKey{}, err
	}
	if kj.KeyID != nil && kj.KeyID.KeyID != k.ID {
		return TrustedKey{}, fmt.Errorf("keyId %q is not the key's ID %q (base64 SHA-256 of rawBytes)", kj.KeyID.KeyID, k.ID)
	}
	k.Name = kj.Name
	if k.Name == "" {
		k.Name = k.ID
	}
	return k, nil
}

// WithTrustedKeys trusts ts's keys for key-signed bundles, each inside its window: a bundle
// must carry the hint of one of them and a verified signing time (a signed timestamp or a log
// integrated time) inside that key's window. It excludes WithPublicKey.
func WithTrustedKeys(ts *TrustedKeys) VerifyOption {
	return func(v *Verifier) error {
		if ts == nil || len(ts.Keys) == 0 {
			return fmt.Errorf("%w: no trusted keys given", ErrTrust)
		}
		v.keys = ts
		return nil
	}
}

// keysMaterial is sigstore-go's view of the trusted keys: each an ExpiringKey found by hint.
func keysMaterial(ts *TrustedKeys) (root.TrustedMaterial, error) {
	byHint := make(map[string]root.TimeConstrainedVerifier, len(ts.Keys))
	for _, k := range ts.Keys {
		sv, err := signature.LoadVerifier(k.Key, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("%w: loading trusted key %s: %w", ErrKey, k.Name, err)
		}
		byHint[k.ID] = root.NewExpiringKey(sv, k.Start, k.End)
	}
	return root.NewTrustedPublicKeyMaterial(func(hint string) (root.TimeConstrainedVerifier, error) {
		if v, ok := byHint[hint]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("no trusted key has ID %q", hint)
	}), nil
}

// checkHint finds the bundle's key among the trusted keys before sigstore-go does, so that a
// key that is not (or no longer) trusted, or a bundle without a signing time, is refused with
// a reason naming the key. timed says the bundle carries a signed timestamp or a log entry.
func (ts *TrustedKeys) checkHint(hint string, timed bool) error {
	k, ok := ts.byHint(hint)
	if !ok {
		return fmt.Errorf("%w: the bundle is signed with key %q, which is not among the %d trusted keys of %s "+
			"(a key removed from the trusted keys is no longer trusted)", ErrSignature, hint, len(ts.Keys), ts.source())
	}
	if !timed {
		return fmt.Errorf("%w: key %s is trusted only %s, and the bundle has no signed timestamp or log entry to show when it was signed",
			ErrSignature, k.describe(), k.Window())
	}
	return nil
}

func (ts *TrustedKeys) source() string {
	if ts.Source == "" {
		return "the trusted keys"
	}
	return fmt.Sprintf("%q", ts.Source)
}

func (k TrustedKey) describe() string {
	if k.Name == k.ID {
		return fmt.Sprintf("%q", k.ID)
	}
	return fmt.Sprintf("%q (ID %s)", k.Name, k.ID)
}

// outsideKeyWindow explains a key-signed bundle whose verified signing time lies outside its
// key's window; it returns nil when that is not why verification failed.
func (v *Verifier) outsideKeyWindow(sv *verify.Verifier, b *bundle.Bundle) error {
	vc, err := b.VerificationContent()
	if err != nil || vc.PublicKey() == nil {
		return nil
	}
	k, ok := v.keys.byHint(vc.PublicKey().Hint())
	if !ok {
		return nil
	}
	var times []root.Timestamp
	for _, e := range b.GetVerificationMaterial().GetTlogEntries() {
		if it := e.GetIntegratedTime(); it > 0 {
			times = append(times, root.Timestamp{Time: time.Unix(it, 0), URI: "Tlog"})
		}
	}
	if len(b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps()) > 0 {
		ts, err := sv.VerifyObserverTimestamps(b, nil)
		if err != nil {
			return nil // the timestamps themselves do not verify: that is the failure
		}
		for _, t := range ts {
			if t.Type != "Tlog" {
				times = append(times, root.Timestamp{Time: t.Timestamp, URI: "TSA"})
			}
		}
	}
	for _, t := range times {
		if k.validAt(t.Time) {
			continue
		}
		what, when := "signed timestamp", "after the window closed"
		if t.URI == "Tlog" {
			what = "log integrated time"
		}
		if t.Time.Before(k.Start) {
			when = "before the window opened"
		}
		return fmt.Errorf("%w: key %s is trusted %s, but the bundle's %s is %s: it was signed %s",
			ErrSignature, k.describe(), k.Window(), what, t.Time.UTC().Format(time.RFC3339), when)
	}
	return nil
}

package sigstore_test

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-ci/signet/core/sigstore"
)

const (
	vsSAN    = "release@signet.example"
	vsIssuer = "https://issuer.signet.example"
)

// vsBundle describes a bundle built by hand from VirtualSigstore parts.
type vsBundle struct {
	tsa, tlog     bool
	certFrom      *ca.VirtualSigstore // issues the certificate instead of the trusted instance
	payload       []byte              // replaces the signed statement after signing
	payloadType   string
	mediaType     string
	tamperLogTime bool
	// message makes a message-signature bundle over sha256(message) instead of a DSSE
	// envelope; statedDigest replaces the digest it states.
	message      []byte
	statedDigest []byte
	key          *ecdsa.PrivateKey // signs instead of a certificate (key hint "vs-key")
}

func (o vsBundle) build(t *testing.T, vs *ca.VirtualSigstore, st []byte) []byte {
	t.Helper()
	issuer := vs
	if o.certFrom != nil {
		issuer = o.certFrom
	}
	leaf, priv, err := issuer.GenerateLeafCert(vsSAN, vsIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if o.message != nil {
		return o.buildMessage(t, vs, leaf.Raw, priv.(*ecdsa.PrivateKey))
	}
	pt := sigstore.InTotoPayloadType
	if o.payloadType != "" {
		pt = o.payloadType
	}
	digest := sha256.Sum256((&sign.DSSEData{Data: st, PayloadType: pt}).PreAuthEncoding())
	sig, err := ecdsa.SignASN1(rand.Reader, priv.(*ecdsa.PrivateKey), digest[:])
	if err != nil {
		t.Fatal(err)
	}
	vm := &protobundle.VerificationMaterial{Content: &protobundle.VerificationMaterial_Certificate{
		Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}}}
	if o.tsa {
		ts, err := vs.TimestampResponse(sig)
		if err != nil {
			t.Fatal(err)
		}
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: ts}}}
	}
	if o.tlog {
		vm.TlogEntries = []*protorekor.TransparencyLogEntry{o.entry(t, vs, leaf.Raw, st, pt, sig)}
	}
	payload := st
	if o.payload != nil {
		payload = o.payload
	}
	mt := sigstore.BundleMediaType
	if o.mediaType != "" {
		mt = o.mediaType
	}
	js, err := protojson.Marshal(&protobundle.Bundle{MediaType: mt, VerificationMaterial: vm,
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: pt, Signatures: []*protodsse.Signature{{Sig: sig}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// buildMessage is a message-signature bundle over sha256(o.message), as cosign sign-blob
// writes, signed by the certificate leafDER (or o.key) and timestamped when o.tsa.
func (o vsBundle) buildMessage(t *testing.T, vs *ca.VirtualSigstore, leafDER []byte, priv *ecdsa.PrivateKey) []byte {
	t.Helper()
	digest := sha256.Sum256(o.message)
	vm := &protobundle.VerificationMaterial{Content: &protobundle.VerificationMaterial_Certificate{
		Certificate: &protocommon.X509Certificate{RawBytes: leafDER}}}
	if o.key != nil {
		priv = o.key
		vm.Content = &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: "vs-key"}}
	}
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	if o.tsa {
		ts, err := vs.TimestampResponse(sig)
		if err != nil {
			t.Fatal(err)
		}
		vm.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: ts}}}
	}
	stated := digest[:]
	if o.statedDigest != nil {
		stated = o.statedDigest
	}
	mt := sigstore.BundleMediaType
	if o.mediaType != "" {
		mt = o.mediaType
	}
	js, err := protojson.Marshal(&protobundle.Bundle{MediaType: mt, VerificationMaterial: vm,
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: stated},
			Signature:     sig}}})
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// entry is a Rekor v1 dsse entry with an inclusion proof and a signed entry timestamp.
func (o vsBundle) entry(t *testing.T, vs *ca.VirtualSigstore, leafDER, st []byte, pt string, sig []byte) *protorekor.TransparencyLogEntry {
	t.Helper()
	leaf, err := parseCert(leafDER)
	if err != nil {
		t.Fatal(err)
	}
	env := &dsse.Envelope{PayloadType: pt, Payload: base64.StdEncoding.EncodeToString(st),
		Signatures: []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}}}
	integrated := time.Now().Add(time.Minute).Unix()
	e, err := vs.GenerateTlogEntry(leaf, env, sig, integrated, true)
	if err != nil {
		t.Fatal(err)
	}
	tle := e.TransparencyLogEntry()
	logID, err := vs.RekorLogID()
	if err != nil {
		t.Fatal(err)
	}
	set, err := vs.RekorSignPayload(tlog.RekorPayload{Body: base64.StdEncoding.EncodeToString(tle.GetCanonicalizedBody()),
		IntegratedTime: integrated, LogIndex: tle.GetLogIndex(), LogID: logID})
	if err != nil {
		t.Fatal(err)
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	if o.tamperLogTime {
		tle.IntegratedTime++
	}
	return tle
}

func vsPolicy() sigstore.IdentityPolicy {
	return sigstore.IdentityPolicy{Issuer: vsIssuer, SAN: vsSAN}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	st := statement(t, appBin, appTar)
	tests := []struct {
		name    string
		bundle  vsBundle
		opts    []sigstore.VerifyOption
		raw     []byte // bundle JSON instead of bundle
		alg     string
		digest  string
		policy  func(p *sigstore.IdentityPolicy)
		want    error
		golden  bool // the result (or error message) goes to a golden file
		logURLs []string
	}{
		{name: "timestamped", bundle: vsBundle{tsa: true}, golden: true},
		{name: "logged", bundle: vsBundle{tlog: true}, golden: true, logURLs: []string{"https://rekor.localhost"}},
		{name: "timestamped and logged, log required", bundle: vsBundle{tsa: true, tlog: true}, opts: []sigstore.VerifyOption{sigstore.WithRequireTlog()},
			logURLs: []string{"https://rekor.localhost"}},
		{name: "second subject", bundle: vsBundle{tsa: true}, digest: appTar.digest()},
		{name: "uppercase digest", bundle: vsBundle{tsa: true}, alg: "SHA256", digest: strings.ToUpper(appBin.digest())},
		{name: "SAN and issuer regexps", bundle: vsBundle{tsa: true}, policy: func(p *sigstore.IdentityPolicy) {
			*p = sigstore.IdentityPolicy{SANRegexp: `^release@signet\.example$`, IssuerRegexp: `^https://issuer\.`}
		}},
		{name: "no trusted time", bundle: vsBundle{}, want: sigstore.ErrTimestamp, golden: true},
		{name: "log required, none", bundle: vsBundle{tsa: true}, opts: []sigstore.VerifyOption{sigstore.WithRequireTlog()}, want: sigstore.ErrTlog, golden: true},
		{name: "tampered log entry", bundle: vsBundle{tsa: true, tlog: true, tamperLogTime: true}, want: sigstore.ErrTlog},
		{name: "certificate from another CA", bundle: vsBundle{tsa: true, certFrom: foreign}, want: sigstore.ErrCertificate},
		{name: "tampered payload", bundle: vsBundle{tsa: true, payload: statement(t, other)}, want: sigstore.ErrSignature},
		{name: "wrong SAN", bundle: vsBundle{tsa: true}, policy: func(p *sigstore.IdentityPolicy) { p.SAN = "attacker@signet.example" }, want: sigstore.ErrIdentity, golden: true},
		{name: "wrong issuer", bundle: vsBundle{tsa: true}, policy: func(p *sigstore.IdentityPolicy) { p.Issuer = "https://accounts.example" }, want: sigstore.ErrIdentity, golden: true},
		{name: "SAN regexp mismatch", bundle: vsBundle{tsa: true}, policy: func(p *sigstore.IdentityPolicy) { p.SAN, p.SANRegexp = "", `^ci@` }, want: sigstore.ErrIdentity, golden: true},
		{name: "extension mismatch", bundle: vsBundle{tsa: true}, policy: func(p *sigstore.IdentityPolicy) {
			p.Extensions = certificate.Extensions{SourceRepositoryURI: "https://github.com/signet-ci/signet"}
		}, want: sigstore.ErrIdentity, golden: true},
		{name: "policy without SAN", bundle: vsBundle{tsa: true}, policy: func(p *sigstore.IdentityPolicy) { p.SAN = "" }, want: sigstore.ErrIdentity, golden: true},
		{name: "policy without issuer", bundle: vsBundle{tsa: true}, policy: func(p *sigstore.IdentityPolicy) { p.Issuer = "" }, want: sigstore.ErrIdentity, golden: true},
		{name: "bad SAN regexp", bundle: vsBundle{tsa: true}, policy: func(p *sigstore.IdentityPolicy) { p.SAN, p.SANRegexp = "", "(" }, want: sigstore.ErrIdentity},
		{name: "artifact not a subject", bundle: vsBundle{tsa: true}, digest: other.digest(), want: sigstore.ErrDigest, golden: true},
		{name: "digest algorithm not in subjects", bundle: vsBundle{tsa: true}, alg: "sha512", want: sigstore.ErrDigest},
		{name: "digest not hex", bundle: vsBundle{tsa: true}, digest: "xyz", want: sigstore.ErrDigest, golden: true},
		{name: "no digest", bundle: vsBundle{tsa: true}, alg: "-", want: sigstore.ErrDigest, golden: true},
		{name: "bundle v0.2", bundle: vsBundle{tsa: true, mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.2"}},
		{name: "bundle v0.3, older spelling", bundle: vsBundle{tsa: true, tlog: true, mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.3"},
			logURLs: []string{"https://rekor.localhost"}},
		{name: "bundle v0.1 with a log entry", bundle: vsBundle{tlog: true, mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1"},
			logURLs: []string{"https://rekor.localhost"}},
		{name: "bundle v0.1 without a log entry", bundle: vsBundle{tsa: true, mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1"}, want: sigstore.ErrBundle, golden: true},
		{name: "bundle v0.4", bundle: vsBundle{tsa: true, mediaType: "application/vnd.dev.sigstore.bundle.v0.4+json"}, want: sigstore.ErrBundle, golden: true},
		{name: "bundle v99.9", bundle: vsBundle{tsa: true, mediaType: "application/vnd.dev.sigstore.bundle+json;version=99.9"}, want: sigstore.ErrBundle},
		{name: "not in-toto", bundle: vsBundle{tsa: true, payloadType: "text/plain"}, want: sigstore.ErrBundle, golden: true},
		{name: "not a bundle", raw: []byte(`{"mediaType": 3}`), want: sigstore.ErrBundle},
	}
	var goldens []string
	var mu sync.Mutex
	t.Cleanup(func() { golden(t, "verify.golden", []byte(strings.Join(sortedCopy(goldens), "\n"))) })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			js := tc.raw
			if js == nil {
				js = tc.bundle.build(t, vs, st)
			}
			v, err := sigstore.NewVerifier(noCTLogs{vs}, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			alg, digest, policy := "sha256", appBin.digest(), vsPolicy()
			if tc.alg != "" {
				alg = tc.alg
			}
			if tc.digest != "" {
				digest = tc.digest
			}
			if alg == "-" {
				alg, digest = "", ""
			}
			if tc.policy != nil {
				tc.policy(&policy)
			}
			res, err := v.Verify(t.Context(), js, alg, digest, policy)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				t.Logf("error: %v", err)
				if tc.golden {
					mu.Lock()
					goldens = append(goldens, fmt.Sprintf("%s: error: %v", tc.name, err))
					mu.Unlock()
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			checkResult(t, res, st, tc.logURLs)
			if tc.golden {
				mu.Lock()
				goldens = append(goldens, fmt.Sprintf("%s: result: %s", tc.name, stableResult(t, res)))
				mu.Unlock()
			}
		})
	}
}

func checkResult(t *testing.T, res *sigstore.Result, st []byte, logURLs []string) {
	t.Helper()
	if string(res.Statement) != string(st) {
		t.Errorf("Statement differs from the signed one")
	}
	var urls []string
	for _, e := range res.LogEntries {
		urls = append(urls, e.URL)
		if e.IntegratedTime.IsZero() || e.ID == "" {
			t.Errorf("log entry %+v lacks an integrated time or log ID", e)
		}
	}
	if diff := cmpDiff(logURLs, urls); diff != "" {
		t.Errorf("log entry URLs (-want +got):\n%s", diff)
	}
	for _, ts := range res.Timestamps {
		if d := time.Since(ts.Time); d > 5*time.Minute || d < -5*time.Minute {
			t.Errorf("timestamp %+v is not close to now", ts)
		}
	}
}

// stableResult is the part of a Result that does not change from run to run.
func stableResult(t *testing.T, res *sigstore.Result) string {
	t.Helper()
	var kinds []string
	for _, ts := range res.Timestamps {
		kinds = append(kinds, ts.Kind)
	}
	b, err := json.Marshal(map[string]any{
		"predicateType": res.PredicateType, "subjects": res.Subjects, "certificate": res.Certificate,
		"keyHint": res.KeyHint, "timestamps": kinds, "logEntries": len(res.LogEntries),
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVerifyConcurrent(t *testing.T) {
	t.Parallel()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	st := statement(t, appBin)
	js := vsBundle{tsa: true, tlog: true}.build(t, vs, st)
	v, err := sigstore.NewVerifier(noCTLogs{vs})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = v.Verify(t.Context(), js, "sha256", appBin.digest(), vsPolicy())
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestNewVerifierRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []sigstore.VerifyOption
		want string
	}{
		{"nothing trusted", nil, "a trusted root or a public key is required"},
		{"unsupported key", []sigstore.VerifyOption{sigstore.WithPublicKey("not a key")}, "expected ECDSA P-256 or Ed25519"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sigstore.NewVerifier(nil, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

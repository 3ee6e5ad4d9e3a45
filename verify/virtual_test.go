package verify_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/provenance"
	"github.com/signet-ci/signet/verify"
)

// The local Sigstore has no transparency log, so the cases that need Rekor entries sign with
// sigstore-go's VirtualSigstore: a test CA, TSA and Rekor log with real entry, inclusion-proof
// and SET code. The tier-3 tests run the same flows against a real rekor-server.

const (
	virtualIdentity = "release@example.com"
	virtualIssuer   = "https://issuer.example.com"
)

// virtualRun is a statement over two files signed by the virtual Sigstore.
type virtualRun struct {
	vs        *ca.VirtualSigstore
	dir       string
	artifacts []core.Subject
	statement []byte
}

func newVirtualRun(t *testing.T) *virtualRun {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	arts := writeFiles(t, dir, map[string]string{"dist/app.tar.gz": "virtual " + t.Name()})
	lc, err := provenance.NewLocal(context.Background(), dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	pred, err := lc.Provenance(context.Background(), core.Run{})
	if err != nil {
		t.Fatal(err)
	}
	sts, err := core.Statements(arts, pred, core.DefaultMaxSubjects)
	if err != nil {
		t.Fatal(err)
	}
	return &virtualRun{vs: vs, dir: dir, artifacts: arts, statement: sts[0]}
}

// attest signs the statement with a fresh leaf certificate, logged at integrated time.
func (v *virtualRun) attest(t *testing.T, integrated time.Time) *ca.TestEntity {
	t.Helper()
	return v.attestStatement(t, v.statement, integrated)
}

// attestStatement signs any statement with the same virtual Sigstore.
func (v *virtualRun) attestStatement(t *testing.T, statement []byte, integrated time.Time) *ca.TestEntity {
	t.Helper()
	e, err := v.vs.AttestAtTime(virtualIdentity, virtualIssuer, statement, integrated, true)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// write encodes a bundle v0.3 of entity e, with its RFC 3161 timestamp when withTSA, and the
// log entries of logFrom (e itself unless another entity is given); it returns the path.
func (v *virtualRun) write(t *testing.T, e *ca.TestEntity, withTSA bool, logFrom *ca.TestEntity) string {
	t.Helper()
	vc, _ := e.VerificationContent()
	sc, _ := e.SignatureContent()
	env := sc.(*bundle.Envelope).RawEnvelope()
	vm := map[string]any{"certificate": map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(vc.Certificate().Raw)}}
	if withTSA {
		ts, _ := e.Timestamps()
		vm["timestampVerificationData"] = map[string]any{"rfc3161Timestamps": []any{
			map[string]any{"signedTimestamp": base64.StdEncoding.EncodeToString(ts[0])}}}
	}
	if logFrom == nil {
		logFrom = e
	}
	entries, _ := logFrom.TlogEntries()
	var tles []any
	for _, en := range entries {
		tle := en.TransparencyLogEntry()
		var body struct{ Kind, APIVersion string }
		if err := json.Unmarshal(tle.GetCanonicalizedBody(), &body); err != nil {
			t.Fatal(err)
		}
		b, err := protojson.Marshal(tle)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m["kindVersion"] = map[string]any{"kind": body.Kind, "version": body.APIVersion}
		m["inclusionPromise"] = map[string]any{"signedEntryTimestamp": base64.StdEncoding.EncodeToString(v.set(t, tle))}
		tles = append(tles, m)
	}
	vm["tlogEntries"] = tles
	doc := map[string]any{"mediaType": verify.BundleMediaType, "verificationMaterial": vm,
		"dsseEnvelope": map[string]any{"payload": env.Payload, "payloadType": env.PayloadType,
			"signatures": []any{map[string]any{"sig": env.Signatures[0].Sig}}}}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "virtual.sigstore.json")
	writeFile(t, p, b)
	return p
}

// set is the log's signed entry timestamp (inclusion promise) for an entry.
func (v *virtualRun) set(t *testing.T, tle *protorekor.TransparencyLogEntry) []byte {
	t.Helper()
	id, err := v.vs.RekorLogID()
	if err != nil {
		t.Fatal(err)
	}
	set, err := v.vs.RekorSignPayload(tlog.RekorPayload{LogID: id, IntegratedTime: tle.GetIntegratedTime(),
		LogIndex: tle.GetLogIndex(), Body: base64.StdEncoding.EncodeToString(tle.GetCanonicalizedBody())})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func (v *virtualRun) verifier(t *testing.T, opts ...sigstore.VerifyOption) verify.BundleVerifier {
	t.Helper()
	sv, err := sigstore.NewVerifier(noCTLogs{v.vs}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return verify.Sigstore(sv)
}

var virtualPolicy = verify.Policy{Identity: verify.Identity{Issuer: virtualIssuer, Subject: virtualIdentity}}

// TestLogIntegratedTime accepts a bundle whose only trusted time is a log's integrated time,
// also when a log entry is required.
func TestLogIntegratedTime(t *testing.T) {
	t.Parallel()
	v := newVirtualRun(t)
	path := v.write(t, v.attest(t, time.Now().Add(time.Minute)), false, nil)
	for name, bv := range map[string]verify.BundleVerifier{"default": v.verifier(t), "log required": v.verifier(t, sigstore.WithRequireTlog())} {
		rep := check(t, bv, virtualPolicy, verify.Files{path}, v.artifacts)
		if !rep.Verified {
			t.Fatalf("%s: %v", name, failures(rep))
		}
		a := rep.Artifacts[0]
		if len(a.LogEntries) != 1 || len(a.Timestamps) != 1 || a.Timestamps[0].Kind != sigstore.TransparencyLog {
			t.Errorf("%s: log entries %v, timestamps %v; want one log entry and its integrated time", name, a.LogEntries, a.Timestamps)
		}
	}
}

// noCTLogs is trusted material without certificate-transparency logs, as a local Sigstore's
// trusted root is: sigstore-go's VirtualSigstore lists a CT log but issues certificates
// without SCTs, which a root with CT logs refuses.
type noCTLogs struct{ root.TrustedMaterial }

func (noCTLogs) CTLogs() map[string]*root.TransparencyLog { return nil }

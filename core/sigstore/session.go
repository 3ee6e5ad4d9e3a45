package sigstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/digitorus/timestamp"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-ci/signet/core"
)

// Media and payload types of what this package writes.
const (
	BundleMediaType   = "application/vnd.dev.sigstore.bundle.v0.3+json"
	InTotoPayloadType = "application/vnd.in-toto+json"
)

// session signs statements with one key: DSSE, then the transparency logs, then the
// timestamp authorities, then a check of the bundle against the trusted material.
type session struct {
	keypair  sign.Keypair
	certs    sign.CertificateProvider // nil for key-based signing
	tsas     []string
	logs     []sign.Transparency
	logURLs  []string
	net      netConfig
	verifier *Verifier     // nil when no trusted material is known
	rec      core.Recorder // times the timestamp and log phases; nil for none
}

func (s *session) sign(ctx context.Context, statement []byte) (*core.Bundle, error) {
	if !json.Valid(statement) {
		return nil, errors.New("statement is not JSON")
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: statement, PayloadType: InTotoPayloadType}, s.keypair, sign.BundleOptions{
		CertificateProvider: s.certs,
		TransparencyLogs:    s.logs,
		Context:             ctx,
	})
	if err != nil {
		return nil, err
	}
	if err := s.timestamp(ctx, pb); err != nil {
		return nil, err
	}
	if err := s.check(ctx, pb); err != nil {
		return nil, err
	}
	out, err := protojson.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding: %w", ErrBundle, err)
	}
	return &core.Bundle{JSON: out, LogEntry: firstLogEntry(pb, s.logURLs), Timestamps: signedTimes(pb)}, nil
}

// timestamp asks every selected authority to countersign the DSSE signature.
func (s *session) timestamp(ctx context.Context, pb *protobundle.Bundle) error {
	if len(s.tsas) == 0 {
		return nil
	}
	defer core.StartPhase(s.rec, core.PhaseTimestamp)()
	sig := pb.GetDsseEnvelope().GetSignatures()[0].GetSig()
	for _, u := range s.tsas {
		ta := sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: u, Timeout: -1, Transport: s.net.client(ctx).Transport})
		resp, err := ta.GetTimestamp(ctx, sig)
		if err != nil {
			return fmt.Errorf("%w at %s: %w", ErrTimestamp, u, err)
		}
		vm := pb.GetVerificationMaterial()
		if vm.TimestampVerificationData == nil {
			vm.TimestampVerificationData = &protobundle.TimestampVerificationData{}
		}
		vm.TimestampVerificationData.Rfc3161Timestamps = append(vm.TimestampVerificationData.Rfc3161Timestamps,
			&protocommon.RFC3161SignedTimestamp{SignedTimestamp: resp})
	}
	return nil
}

// timedLog times a transparency log's upload as the log phase.
type timedLog struct {
	sign.Transparency
	rec core.Recorder
}

func (t timedLog) GetTransparencyLogEntry(ctx context.Context, keyOrCertPEM []byte, b *protobundle.Bundle) error {
	defer core.StartPhase(t.rec, core.PhaseLog)()
	return t.Transparency.GetTransparencyLogEntry(ctx, keyOrCertPEM, b)
}

// check verifies a fresh bundle against the trusted material, so a misconfigured trust set
// fails the run instead of producing bundles no one can verify.
func (s *session) check(ctx context.Context, pb *protobundle.Bundle) error {
	if s.verifier == nil {
		return nil
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return fmt.Errorf("%w: signed bundle is invalid: %w", ErrBundle, err)
	}
	if _, err := s.verifier.verifyEntity(ctx, b, verify.WithoutArtifactUnsafe()); err != nil { // a self-check of what was just signed
		return fmt.Errorf("signed bundle does not verify against the trusted root: %w", err)
	}
	return nil
}

// firstLogEntry describes the bundle's first transparency-log entry; logs are asked in
// order, so its URL is the first log's.
func firstLogEntry(pb *protobundle.Bundle, urls []string) *core.LogEntry {
	entries := pb.GetVerificationMaterial().GetTlogEntries()
	if len(entries) == 0 {
		return nil
	}
	e := logEntry(entries[0])
	if len(urls) > 0 {
		e.URL = urls[0]
	}
	return &e
}

func logEntry(e interface {
	GetLogIndex() int64
	GetIntegratedTime() int64
	GetLogId() *protocommon.LogId
}) core.LogEntry {
	le := core.LogEntry{Index: e.GetLogIndex(), ID: hex.EncodeToString(e.GetLogId().GetKeyId())}
	if t := e.GetIntegratedTime(); t != 0 {
		le.IntegratedTime = time.Unix(t, 0).UTC()
	}
	return le
}

// signedTimes parses the bundle's RFC 3161 timestamps (not verified: for reporting only).
func signedTimes(pb *protobundle.Bundle) []time.Time {
	var out []time.Time
	for _, ts := range pb.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps() {
		if t, err := timestamp.ParseResponse(ts.GetSignedTimestamp()); err == nil {
			out = append(out, t.Time.UTC())
		}
	}
	return out
}

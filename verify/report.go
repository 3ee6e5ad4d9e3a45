package verify

import (
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
)

// ReportMediaType identifies the JSON report format documented in docs/verify.md.
const ReportMediaType = "application/vnd.signet.verify-report.v1+json"

// Report is the outcome of one verification run.
type Report struct {
	MediaType string `json:"mediaType"`
	// Verified is true only when every artifact verified.
	Verified      bool   `json:"verified"`
	PredicateType string `json:"predicateType"`
	// Policy is the policy as applied, shorthands expanded.
	Policy    Policy    `json:"policy"`
	Summary   Summary   `json:"summary"`
	Artifacts []*Result `json:"artifacts"`
}

// Summary counts the verdicts.
type Summary struct {
	Total    int `json:"total"`
	Verified int `json:"verified"`
	Failed   int `json:"failed"`
}

// Result is the verdict on one artifact.
type Result struct {
	Name string `json:"name"`
	// Digest is ALG:HEX.
	Digest   string `json:"digest"`
	Verified bool   `json:"verified"`
	// Bundle is the bundle that verified the artifact or, on failure, the one whose failure
	// is reported.
	Bundle string `json:"bundle,omitempty"`
	// BundleDigest is the bundle file's sha256:HEX.
	BundleDigest string `json:"bundleDigest,omitempty"`
	// Kind is KindMessageSignature when a message signature verified the artifact: its digest
	// and signer are verified, and it carries no provenance. Empty for attestations.
	Kind    string   `json:"kind,omitempty"`
	Failure *Failure `json:"failure,omitempty"`
	// Signer and Provenance are filled once the bundle's signature verified.
	Signer     *Signer     `json:"signer,omitempty"`
	Provenance *Facts      `json:"provenance,omitempty"`
	Timestamps []Timestamp `json:"timestamps,omitempty"`
	LogEntries []LogEntry  `json:"logEntries,omitempty"`
	// Rejected lists the other bundles tried for this artifact and why each failed.
	Rejected []Rejection `json:"rejected,omitempty"`
}

// KindMessageSignature marks a result verified by a message-signature bundle.
const KindMessageSignature = "message-signature"

// Rejection is a bundle that was tried for an artifact and failed.
type Rejection struct {
	Bundle  string   `json:"bundle"`
	Failure *Failure `json:"failure"`
}

// Timestamp is a verified time the signature is anchored to: Kind is "timestamp-authority"
// (an RFC 3161 signed timestamp) or "transparency-log" (a log's integrated time).
type Timestamp = sigstore.Timestamp

// LogEntry is a verified transparency-log entry.
type LogEntry = core.LogEntry

// newReport totals results into a report.
func newReport(p Policy, results []*Result) *Report {
	r := &Report{MediaType: ReportMediaType, PredicateType: p.Provenance.PredicateType, Policy: p, Artifacts: results}
	for _, a := range results {
		r.Summary.Total++
		if a.Verified {
			r.Summary.Verified++
		} else {
			r.Summary.Failed++
		}
	}
	r.Verified = r.Summary.Total > 0 && r.Summary.Failed == 0
	return r
}

// SignedAt is the earliest verified time of a result, or the zero time.
func (r *Result) SignedAt() time.Time {
	var t time.Time
	for _, ts := range r.Timestamps {
		if t.IsZero() || ts.Time.Before(t) {
			t = ts.Time
		}
	}
	return t
}

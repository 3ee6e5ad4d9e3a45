package core

import (
	"context"
	"errors"
	"time"
)

// Pusher attaches signed bundles to those of their subjects that live in a registry.
type Pusher interface {
	// Push attaches one bundle to each of its subjects the pusher knows as an image and
	// returns where each went. It may return records and an error when some pushes failed.
	Push(ctx context.Context, b PushRequest) ([]PushRecord, error)
}

// PushRequest is one signed bundle to attach.
type PushRequest struct {
	// Bundle is the bundle's JSON, as written to its file.
	Bundle []byte
	// PredicateType is the predicate type of the statement it signs.
	PredicateType string
	// Subjects are the statement's subjects.
	Subjects []Subject
	// Created is when the bundle was signed (its first timestamp, else the run's start), so
	// pushing the same bundle again makes the same manifest.
	Created time.Time
}

// PushRecord is one bundle attached to one image, as the index records it.
type PushRecord struct {
	// Subject is the subject's name; SubjectDigest its digest (sha256:HEX).
	Subject       string `json:"subject"`
	SubjectDigest string `json:"subjectDigest"`
	// Repository is the registry repository ("ghcr.io/org/app").
	Repository string `json:"repository"`
	// Manifest is the digest of the artifact manifest holding the bundle.
	Manifest string `json:"manifest"`
	// Method is how it is discovered: "referrers-api" or "referrers-tag".
	Method string `json:"method"`
}

// ErrPush means the run was signed and written but attaching a bundle to its image failed.
var ErrPush = errors.New("pushing attestations to the registry failed")

// pushAll pushes every planned bundle; a failure does not stop the others. It returns the
// first error, wrapped in ErrPush.
func pushAll(ctx context.Context, p Pusher, plans []planned, started time.Time) error {
	var first error
	for i := range plans {
		created := started
		if ts := plans[i].signed.Timestamps; len(ts) > 0 {
			created = ts[0]
		}
		recs, err := p.Push(ctx, PushRequest{Bundle: plans[i].signed.JSON, PredicateType: plans[i].predType,
			Subjects: plans[i].subjects, Created: created})
		plans[i].pushed = recs
		if err != nil && first == nil {
			first = &pushError{bundle: plans[i].bundle, err: err}
		}
	}
	return first
}

type pushError struct {
	bundle string
	err    error
}

func (e *pushError) Error() string {
	return ErrPush.Error() + ": " + QuoteName(e.bundle) + ": " + e.err.Error()
}

func (e *pushError) Is(target error) bool { return target == ErrPush }
func (e *pushError) Unwrap() error        { return e.err }

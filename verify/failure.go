package verify

import (
	"errors"
	"fmt"
)

// Checks a bundle goes through, named in failures.
const (
	CheckInput         = "input"
	CheckBundle        = "bundle"
	CheckSignature     = "signature"
	CheckCertificate   = "certificate"
	CheckTimestamp     = "timestamp"
	CheckTlog          = "transparency log"
	CheckSubject       = "subject"
	CheckPredicateType = "predicate type"
	CheckIdentity      = "identity"
	CheckProvenance    = "provenance"
	CheckConsistency   = "predicate vs certificate"
)

// ErrRejected is wrapped by every Failure, so callers can tell a rejection from an I/O error.
var ErrRejected = errors.New("rejected")

// Failure is why a bundle was rejected: the check, the field that failed and, for
// comparisons, what the policy or certificate expected and what was found.
type Failure struct {
	Check    string `json:"check"`
	Field    string `json:"field,omitempty"`
	Expected string `json:"expected,omitempty"`
	Found    string `json:"found,omitempty"`
	// Reason is a one-line explanation in plain words.
	Reason string `json:"reason"`
}

// Error renders the failure on one line.
func (f *Failure) Error() string {
	msg := f.Check
	if f.Field != "" {
		msg += ": " + f.Field
	}
	if f.Expected != "" || f.Found != "" {
		msg += fmt.Sprintf(": expected %q, found %q", f.Expected, f.Found)
		if f.Reason != "" {
			msg += " (" + f.Reason + ")"
		}
		return msg
	}
	return msg + ": " + f.Reason
}

// Unwrap makes errors.Is(f, ErrRejected) true.
func (f *Failure) Unwrap() error { return ErrRejected }

// mismatch is a Failure comparing an expected and a found value.
func mismatch(check, field, expected, found, reason string) *Failure {
	return &Failure{Check: check, Field: field, Expected: expected, Found: found, Reason: reason}
}

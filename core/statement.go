package core

import (
	"encoding/json"
	"errors"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// Predicate types signet writes.
const (
	ProvenancePredicateType = "https://slsa.dev/provenance/v1"
	SPDXPredicateType       = "https://spdx.dev/Document/v2.3"
	CycloneDXPredicateType  = "https://cyclonedx.org/bom"
)

// DefaultMaxSubjects is the default number of subjects in one statement.
const DefaultMaxSubjects = 1024

// ErrInvalidStatement is returned when a statement would not be a valid in-toto Statement v1.
var ErrInvalidStatement = errors.New("invalid in-toto statement")

// Predicate is a predicate type and its JSON object.
type Predicate struct {
	Type string
	JSON json.RawMessage
}

// Statements builds in-toto Statement v1 documents for subjects with predicate p, at most
// maxSubjects subjects in each. The JSON is deterministic: sorted keys, no extra spaces.
func Statements(subjects []Subject, p Predicate, maxSubjects int) ([][]byte, error) {
	if maxSubjects < 1 {
		return nil, fmt.Errorf("max subjects: %d is not a positive number", maxSubjects)
	}
	if len(subjects) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidStatement, ErrNoSubjects)
	}
	body := &structpb.Struct{}
	if err := protojson.Unmarshal(p.JSON, body); err != nil {
		return nil, fmt.Errorf("%w: predicate %s is not a JSON object: %w", ErrInvalidStatement, p.Type, err)
	}
	var out [][]byte
	for start := 0; start < len(subjects); start += maxSubjects {
		chunk := subjects[start:min(start+maxSubjects, len(subjects))]
		b, err := statement(chunk, p.Type, body)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func statement(subjects []Subject, predicateType string, body *structpb.Struct) ([]byte, error) {
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		PredicateType: predicateType,
		Predicate:     body,
	}
	for _, s := range subjects {
		st.Subject = append(st.Subject, &intoto.ResourceDescriptor{Name: s.Name, Digest: s.Digest})
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidStatement, err)
	}
	return canonicalStatement(st)
}

// canonicalStatement marshals st with stable key order (protojson's output is not stable).
func canonicalStatement(st *intoto.Statement) ([]byte, error) {
	raw, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encoding statement: %w", err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("encoding statement: %w", err)
	}
	return json.Marshal(v)
}

// StatementSubjects decodes the subjects of an in-toto statement.
func StatementSubjects(statement []byte) ([]Subject, string, error) {
	var st struct {
		Type          string    `json:"_type"`
		PredicateType string    `json:"predicateType"`
		Subject       []Subject `json:"subject"`
	}
	if err := json.Unmarshal(statement, &st); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidStatement, err)
	}
	if st.Type != intoto.StatementTypeUri {
		return nil, "", fmt.Errorf("%w: _type %q, expected %q", ErrInvalidStatement, st.Type, intoto.StatementTypeUri)
	}
	return st.Subject, st.PredicateType, nil
}

package core

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// IndexMediaType identifies signet's index format.
const IndexMediaType = "application/vnd.signet.index.v1+json"

// IndexFile is the index's file name in the output directory.
const IndexFile = "index.json"

// Index lists what one attest run wrote: every subject with its bundles, and every bundle with
// its predicate type, log entry and timestamps. Paths are relative to the index's directory.
type Index struct {
	MediaType    string             `json:"mediaType"`
	Signer       *Identity          `json:"signer,omitempty"`
	Tlog         TlogDecision       `json:"transparencyLog"`
	Attestations []IndexAttestation `json:"attestations"`
	Subjects     []IndexSubject     `json:"subjects"`
}

// TlogDecision records whether the run used a transparency log and why.
type TlogDecision struct {
	Used   bool   `json:"used"`
	Reason string `json:"reason,omitempty"`
}

// IndexAttestation is one bundle the run wrote.
type IndexAttestation struct {
	Bundle string `json:"bundle"`
	// Digest is the bundle file's sha256, so a reader can tell it is this run's.
	Digest        map[string]string `json:"digest,omitempty"`
	PredicateType string            `json:"predicateType"`
	SubjectCount  int               `json:"subjectCount"`
	Document      string            `json:"document,omitempty"`
	LogEntry      *LogEntry         `json:"logEntry,omitempty"`
	Timestamps    []time.Time       `json:"timestamps,omitempty"`
	// Pushed lists where the bundle was attached in registries (--push-to-registry).
	Pushed []PushRecord `json:"pushed,omitempty"`
	// Store is where the bundle was stored besides the output directory (GitHub's
	// attestation store); nil when it was not uploaded.
	Store *StoreRecord `json:"store,omitempty"`
}

// StoreRecord is a bundle as an attestation store keeps it.
type StoreRecord struct {
	// Name names the store ("github").
	Name string `json:"name"`
	// ID is the store's id of the attestation.
	ID string `json:"id"`
	// URL is the attestation's page, when the store has one.
	URL string `json:"url,omitempty"`
}

// IndexSubject is one subject and the bundles that name it.
type IndexSubject struct {
	Name    string            `json:"name"`
	Digest  map[string]string `json:"digest"`
	Bundles []string          `json:"bundles"`
}

// ReadIndex reads an index written by attest.
func ReadIndex(path string) (*Index, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading index %q: %w", path, err)
	}
	var ix Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("reading index %q: not JSON: %w", path, err)
	}
	if ix.MediaType != IndexMediaType {
		return nil, fmt.Errorf("reading index %q: mediaType %q, expected %q", path, ix.MediaType, IndexMediaType)
	}
	return &ix, nil
}

// BundlesFor returns the bundles the index lists for a subject with this digest (alg→hex).
// A name, when not empty, must match too.
func (ix *Index) BundlesFor(name string, digest map[string]string) []string {
	var out []string
	for _, s := range ix.Subjects {
		if name != "" && s.Name != name {
			continue
		}
		for alg, h := range digest {
			if s.Digest[alg] == h {
				out = append(out, s.Bundles...)
				break
			}
		}
	}
	return out
}

// add records a written bundle and the subjects it covers.
func (ix *Index) add(a IndexAttestation, subjects []Subject) {
	ix.Attestations = append(ix.Attestations, a)
	pos := make(map[string]int, len(ix.Subjects))
	for i, s := range ix.Subjects {
		pos[s.key()] = i
	}
	for _, s := range subjects {
		k := s.key()
		if i, ok := pos[k]; ok {
			ix.Subjects[i].Bundles = append(ix.Subjects[i].Bundles, a.Bundle)
			continue
		}
		pos[k] = len(ix.Subjects)
		ix.Subjects = append(ix.Subjects, IndexSubject{Name: s.Name, Digest: s.Digest, Bundles: []string{a.Bundle}})
	}
}

func (s IndexSubject) key() string { return Subject{Name: s.Name, Digest: s.Digest}.key() }

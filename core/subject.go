package core

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Digest algorithm names, as used in in-toto digest sets.
const (
	SHA256 = "sha256"
	SHA512 = "sha512"
)

// ErrInvalidSubject is returned for a subject reference that cannot be parsed.
var ErrInvalidSubject = errors.New("invalid subject")

// Subject is one build output: its name (a path relative to the base directory, or a
// caller-given name such as an image reference) and its digests by algorithm.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
	// Path is the local file the digest was computed from; empty when the digest was given.
	Path string `json:"-"`
}

// key identifies a subject for de-duplication: its name and every digest.
func (s Subject) key() string {
	algs := make([]string, 0, len(s.Digest))
	for a := range s.Digest {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	var b strings.Builder
	b.WriteString(s.Name)
	for _, a := range algs {
		b.WriteString("\x00" + a + ":" + s.Digest[a])
	}
	return b.String()
}

// digestLen is the hex length of each supported algorithm.
var digestLen = map[string]int{SHA256: 64, SHA512: 128}

// ParseDigest parses "alg:hex" (sha256 or sha512) and returns the algorithm and lower-case hex.
func ParseDigest(s string) (alg, hexDigest string, err error) {
	alg, h, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("%w: digest %q: expected ALG:HEX such as sha256:<64 hex digits>", ErrInvalidSubject, s)
	}
	alg = strings.ToLower(alg)
	want, known := digestLen[alg]
	if !known {
		return "", "", fmt.Errorf("%w: digest %q: algorithm %q is not sha256 or sha512", ErrInvalidSubject, s, alg)
	}
	h = strings.ToLower(h)
	if len(h) != want {
		return "", "", fmt.Errorf("%w: digest %q: %s needs %d hex digits, got %d", ErrInvalidSubject, s, alg, want, len(h))
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", "", fmt.Errorf("%w: digest %q: not hexadecimal", ErrInvalidSubject, s)
	}
	return alg, h, nil
}

// ParseSubjectRef parses NAME@ALG:HEX, for example "app@sha256:…" or
// "ghcr.io/org/app@sha256:…". The name is everything before the last '@'.
func ParseSubjectRef(ref string) (Subject, error) {
	i := strings.LastIndex(ref, "@")
	if i <= 0 {
		return Subject{}, fmt.Errorf("%w: %q: expected NAME@sha256:HEX", ErrInvalidSubject, ref)
	}
	alg, h, err := ParseDigest(ref[i+1:])
	if err != nil {
		return Subject{}, fmt.Errorf("subject %q: %w", ref, err)
	}
	return Subject{Name: ref[:i], Digest: map[string]string{alg: h}}, nil
}

// Dedupe removes subjects with the same name and digests, keeping the first occurrence.
func Dedupe(subjects []Subject) []Subject {
	seen := make(map[string]bool, len(subjects))
	out := subjects[:0:0]
	for _, s := range subjects {
		k := s.key()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}

package core

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrMalformedChecksum is returned for a checksums-file line that is not "HEX  NAME".
var ErrMalformedChecksum = errors.New("malformed checksum line")

// ReadChecksumFile parses a sha256sum/sha512sum/shasum output file. Each non-blank line is
// "HEX  NAME" (text mode) or "HEX *NAME" (binary mode); the algorithm follows from the hex
// length (64: sha256, 128: sha512). Errors name the file and line.
func ReadChecksumFile(path string) ([]Subject, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading checksums file %q: %w", path, err)
	}
	defer f.Close()
	var out []Subject
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		s, err := parseChecksumLine(text)
		if err != nil {
			return nil, fmt.Errorf("checksums file %s:%d: %w", path, line, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading checksums file %q: %w", path, err)
	}
	return out, nil
}

func parseChecksumLine(text string) (Subject, error) {
	h, rest, ok := strings.Cut(text, " ")
	if !ok || rest == "" {
		return Subject{}, fmt.Errorf("%w %q: expected \"HEX  NAME\" or \"HEX *NAME\"", ErrMalformedChecksum, text)
	}
	var alg string
	switch len(h) {
	case 64:
		alg = SHA256
	case 128:
		alg = SHA512
	default:
		return Subject{}, fmt.Errorf("%w %q: digest has %d hex digits, expected 64 (sha256) or 128 (sha512)", ErrMalformedChecksum, text, len(h))
	}
	if _, err := hex.DecodeString(h); err != nil {
		return Subject{}, fmt.Errorf("%w %q: digest is not hexadecimal", ErrMalformedChecksum, text)
	}
	// sha256sum writes two characters between digest and name: a space, then ' ' or '*'.
	name := rest
	if len(rest) > 1 && (rest[0] == ' ' || rest[0] == '*') {
		name = rest[1:]
	}
	if strings.TrimSpace(name) == "" {
		return Subject{}, fmt.Errorf("%w %q: missing file name after the digest", ErrMalformedChecksum, text)
	}
	return Subject{Name: name, Digest: map[string]string{alg: strings.ToLower(h)}}, nil
}

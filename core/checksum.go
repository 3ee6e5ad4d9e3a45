package core

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrMalformedChecksum is returned for a checksums-file line that is not "HEX  NAME".
var ErrMalformedChecksum = errors.New("malformed checksum line")

// Checksums-file bounds: a line longer than MaxChecksumLine or a file larger than
// MaxChecksumFile is refused rather than read.
const (
	MaxChecksumLine = 64 << 10
	MaxChecksumFile = 16 << 20
)

// ChecksumEntry is one subject from a checksums file and the line that gave it.
type ChecksumEntry struct {
	Subject
	Line int
}

// ReadChecksumFile parses a sha256sum/sha512sum/shasum output file. Each non-blank line is
// "HEX  NAME" (text mode) or "HEX *NAME" (binary mode); the algorithm follows from the hex
// length (64: sha256, 128: sha512). Errors name the file and line.
func ReadChecksumFile(path string) ([]Subject, error) {
	entries, err := readChecksumEntries(path)
	if err != nil {
		return nil, err
	}
	out := make([]Subject, len(entries))
	for i, e := range entries {
		out[i] = e.Subject
	}
	return out, nil
}

func readChecksumEntries(path string) ([]ChecksumEntry, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonblock, 0) // a FIFO must not hang the run
	if err != nil {
		return nil, fmt.Errorf("reading checksums file %q: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("reading checksums file %q: %w", path, err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("checksums file %q: not a regular file (%s)", path, fileKind(fi.Mode()))
	} else if fi.Size() > MaxChecksumFile {
		return nil, fmt.Errorf("checksums file %q: %d bytes, larger than the %d-byte limit", path, fi.Size(), MaxChecksumFile)
	}
	return ParseChecksums(f, path)
}

// ParseChecksums parses checksums-file text read from r; source names it in errors
// ("SHA256SUMS:3: …"). Names are normalised (NormalizeName) and lines in GNU coreutils'
// escaped form ("\HEX  NAME" with "\\" and "\n" in NAME) are decoded. Input beyond
// MaxChecksumFile bytes is an error.
func ParseChecksums(r io.Reader, source string) ([]ChecksumEntry, error) {
	lr := &io.LimitedReader{R: r, N: MaxChecksumFile + 1}
	var out []ChecksumEntry
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), MaxChecksumLine)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		s, err := parseChecksumLine(text)
		if err != nil && lr.N <= 0 {
			break // a line cut by the size limit: report the limit
		}
		if err != nil {
			return nil, fmt.Errorf("checksums file %s:%d: %w", source, line, err)
		}
		out = append(out, ChecksumEntry{Subject: s, Line: line})
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("checksums file %q: larger than the %d-byte limit", source, MaxChecksumFile)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("checksums file %s:%d: line longer than %d bytes", source, line+1, MaxChecksumLine)
		}
		return nil, fmt.Errorf("reading checksums file %q: %w", source, err)
	}
	return out, nil
}

func parseChecksumLine(text string) (Subject, error) {
	shown := QuoteName(text)
	escaped := strings.HasPrefix(text, `\`)
	if escaped {
		text = text[1:]
	}
	h, rest, ok := strings.Cut(text, " ")
	if !ok || rest == "" {
		return Subject{}, fmt.Errorf("%w %s: expected \"HEX  NAME\" or \"HEX *NAME\"", ErrMalformedChecksum, shown)
	}
	var alg string
	switch len(h) {
	case 64:
		alg = SHA256
	case 128:
		alg = SHA512
	default:
		return Subject{}, fmt.Errorf("%w %s: digest has %d hex digits, expected 64 (sha256) or 128 (sha512)", ErrMalformedChecksum, shown, len(h))
	}
	if _, err := hex.DecodeString(h); err != nil {
		return Subject{}, fmt.Errorf("%w %s: digest is not hexadecimal", ErrMalformedChecksum, shown)
	}
	// sha256sum writes two characters between digest and name: a space, then ' ' or '*'.
	name := rest
	if len(rest) > 1 && (rest[0] == ' ' || rest[0] == '*') {
		name = rest[1:]
	}
	if strings.TrimSpace(name) == "" {
		return Subject{}, fmt.Errorf("%w %s: missing file name after the digest", ErrMalformedChecksum, shown)
	}
	if escaped {
		var err error
		if name, err = unescapeChecksumName(name); err != nil {
			return Subject{}, fmt.Errorf("%w %s: %w", ErrMalformedChecksum, shown, err)
		}
	}
	name, err := NormalizeName(name)
	if err != nil {
		return Subject{}, err
	}
	return Subject{Name: name, Digest: map[string]string{alg: strings.ToLower(h)}}, nil
}

// unescapeChecksumName decodes the "\\" and "\n" escapes GNU coreutils writes in the name of
// a line that starts with a backslash.
func unescapeChecksumName(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", errors.New("name ends in a lone backslash")
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("unknown escape \\%c in the name", s[i])
		}
	}
	return b.String(), nil
}

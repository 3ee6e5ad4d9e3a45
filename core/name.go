package core

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrUnsafeName is returned for a subject name that could deceive a reader or escape the base
// directory: a control or bidirectional-override character, invalid UTF-8, an absolute path,
// or a ".." segment.
var ErrUnsafeName = errors.New("unsafe subject name")

// QuoteName returns name Go-quoted, with control, bidirectional and non-UTF-8 characters
// escaped (as %q does), for error messages.
func QuoteName(name string) string { return strconv.Quote(name) }

// PrintableName returns name as it is safe to print in a report: unchanged when it holds no
// character deceptiveChar rejects, otherwise quoted with those characters escaped.
func PrintableName(name string) string {
	if deceptiveChar(name) < 0 {
		return name
	}
	return strconv.Quote(name)
}

// deceptiveChar returns the byte offset of the first character that must not appear in a
// name (C0 and C1 controls, DEL, bidirectional controls, invalid UTF-8), or -1.
func deceptiveChar(s string) int {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, n := utf8.DecodeRuneInString(s[i:]); n <= 1 {
				return i // invalid UTF-8
			}
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return i
		case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return i // Arabic letter mark, LRM/RLM, embeddings and overrides, isolates
		}
	}
	return -1
}

// checkNameChars refuses a name holding a character deceptiveChar rejects.
func checkNameChars(name string) error {
	if i := deceptiveChar(name); i >= 0 {
		return fmt.Errorf("%w %s: control, bidirectional-override or non-UTF-8 character at byte %d", ErrUnsafeName, strconv.Quote(name), i)
	}
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrUnsafeName)
	}
	return nil
}

// NormalizeName returns the canonical form of a subject name given by a checksums file or a
// NAME@DIGEST reference: a clean, slash-separated relative path ("./dist//a" → "dist/a"), or a
// URL-like name ("scheme://…") unchanged. Absolute paths, drive letters, ".." segments and
// deceptive characters are refused.
func NormalizeName(name string) (string, error) {
	if err := checkNameChars(name); err != nil {
		return "", err
	}
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || hasDriveLetter(name) {
		return "", fmt.Errorf("%w %q: absolute path; name subjects relative to the working directory", ErrUnsafeName, name)
	}
	for _, seg := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return "", fmt.Errorf("%w %q: \"..\" leaves the working directory; name subjects relative to it", ErrUnsafeName, name)
		}
	}
	if strings.Contains(name, "://") {
		return name, nil
	}
	clean := path.Clean(name)
	if clean == "." {
		return "", fmt.Errorf("%w %q: names no file", ErrUnsafeName, name)
	}
	return clean, nil
}

// hasDriveLetter reports whether name starts with a Windows drive: absolute ("C:\", "c:/") or
// relative to that drive's working directory ("C:", "c:x"), which Windows would not resolve
// under the working directory either.
func hasDriveLetter(name string) bool {
	if len(name) < 2 || name[1] != ':' {
		return false
	}
	c := name[0] | 0x20
	return c >= 'a' && c <= 'z'
}

// maxFlatName bounds FlatName's result, leaving room for extensions within the usual
// 255-byte file-name limit.
const maxFlatName = 180

// FlatName maps a subject name to a flat file name, injectively, so that two subjects never
// share an output file: ASCII letters, digits, '.' and '-' stay; '/' becomes '_'; every other
// byte (including '_' and '%') becomes %XX; a leading '.' becomes %2E. A result longer than
// 180 bytes is cut and ends in '~' and 16 hex digits of the name's SHA-256 ('~' appears in no
// other result).
func FlatName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '/':
			b.WriteByte('_')
		case c == '.' && i == 0:
			b.WriteString("%2E")
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	s := b.String()
	if len(s) <= maxFlatName {
		return s
	}
	cut := maxFlatName - 17
	for cut > 0 && s[cut-1] == '%' || cut > 1 && s[cut-2] == '%' {
		cut-- // do not split an escape
	}
	return s[:cut] + "~" + sha256Hex([]byte(name))[:16]
}

// SBOMFileName is the file an SBOM document of subject name in format (spdx-json or
// cyclonedx-json) is written to, by attest under sbom/ and by signet sbom into a directory.
func SBOMFileName(name, format string) string {
	return FlatName(name) + sbomExt(format)
}

// Package shellwords splits a command line the way a POSIX shell splits a simple command into
// the words a program receives. The tests use it to run every command signet prints for users
// to copy exactly as a shell would run it.
package shellwords

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Errors Split returns.
var (
	// ErrNotSimple means the line holds something a shell would expand or interpret.
	ErrNotSimple = errors.New("not a simple command of literal words")
	// ErrIncomplete means the line ends inside a quote or after a backslash.
	ErrIncomplete = errors.New("the command continues on the next line")
)

// Split splits one POSIX shell command line into the words the program receives, as
// sh(1) does for a simple command: blanks separate words, '…' quotes literally, "…" quotes
// with \ escaping $ ` " \ and newline, $'…' decodes backslash escapes (POSIX.1-2024, bash),
// \ outside quotes escapes the next character, and backslash-newline joins lines. Anything the shell would expand or interpret (unquoted
// $ ` | & ; < > ( ) * ? [ ~ # and $ or ` in double quotes) is ErrNotSimple: a printed command
// must mean exactly its words.
func Split(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		case r == '\\':
			if i+1 == len(rs) {
				return nil, fmt.Errorf("%w: a trailing backslash", ErrIncomplete)
			}
			i++
			if rs[i] != '\n' {
				w.WriteRune(rs[i])
				inWord = true
			}
		case r == '\'':
			end := slices.Index(rs[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("%w: an unterminated single quote", ErrIncomplete)
			}
			w.WriteString(string(rs[i+1 : i+1+end]))
			i, inWord = i+1+end, true
		case r == '$' && i+1 < len(rs) && rs[i+1] == '\'':
			n, err := ansiC(rs[i+2:], &w)
			if err != nil {
				return nil, err
			}
			i, inWord = i+1+n, true
		case r == '"':
			inWord = true
			for i++; ; i++ {
				if i == len(rs) {
					return nil, fmt.Errorf("%w: an unterminated double quote", ErrIncomplete)
				}
				c := rs[i]
				if c == '"' {
					break
				}
				if c == '$' || c == '`' {
					return nil, fmt.Errorf("%w: %q expands inside double quotes", ErrNotSimple, c)
				}
				if c == '\\' && i+1 < len(rs) && strings.ContainsRune("$`\"\\\n", rs[i+1]) {
					i++
					if rs[i] != '\n' {
						w.WriteRune(rs[i])
					}
					continue
				}
				w.WriteRune(c)
			}
		case strings.ContainsRune("$`|&;<>()*?[", r), (r == '~' || r == '#') && !inWord:
			return nil, fmt.Errorf("%w: unquoted %q", ErrNotSimple, r)
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// ansiC decodes the inside of a $'…' word up to its closing quote into w and returns how many
// runes it consumed, the closing quote included.
func ansiC(rs []rune, w *strings.Builder) (int, error) {
	simple := map[rune]byte{'a': '\a', 'b': '\b', 'e': 0x1b, 'E': 0x1b, 'f': '\f', 'n': '\n', 'r': '\r',
		't': '\t', 'v': '\v', '\\': '\\', '\'': '\'', '"': '"', '?': '?'}
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\'' {
			return i + 1, nil
		}
		if rs[i] != '\\' {
			w.WriteRune(rs[i])
			continue
		}
		i++
		if i == len(rs) {
			break
		}
		if b, ok := simple[rs[i]]; ok {
			w.WriteByte(b)
			continue
		}
		digits, base, max, allowed, unicode := "", 16, 0, "0123456789abcdefABCDEF", rs[i] == 'u' || rs[i] == 'U'
		switch rs[i] {
		case 'x':
			max = 2
		case 'u':
			max = 4
		case 'U':
			max = 8
		default:
			if rs[i] < '0' || rs[i] > '7' {
				return 0, fmt.Errorf("%w: $'…' escape \\%c", ErrNotSimple, rs[i])
			}
			base, max, allowed, i = 8, 3, "01234567", i-1
		}
		for i+1 < len(rs) && len(digits) < max && strings.ContainsRune(allowed, rs[i+1]) {
			i++
			digits += string(rs[i])
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return 0, fmt.Errorf("%w: $'…' escape with no digits", ErrNotSimple)
		}
		if unicode {
			w.WriteRune(rune(v))
		} else {
			w.WriteByte(byte(v))
		}
	}
	return 0, fmt.Errorf("%w: an unterminated $'…'", ErrIncomplete)
}

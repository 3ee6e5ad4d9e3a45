package core

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ShellQuote quotes s as one word of a command line a user copies into a shell. It is the one
// quoting rule of every command signet prints (job summaries, logs, reports):
//   - a word made only of letters, digits and -_./:@+,= (= not first: zsh expands a leading
//     =) stays as it is;
//   - any other word is single-quoted, which every POSIX shell reads literally;
//   - a word holding a character that must not be printed as it is (a control, a
//     bidirectional override, invalid UTF-8) is written in the $'…' form (POSIX.1-2024, bash,
//     zsh, ksh) with that character as a visible escape, so the page shows what the shell gets.
func ShellQuote(s string) string {
	if s != "" && s[0] != '=' && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,") == "" {
		return s
	}
	if !hasUnprintable(s) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case !strconv.IsPrint(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteString("'")
	return b.String()
}

// hasUnprintable reports whether s holds invalid UTF-8 or a rune strconv.IsPrint refuses.
func hasUnprintable(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || !strconv.IsPrint(r) {
			return true
		}
		i += n
	}
	return false
}

package gitlab_test

import (
	"fmt"
	"strings"
	"testing"
)

// shellWords splits one simple command the way a POSIX shell (XCU 2.2, 2.3, 2.6.7) splits it
// into the words a program receives: blanks and newlines separate words, a backslash quotes
// the next character (and removes itself with a following newline, the line continuation),
// single quotes quote everything up to the next one, and double quotes quote everything but
// $, ` and a backslash before $ ` " \ or newline. Anything a shell would expand or treat as an
// operator outside quotes (parameters, command substitution, globs, ~, #, ;, |, &, <, >, (, ))
// is an error: a command printed for users to copy must not depend on it.
func shellWords(s string) ([]string, error) {
	var (
		words  []string
		w      strings.Builder
		inWord bool
	)
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
			i++
			if i == len(rs) {
				return nil, fmt.Errorf("%q: a backslash at the end", s)
			}
			if rs[i] != '\n' {
				w.WriteRune(rs[i])
				inWord = true
			}
		case r == '\'':
			end := strings.IndexRune(string(rs[i+1:]), '\'')
			if end < 0 {
				return nil, fmt.Errorf("%q: unterminated single quote", s)
			}
			quoted := []rune(string(rs[i+1:])[:end])
			w.WriteString(string(quoted))
			i += len(quoted) + 1
			inWord = true
		case r == '"':
			n, err := doubleQuoted(rs[i+1:], &w)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", s, err)
			}
			i += n + 1
			inWord = true
		case strings.ContainsRune("|&;<>()$`*?[", r), (r == '#' || r == '~') && !inWord:
			return nil, fmt.Errorf("%q: unquoted %q, which a shell interprets", s, r)
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

// doubleQuoted reads the inside of a double-quoted string up to its closing quote into w and
// returns how many runes it consumed before that quote.
func doubleQuoted(rs []rune, w *strings.Builder) (int, error) {
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '"':
			return i, nil
		case r == '$' || r == '`':
			return 0, fmt.Errorf("%q inside double quotes, which a shell expands", r)
		case r == '\\' && i+1 < len(rs) && strings.ContainsRune("$`\"\\\n", rs[i+1]):
			i++
			if rs[i] != '\n' {
				w.WriteRune(rs[i])
			}
		default:
			w.WriteRune(r)
		}
	}
	return 0, fmt.Errorf("unterminated double quote")
}

// summaryCommand returns the command of the job-log summary that starts with prefix, its
// continuation lines joined as a shell joins them.
func summaryCommand(t *testing.T, log, prefix string) string {
	t.Helper()
	lines := strings.Split(log, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), prefix) {
			continue
		}
		cmd := []string{l}
		for strings.HasSuffix(cmd[len(cmd)-1], "\\") && i+len(cmd) < len(lines) {
			cmd = append(cmd, lines[i+len(cmd)])
		}
		return strings.Join(cmd, "\n")
	}
	t.Fatalf("the job log has no %q command:\n%s", prefix, log)
	return ""
}

// TestShellWords pins the parser the verify-command test relies on to the shell's rules.
func TestShellWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string // nil: an error
	}{
		{"signet verify --index a/index.json", []string{"signet", "verify", "--index", "a/index.json"}},
		{"a  'b c'\t\"d\\\"e\" f\\ g", []string{"a", "b c", `d"e`, "f g"}},
		{`'it'\''s' "x\y" "\\" ''`, []string{"it's", `x\y`, `\`, ""}},
		{"a \\\n    b \\\n  'c\nd'", []string{"a", "b", "c\nd"}},
		{`'$HOME' "a#b" a#b x=~`, []string{"$HOME", "a#b", "a#b", "x=~"}},
		{"a=b 'dist/app v2.tar.gz@sha256:bb'", []string{"a=b", "dist/app v2.tar.gz@sha256:bb"}},
		{"a $HOME", nil}, {"a `id`", nil}, {`a "$x"`, nil}, {"a dist/*", nil}, {"a b?", nil}, {"a [x]", nil},
		{"a; rm -rf x", nil}, {"a | b", nil}, {"a & b", nil}, {"a > f", nil}, {"a (b)", nil},
		{"a #comment", nil}, {"a ~/x", nil}, {"a 'open", nil}, {`a "open`, nil}, {`a \`, nil},
	}
	for _, tt := range tests {
		got, err := shellWords(tt.in)
		if tt.want == nil {
			if err == nil {
				t.Errorf("shellWords(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("shellWords(%q): %v", tt.in, err)
			continue
		}
		if diff := cmpDiff(tt.want, got); diff != "" {
			t.Errorf("shellWords(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

package policy

import (
	"math/rand/v2"
	"path"
	"regexp"
	"testing"
)

// TestGlobRegexpNeverWider: for random globs and names over an alphabet of the characters that
// matter ('/', '@', '.', metacharacters), a name the translated regexp matches is one
// path.Match (verify's matcher) accepts too: the export is never a wider rule.
func TestGlobRegexpNeverWider(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	const globAlpha, nameAlpha = "ab/@.*?\\+(", "ab/@.*?\\+("
	pick := func(alpha string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		return string(b)
	}
	var checked, matched int
	for range 20000 {
		glob := pick(globAlpha, 1+r.IntN(6))
		if _, err := path.Match(glob, ""); err != nil {
			continue
		}
		for _, not := range []string{"/", "/@"} {
			body, err := globRegexp(glob, not)
			if err != nil {
				t.Fatalf("globRegexp(%q): %v", glob, err)
			}
			re := regexp.MustCompile("^" + body + "$")
			for range 20 {
				name := pick(nameAlpha, r.IntN(7))
				if len(glob) > 0 && r.IntN(3) == 0 {
					name = literalOf(glob) // names near the pattern
				}
				checked++
				if !re.MatchString(name) {
					continue
				}
				matched++
				if ok, _ := path.Match(glob, name); !ok {
					t.Fatalf("glob %q as regexp %q matches %q, which path.Match refuses", glob, re, name)
				}
			}
		}
	}
	if matched < 1000 {
		t.Fatalf("only %d of %d probes matched: the property was barely exercised", matched, checked)
	}
	t.Logf("%d probes, %d matched, none wider than path.Match", checked, matched)
}

// literalOf is glob with its escapes resolved and metacharacters kept as characters.
func literalOf(glob string) string {
	var b []byte
	for i := 0; i < len(glob); i++ {
		if glob[i] == '\\' && i+1 < len(glob) {
			i++
		}
		b = append(b, glob[i])
	}
	return string(b)
}

// TestGlobRegexpExact: the translation of each metacharacter, and escapes as literals.
func TestGlobRegexpExact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ glob, not, want string }{
		{"refs/tags/v*", "/@", `refs/tags/v[^/@]*`},
		{"a.b?c", "/", `a\.b[^/]c`},
		{`a\*b`, "/", `a\*b`},
		{`(x)|y+`, "/", `\(x\)\|y\+`},
	} {
		got, err := globRegexp(tc.glob, tc.not)
		if err != nil || got != tc.want {
			t.Errorf("globRegexp(%q, %q) = %q, %v; want %q", tc.glob, tc.not, got, err, tc.want)
		}
	}
	if _, err := globRegexp("a[b]", "/"); err == nil {
		t.Error("a character class was translated")
	}
	if _, err := globRegexp(`a\`, "/"); err == nil {
		t.Error("a trailing escape was translated")
	}
}

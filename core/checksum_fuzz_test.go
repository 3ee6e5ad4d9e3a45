package core_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/signet-ci/signet/core"
)

// FuzzParseChecksums feeds arbitrary text to the checksums parser: it must not panic, every
// name it returns must be normalised and safe, every digest well-formed, and what it returns
// must parse back to itself.
func FuzzParseChecksums(f *testing.F) {
	h := strings.Repeat("ab", 32)
	for _, s := range []string{
		h + "  dist/a.tar.gz\n", h + " *b.zip\r\n\n", strings.Repeat("0", 128) + "  c with space\n",
		`\` + h + `  a\\b\nc` + "\n", h + "  ../../etc/passwd\n", h + "  /etc/shadow\n", h + "  a\x1bb\n",
		h + "  ./x//y/\n", h + "  a\u202eb\n", h + "  https://x/y\n", "\\", h + "\\  x", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := core.ParseChecksums(bytes.NewReader(data), "SUMS")
		if err != nil {
			if !strings.Contains(err.Error(), "SUMS") {
				t.Fatalf("error does not name the file: %v", err)
			}
			if !errors.Is(err, core.ErrMalformedChecksum) && !errors.Is(err, core.ErrUnsafeName) &&
				!strings.Contains(err.Error(), "longer than") {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		var again strings.Builder
		for _, e := range got {
			if n, err := core.NormalizeName(e.Name); err != nil || n != e.Name {
				t.Fatalf("returned name %q is not normalised: %q %v", e.Name, n, err)
			}
			if len(e.Digest) != 1 {
				t.Fatalf("entry %q has %d digests", e.Name, len(e.Digest))
			}
			for alg, hex := range e.Digest {
				if want := map[string]int{"sha256": 64, "sha512": 128}[alg]; want == 0 || len(hex) != want || strings.ToLower(hex) != hex {
					t.Fatalf("bad digest %s:%s", alg, hex)
				}
				again.WriteString(hex + "  " + e.Name + "\n")
			}
		}
		back, err := core.ParseChecksums(strings.NewReader(again.String()), "again")
		if err != nil || len(back) != len(got) {
			t.Fatalf("output does not parse back: %v (%d vs %d entries)", err, len(back), len(got))
		}
		for i := range back {
			if back[i].Name != got[i].Name {
				t.Fatalf("name %q parsed back as %q", got[i].Name, back[i].Name)
			}
		}
	})
}

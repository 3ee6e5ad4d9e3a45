package shellwords

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/ci"
)

// TestSplitAgreesWithSh checks Split against the system's sh on words quoted by ci.ShellQuote
// and by hand.
func TestSplitAgreesWithSh(t *testing.T) {
	t.Parallel()
	hostile := []string{"plain", "dist/app-1.0_x86+64,a=b:c@d", "a b", "it's", `"quoted"`, `back\slash`, "$HOME", "`id`",
		"a|b;c&d", "<x>", "*.tar.gz", "~root", "#not-a-comment", "=lead", "new\nline", "tab\there", "", "'", `\'`, "ünï©ødé", "\x01ctrl", "rtl\u202eexe", "\xff\xfe"}
	var quoted []string
	for _, h := range hostile {
		quoted = append(quoted, ci.ShellQuote(h))
	}
	lines := []string{
		strings.Join(quoted, " "),
		strings.Join(quoted, " \\\n  "),
		`a"b c"'d e'\ f "x\"y\\z\$" "\q"`,
		"signet verify \\\n  --index 'attestations/index.json' \\\n  dist/app",
		`$'a\nb' $'\x41\u00e9\U0001F600\101\'\\' x$'\t'y $'\xff'`,
	}
	for _, line := range lines {
		got, err := Split(line)
		if err != nil {
			t.Fatalf("Split(%q): %v", line, err)
		}
		// bash prints each word NUL-terminated (bash reads $'…', which ShellQuote writes for
		// unprintable characters); set -f turns globbing off in case Split is wrong.
		out, err := exec.Command("bash", "-c", "set -f; p() { for w in \"$@\"; do printf '%s\\0' \"$w\"; done; }; p "+line).Output()
		if err != nil {
			t.Fatalf("bash on %q: %v", line, err)
		}
		want := strings.Split(string(out), "\x00")
		want = want[:len(want)-1]
		if !slices.Equal(got, want) {
			t.Errorf("Split(%q) = %q; bash says %q", line, got, want)
		}
	}
	if got, _ := Split(strings.Join(quoted, " ")); !slices.Equal(got, hostile) {
		t.Errorf("ci.ShellQuote round trip: %q, want %q", got, hostile)
	}
}

func TestSplit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want []string
		err  error
	}{
		{in: "signet verify --index a/index.json", want: []string{"signet", "verify", "--index", "a/index.json"}},
		{in: "a  'b c'\t\"d\\\"e\" f\\ g", want: []string{"a", "b c", `d"e`, "f g"}},
		{in: `'it'\''s' "x\y" "\\" ''`, want: []string{"it's", `x\y`, `\`, ""}},
		{in: "a \\\n    b \\\n  'c\nd'", want: []string{"a", "b", "c\nd"}},
		{in: `'$HOME' "a#b" a#b x=~`, want: []string{"$HOME", "a#b", "a#b", "x=~"}},
		{in: "a=b 'dist/app v2.tar.gz@sha256:bb'", want: []string{"a=b", "dist/app v2.tar.gz@sha256:bb"}},
		{in: "a $HOME", err: ErrNotSimple}, {in: "a `id`", err: ErrNotSimple}, {in: `a "$x"`, err: ErrNotSimple},
		{in: "a dist/*", err: ErrNotSimple}, {in: "a b?", err: ErrNotSimple}, {in: "a [x]", err: ErrNotSimple},
		{in: "a; rm -rf x", err: ErrNotSimple}, {in: "a | b", err: ErrNotSimple}, {in: "a & b", err: ErrNotSimple},
		{in: "a > f", err: ErrNotSimple}, {in: "a (b)", err: ErrNotSimple}, {in: "a #comment", err: ErrNotSimple},
		{in: "a ~/x", err: ErrNotSimple},
		{in: "a 'open", err: ErrIncomplete}, {in: "a $'open", err: ErrIncomplete}, {in: `a $'\q'`, err: ErrNotSimple}, {in: `a "open`, err: ErrIncomplete}, {in: `a \`, err: ErrIncomplete},
	} {
		got, err := Split(tt.in)
		if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("Split(%q) = %q, %v; want error %v", tt.in, got, err, tt.err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); tt.err == nil && diff != "" {
			t.Errorf("Split(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

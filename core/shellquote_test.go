package core

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestShellQuoteRoundTrip runs every quoted word through a shell, which must hand the
// program exactly the original bytes (nothing expanded, split or executed), and checks that
// the quoted text prints no control or bidirectional character. Words that need no $'…' form
// go through sh (POSIX); the others through bash.
func TestShellQuoteRoundTrip(t *testing.T) {
	t.Parallel()
	canary := filepath.Join(t.TempDir(), "pwned")
	words := []string{
		"plain", "dist/app-1.0_x86.tar.gz", "ghcr.io/org/app@sha256:e3b0c442", "a=b", "=cmd", "-n",
		"two words", "it's", `"double"`, "$(touch " + canary + ")", "`touch " + canary + "`", "$HOME", "${IFS}",
		"a;touch " + canary, "a|b", "a&b", "glob*", "?", "[ab]", "~", "~root", `back\slash`, "!", "#comment", "%1",
		"{a,b}", "'", "''", "ünïcödé", " leading", "trailing ", "",
		// unprintable: the $'…' form
		"new\nline", "tab\there", "\x01ctrl", "a\x1b[31mb", "rtl\u202eexe", "\xff\xfe", "quote'and\u2066isolate",
	}
	for _, w := range words {
		q := ShellQuote(w)
		if hasUnprintable(q) {
			t.Errorf("ShellQuote(%q) = %q prints an unsafe character", w, q)
		}
		shell := "sh"
		if hasUnprintable(w) {
			shell = "bash"
		}
		bin, err := exec.LookPath(shell)
		if err != nil {
			t.Fatalf("%s is needed to check the quoting: %v", shell, err)
		}
		out, err := exec.Command(bin, "-c", "printf '%s' "+q).Output()
		if err != nil {
			t.Errorf("%s -c printf %s: %v", shell, q, err)
			continue
		}
		if string(out) != w {
			t.Errorf("ShellQuote(%q) = %s, which %s reads as %q", w, q, shell, out)
		}
	}
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("a quoted word ran a command")
	}
	if got := ShellQuote(""); got != "''" {
		t.Errorf(`ShellQuote("") = %s, want ''`, got)
	}
}

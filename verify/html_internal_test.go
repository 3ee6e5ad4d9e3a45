package verify

import (
	"os/exec"
	"strings"
	"testing"
)

// TestShellQuoteRoundTrip runs every quoted word through bash: the shell must read back the
// exact value, and the quoted text must print no control or bidirectional character.
func TestShellQuoteRoundTrip(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is needed to check the quoting: %v", err)
	}
	words := []string{"plain", "with space", "it's", `back\slash`, "$(rm -rf /)", "`id`", "a\x1b[31mb", "new\nline",
		"rtl\u202eexe", "\xff\xfe", "quote'and\u2066isolate", "", "tab\there", "ünïcödé"}
	for _, w := range words {
		q := shellQuote(w)
		if needsEscape(q) {
			t.Errorf("shellQuote(%q) = %q prints an unsafe character", w, q)
		}
		out, err := exec.Command(bash, "-c", "printf %s "+q).Output()
		if err != nil {
			t.Fatalf("bash reading %s: %v", q, err)
		}
		if string(out) != w {
			t.Errorf("bash read %s as %q, want %q", q, out, w)
		}
	}
}

// TestSafeURL links only absolute https URLs with nothing to escape.
func TestSafeURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"https://github.com/o/r":                true,
		"http://github.com/o/r":                 false,
		"javascript:alert(1)":                   false,
		"https://github.com/o/r\"onmouseover=x": false,
		"https://user@evil.example/":            false,
		"https://github.com/o/\u202er":          false,
		"//github.com/o/r":                      false,
		"https:///path":                         false,
		"data:text/html,<script>":               false,
	} {
		if got := safeURL(in) != ""; got != want {
			t.Errorf("safeURL(%q) linked = %v, want %v", in, got, want)
		}
	}
}

// TestPlatformLinks turns build signer URIs into links to the workflow file at the commit.
func TestPlatformLinks(t *testing.T) {
	t.Parallel()
	const sha = "5d3c6e0f2b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d"
	gh, gl := platformLinks{}, platformLinks{gitlab: true}
	tests := []struct {
		l                    platformLinks
		signer, repo, commit string
		want                 string
	}{
		{gh, "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main", "https://github.com/o/r", sha,
			"https://github.com/o/r/blob/" + sha + "/.github/workflows/release.yml"},
		{gh, "https://github.com/org/shared/.github/workflows/build.yml@refs/tags/v1", "https://github.com/o/r", sha,
			"https://github.com/org/shared/blob/v1/.github/workflows/build.yml"},
		{gl, "https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main", "https://gitlab.com/g/p", sha,
			"https://gitlab.com/g/p/-/blob/" + sha + "/.gitlab-ci.yml"},
		{gh, "https://github.com/o/r/.github/workflows/x.yml", "https://github.com/o/r", sha, ""},
		{gh, "javascript:alert(1)//@x", "", "", ""},
	}
	for _, tt := range tests {
		if got := tt.l.workflow(tt.signer, tt.repo, tt.commit); got != tt.want {
			t.Errorf("workflow(%q) = %q, want %q", tt.signer, got, tt.want)
		}
	}
	if got := gl.commit("https://gitlab.com/g/p", sha); got != "https://gitlab.com/g/p/-/commit/"+sha {
		t.Errorf("gitlab commit link %q", got)
	}
	if got := gh.commit("https://github.com/o/r", "../../evil"); got != "" {
		t.Errorf("a commit with a path links to %q", got)
	}
}

// TestPlainFailure says each check's failure in words, with what was expected and found.
func TestPlainFailure(t *testing.T) {
	t.Parallel()
	got := plainFailure(mismatch(CheckIdentity, "source ref", "refs/tags/v*", "refs/heads/main", "the certificate's source ref"))
	for _, want := range []string{"The signer is not one the policy trusts (source ref).", `Expected "refs/tags/v*", found "refs/heads/main".`, "The certificate's source ref."} {
		if !strings.Contains(got, want) {
			t.Errorf("plainFailure = %q, missing %q", got, want)
		}
	}
	if got := plainFailure(&Failure{Check: "new check", Reason: "x"}); !strings.HasPrefix(got, "The new check check failed.") {
		t.Errorf("unknown check: %q", got)
	}
}

package verify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
)

// hostileNames are names an attacker controls (a subject, a file, a claim) that would drive a
// terminal, fake a report line, reorder text or break a Markdown row if printed raw.
var hostileNames = []struct{ name, in, want string }{
	{"plain", "dist/app.tar.gz", "dist/app.tar.gz"},
	{"unicode letters stay", "dist/приложение-✅.bin", "dist/приложение-✅.bin"},
	{"ESC colour", "dist/\x1b[32mPASS\x1b[0m", `dist/\x1b[32mPASS\x1b[0m`},
	{"clear screen", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
	{"newline fakes a line", "evil.bin\nPASS dist/app.tar.gz", `evil.bin\nPASS dist/app.tar.gz`},
	{"carriage return overwrites", "evil.bin\rPASS", `evil.bin\rPASS`},
	{"tab", "a\tb", `a\tb`},
	{"NUL", "a\x00b", `a\x00b`},
	{"DEL", "a\x7fb", `a\x7fb`},
	{"C1 CSI", "a\u009b31mb", `a\u009b31mb`},
	{"C1 NEL", "a\u0085b", `a\u0085b`},
	{"RLO reorders", "dist/\u202egpj.exe", `dist/\u202egpj.exe`},
	{"LRE PDF", "\u202aa\u202c", `\u202aa\u202c`},
	{"isolates", "\u2066a\u2067b\u2068c\u2069", `\u2066a\u2067b\u2068c\u2069`},
	{"LRM RLM ALM", "a\u200eb\u200fc\u061c", `a\u200eb\u200fc\u061c`},
	{"zero-width space", "app\u200b.bin", `app\u200b.bin`},
	{"line separator", "a\u2028b\u2029c", `a\u2028b\u2029c`},
	{"no-break space look-alike", "app\u00a0.bin", `app\u00a0.bin`},
	{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
	{"tag character", "a\U000E0041b", `a\U000e0041b`},
}

func TestEscape(t *testing.T) {
	t.Parallel()
	for _, tt := range hostileNames {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := escape(tt.in); got != tt.want {
				t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := escape(tt.in); !printable(got) {
				t.Errorf("escape(%q) = %q still holds a rune a terminal acts on", tt.in, got)
			}
		})
	}
}

// printable reports whether s holds only printable runes and newlines (the report's own).
func printable(s string) bool {
	for i, r := range s {
		if r == '\n' {
			continue
		}
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || unsafeRune(r) {
			return false
		}
	}
	return true
}

// hostileReport has one artifact per hostile name: passing ones carry the name in their
// signer claims too, failing ones in the failure's found value and reason.
func hostileReport(t *testing.T) *Report {
	t.Helper()
	c, err := Policy{Identity: Identity{Shorthands: Shorthands{GitHub: "signet-ci/signet-demo"}}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	var results []*Result
	for i, h := range hostileNames {
		r := &Result{Name: h.in, Digest: core.SHA256 + ":" + strings.Repeat("a", 64), Bundle: "attestations/" + h.in + ".sigstore.json"}
		if i%2 == 0 {
			r.Verified = true
			r.Signer = &Signer{Issuer: GitHubIssuer, Identity: "https://github.com/x/" + h.in, SourceRepository: "https://github.com/" + h.in,
				SourceRef: "refs/heads/" + h.in, RunInvocation: h.in}
		} else {
			r.Failure = mismatch(CheckSubject, "digest of "+h.in, "sha256:"+h.in, "sha256:b", "no subject named "+h.in)
			r.Rejected = []Rejection{{Bundle: h.in, Failure: &Failure{Check: CheckBundle, Reason: "reading bundle " + h.in}}}
		}
		results = append(results, r)
	}
	return newReport(c.Policy, results)
}

func TestRenderEscapes(t *testing.T) {
	t.Parallel()
	r := hostileReport(t)
	for _, f := range []Format{FormatText, FormatMarkdown, FormatJSON} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Render(&buf, r, f); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !printable(out) {
				t.Errorf("the %s report holds a raw control or format character:\n%q", f, out)
			}
			for _, h := range hostileNames {
				if h.in != h.want && strings.Contains(out, h.in) {
					t.Errorf("%s: the raw name %q is in the report", h.name, h.in)
				}
			}
			switch f {
			case FormatText:
				// One verdict line per artifact, at the start of a line, and no other.
				verdicts := 0
				for _, l := range strings.Split(out, "\n") {
					if strings.HasPrefix(l, "PASS ") || strings.HasPrefix(l, "FAIL ") {
						verdicts++
					}
				}
				if verdicts != len(hostileNames) {
					t.Errorf("%d verdict lines for %d artifacts:\n%s", verdicts, len(hostileNames), out)
				}
				for _, h := range hostileNames {
					if !strings.Contains(out, h.want) {
						t.Errorf("%s: the escaped name %q is not in the report", h.name, h.want)
					}
				}
			case FormatMarkdown:
				rows := 0
				for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
					if strings.HasPrefix(l, "| ✅") || strings.HasPrefix(l, "| ❌") {
						rows++
						if cells := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); cells != 8 {
							t.Errorf("row has %d cell separators, want 8: %s", cells, l)
						}
					}
				}
				if rows != len(hostileNames) {
					t.Errorf("%d table rows for %d artifacts:\n%s", rows, len(hostileNames), out)
				}
			case FormatJSON:
				var back Report
				if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
					t.Fatalf("the JSON report does not parse: %v", err)
				}
				for i, h := range hostileNames {
					want := strings.ToValidUTF8(h.in, "\uFFFD")
					if diff := cmp.Diff(want, back.Artifacts[i].Name); diff != "" {
						t.Errorf("%s: name round trip (-want +got):\n%s", h.name, diff)
					}
				}
			}
		})
	}
}

func TestRenderInspectionsEscapes(t *testing.T) {
	t.Parallel()
	var ins []*Inspection
	for _, h := range hostileNames {
		ins = append(ins, &Inspection{Bundle: h.in, PredicateType: h.in,
			Subjects:   []core.Subject{{Name: h.in, Digest: map[string]string{h.in: h.in}}},
			Signer:     &Signer{Identity: h.in, Issuer: h.in, SourceRepository: h.in, SourceRef: h.in, RunInvocation: h.in},
			Provenance: &Facts{BuilderID: h.in, BuildType: h.in, SourceRepo: h.in, Ref: h.in, InvocationID: h.in}})
	}
	for _, f := range []Format{FormatText, FormatJSON} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := RenderInspections(&buf, ins, f); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !printable(out) {
				t.Errorf("the %s inspection holds a raw control or format character:\n%q", f, out)
			}
			if f == FormatText {
				if n := strings.Count(out, "\nbundle ") + boolInt(strings.HasPrefix(out, "bundle ")); n != len(hostileNames) {
					t.Errorf("%d bundle lines for %d bundles:\n%s", n, len(hostileNames), out)
				}
				for _, h := range hostileNames {
					if !strings.Contains(out, h.want+" (not verified") {
						t.Errorf("%s: the escaped bundle name %q is not shown", h.name, h.want)
					}
				}
				return
			}
			var back []*Inspection
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatalf("the JSON inspection does not parse: %v", err)
			}
			for i, h := range hostileNames {
				if want := strings.ToValidUTF8(h.in, "\uFFFD"); back[i].Subjects[0].Name != want {
					t.Errorf("%s: subject name round trip: %q, want %q", h.name, back[i].Subjects[0].Name, want)
				}
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzEscape: whatever a name holds, the escaped form is printable UTF-8 on one line, safe
// names are shown as they are, and the JSON form decodes back to the name.
func FuzzEscape(f *testing.F) {
	for _, h := range hostileNames {
		f.Add(h.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := escape(s)
		if !utf8.ValidString(got) || strings.Contains(got, "\n") || !printable(got) {
			t.Fatalf("escape(%q) = %q is not printable UTF-8 on one line", s, got)
		}
		if !needsEscape(s) && got != s {
			t.Fatalf("escape(%q) = %q changed a safe name", s, got)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		esc := escapeJSON(b)
		var back string
		if err := json.Unmarshal(esc, &back); err != nil {
			t.Fatalf("escapeJSON(%s) = %s does not decode: %v", b, esc, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); back != want {
			// encoding/json replaces each invalid byte, ToValidUTF8 each run: compare decoded forms.
			var direct string
			if err := json.Unmarshal(b, &direct); err != nil || back != direct {
				t.Fatalf("escapeJSON changed the name: %q, want %q", back, direct)
			}
		}
		if !printable(string(esc)) {
			t.Fatalf("escapeJSON(%s) = %s still holds a raw control or format character", b, esc)
		}
	})
}

package verify

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core/sigstore"
)

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

// TestHTMLContrast reads report.css and checks that every text colour the page uses has a
// WCAG contrast of at least 4.5:1 with the background it is drawn on.
func TestHTMLContrast(t *testing.T) {
	t.Parallel()
	css, err := htmlFS.ReadFile("html/report.css")
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]map[string]string{}
	for _, block := range strings.Split(string(css), "}") {
		sel, decls, ok := strings.Cut(block, "{")
		if !ok {
			continue
		}
		if i := strings.LastIndex(sel, "{"); i >= 0 {
			sel = sel[i+1:]
		}
		sel = strings.TrimSpace(sel)
		m := rules[sel]
		if m == nil {
			m = map[string]string{}
			rules[sel] = m
		}
		for _, d := range strings.Split(decls, ";") {
			if k, v, ok := strings.Cut(d, ":"); ok {
				m[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	get := func(sel, prop string) string {
		v := rules[sel][prop]
		if v == "" {
			t.Fatalf("report.css has no %s for %q", prop, sel)
		}
		return v
	}
	white := get("body", "background")
	pairs := []struct{ what, fg, bg string }{
		{"body text", get("body", "color"), white},
		{"links", get("a", "color"), white},
		{"PASS banner", get(".banner.pass", "color"), get(".banner.pass", "background")},
		{"FAIL banner", get(".banner.fail", "color"), get(".banner.fail", "background")},
		{"unverified banner", get(".banner.unverified", "color"), get(".banner.unverified", "background")},
		{"PASS verdict", get(".verdict.pass", "color"), white},
		{"FAIL verdict", get(".verdict.fail,.fail", "color"), white},
		{"unverified verdict", get(".verdict.unverified", "color"), white},
		{"details", get(".detail", "color"), white},
		{"commands", get("body", "color"), strings.Fields(get("pre", "background"))[0]},
		{"table headers", get("body", "color"), get("thead th", "background")},
		{"graph node label", get("svg text", "fill"), get("svg .node rect", "fill")},
		{"graph node sub", get("svg .sub", "fill"), get("svg .node rect", "fill")},
		{"claimed node sub", get("svg .sub", "fill"), get("svg .node.claimed rect", "fill")},
		{"artifact node sub", get("svg .sub", "fill"), get("svg .node.art rect", "fill")},
		{"column titles", get("svg .coltitle", "fill"), white},
	}
	for _, p := range pairs {
		if c := contrast(t, p.fg, p.bg); c < 4.5 {
			t.Errorf("%s: %s on %s has contrast %.2f, below 4.5", p.what, p.fg, p.bg, c)
		}
	}
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(t *testing.T, a, b string) float64 {
	lum := func(h string) float64 {
		var r, g, bl int
		if _, err := fmt.Sscanf(h, "#%02x%02x%02x", &r, &g, &bl); err != nil {
			t.Fatalf("colour %q: %v", h, err)
		}
		lin := func(c int) float64 {
			v := float64(c) / 255
			if v <= 0.03928 {
				return v / 12.92
			}
			return math.Pow((v+0.055)/1.055, 2.4)
		}
		return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(bl)
	}
	la, lb := lum(a), lum(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestBundleViewLogEntries shows a verified bundle's log entries, times and storage.
func TestBundleViewLogEntries(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	a := &Result{Name: "app.tar.gz", Digest: "sha256:ab", Verified: true, Bundle: "b.sigstore.json", BundleDigest: "sha256:cd",
		Signer:     &Signer{Identity: "release@example.com", Issuer: "https://accounts.example.com"},
		Timestamps: []Timestamp{{Kind: sigstore.TransparencyLog, Time: at}},
		LogEntries: []LogEntry{{URL: "https://rekor.example.dev", Index: 42, ID: "c0ffee", IntegratedTime: at}}}
	ev := &Evidence{Certificates: map[string]CertValidity{"sha256:cd": {NotBefore: at, NotAfter: at.Add(10 * time.Minute)}}}
	got := map[string]string{}
	for _, f := range bundleOf(a, ev, 0).Fields {
		got[f.Label] = f.Value
		if f.Href != "" {
			t.Errorf("%s links to %s: only source, commit, workflow and run are linked", f.Label, f.Href)
		}
	}
	want := map[string]string{
		"Log entry":         "index 42, log id c0ffee, integrated 2026-03-04T05:06:07Z, log https://rekor.example.dev",
		"Verified time":     "2026-03-04T05:06:07Z (transparency log integrated time)",
		"Certificate valid": "2026-03-04T05:06:07Z to 2026-03-04T05:16:07Z (10m0s)",
		"Also recorded in":  "1 transparency-log entry (above)",
		"Stored in":         "bundle file b.sigstore.json (sha256:cd)",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

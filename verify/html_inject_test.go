package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// allowedElements are the only elements the report writes.
var allowedElements = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "header": true,
	"main": true, "footer": true, "section": true, "article": true, "h1": true, "h2": true, "h3": true,
	"p": true, "strong": true, "code": true, "pre": true, "ul": true, "ol": true, "li": true, "table": true,
	"caption": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "details": true,
	"summary": true, "figure": true, "figcaption": true, "div": true, "label": true, "input": true, "a": true,
	"script": true, "svg": true, "desc": true, "text": true, "path": true, "g": true, "rect": true,
}

// checkWellFormed parses the page as a browser's tokenizer does and fails on anything a
// hostile value could have injected: an element the report does not write, an event-handler
// or style attribute, a second script or one with other content, a link that is neither an
// in-page anchor nor https, an external reference of any kind.
func checkWellFormed(t *testing.T, page []byte) {
	t.Helper()
	script, err := os.ReadFile(filepath.Join("html", "report.js"))
	if err != nil {
		t.Fatal(err)
	}
	z := html.NewTokenizer(bytes.NewReader(page))
	scripts, inScript := 0, false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if scripts != 1 {
				t.Errorf("%d script elements, want exactly the report's one", scripts)
			}
			return
		case html.TextToken:
			if inScript && string(z.Text()) != string(script) {
				t.Errorf("the script element holds something other than report.js: %.200q", z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowedElements[tok.Data] {
				t.Errorf("unexpected element <%s> in the page", tok.Data)
			}
			if tok.Data == "script" {
				scripts++
				inScript = true
			}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(k, "on"), k == "style", k == "src", k == "srcset", k == "formaction", k == "xlink:href", k == "action":
					t.Errorf("<%s> has a forbidden attribute %s=%q", tok.Data, a.Key, a.Val)
				case k == "href" && !strings.HasPrefix(a.Val, "#") && !strings.HasPrefix(a.Val, "https://"):
					t.Errorf("<%s> links to %q: only in-page anchors and https links are written", tok.Data, a.Val)
				}
			}
		case html.EndTagToken:
			inScript = false
		}
	}
}

// hostile are names and values an attacker controls: markup, script, attribute breakouts,
// control characters, bidirectional overrides.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(2)>`,
	`'><svg onload=alert(3)>`,
	"javascript:alert(4)",
	"evil\x1b[31mred\x1b[0m\r\nPASS fake line",
	"invoice\u202etxt.exe",
	"zero\u200bwidth\u2066isolate\u2069",
	"</code></td></tr></table><h1>forged verdict PASS</h1>",
	"{{.Headline}}",
	"]]><!--",
}

// TestHTMLInjection signs artifacts with hostile names and an SBOM listing hostile packages,
// renders the report and checks that every hostile value is text: no element, attribute,
// script or link comes from it, control and bidirectional characters are visible escapes,
// and the names are still there for the reader.
func TestHTMLInjection(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	var pkgs [][4]string
	for i, h := range hostile {
		name := strings.NewReplacer("/", "∕", "\x00", "").Replace(h)
		files["dist/"+name] = "hostile " + h
		pkgs = append(pkgs, [4]string{h, h, h, "pkg:" + h + "/x@1"})
		pkgs = append(pkgs, [4]string{"p" + string(rune('a'+i)), "1", "MIT", "pkg:npm/" + h + "@1"})
	}
	// The ref reaches the certificate (Fulcio copies it from the token) and the provenance.
	hostileRef := "refs/heads/\"><img src=x onerror=alert(5)>\u202e"
	c := htmlCase{preset: localsigstore.PresetGitHub, files: files, sbom: spdx(pkgs...), claims: map[string]any{"ref": hostileRef,
		"job_workflow_ref": "signet-ci/signet-demo/.github/workflows/release.yml@" + hostileRef,
		"workflow_ref":     "signet-ci/signet-demo/.github/workflows/release.yml@" + hostileRef},
		policy: func(f *fixture) verify.Policy {
			p := htmlGitHubPolicy(f)
			p.Identity.SourceRef = "refs/heads/*"
			return p
		}}
	h := c.render(t)
	if !h.report.Verified || len(h.evidence.SBOMs) != 1 {
		t.Fatalf("the hostile run did not verify with its SBOM: %v", failures(h.report))
	}
	if s := h.report.Artifacts[0].Signer; s == nil || s.SourceRef != hostileRef {
		t.Fatalf("the certificate does not carry the hostile ref: %+v", s)
	}
	checkWellFormed(t, h.html)
	page := string(h.html)
	for _, raw := range []string{"<script>alert", "<img", "<svg onload", "\x1b", "\u202e", "\u2066", "\u200b", "<h1>forged"} {
		if strings.Contains(page, raw) {
			t.Errorf("the page contains %q unescaped", raw)
		}
	}
	for _, shown := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;",
		`evil\x1b[31mred\x1b[0m\r\nPASS fake line`, `invoice\u202etxt.exe`, `zero\u200bwidth\u2066isolate\u2069`,
		"&lt;/code&gt;&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;h1&gt;forged verdict PASS&lt;/h1&gt;", "{{.Headline}}",
		`refs/heads/&#34;&gt;&lt;img src=x onerror=alert(5)&gt;\u202e`} {
		if !strings.Contains(page, shown) {
			t.Errorf("the page does not show %q as text", shown)
		}
	}
}

// TestInspectHTMLInjection renders the unverified view of a bundle whose subjects are hostile.
func TestInspectHTMLInjection(t *testing.T) {
	t.Parallel()
	f := local(t)
	files := map[string]string{}
	for _, h := range hostile {
		files["dist/"+strings.ReplaceAll(h, "/", "∕")] = h
	}
	r := f.sign(t, localsigstore.PresetKubernetes, signOpts{files: files})
	ins, err := verify.Inspect(r.bundle)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := verify.RenderInspectionsHTML(&buf, ins, verify.HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, buf.Bytes())
	if s := buf.String(); strings.Contains(s, "<img") || strings.Contains(s, "\u202e") || !strings.Contains(s, `invoice\u202etxt.exe`) {
		t.Errorf("hostile subject names are not shown as escaped text")
	}
}

// TestHTMLFailureReasons renders a run that fails for several reasons and checks each is said
// in words next to its artifact, with the expected and found values.
func TestHTMLFailureReasons(t *testing.T) {
	t.Parallel()
	h := htmlCases["github-fail"].render(t)
	page := string(h.html)
	for _, want := range []string{"FAIL: 2 of 2 artifact(s) rejected", "The signer is not one the policy trusts",
		"refs/tags/v*", "refs/heads/main", "Why artifacts failed"} {
		if !strings.Contains(page, want) {
			t.Errorf("the failing report does not say %q", want)
		}
	}
	if strings.Contains(page, "PASS: all") {
		t.Error("a failing report shows a PASS headline")
	}
}

// TestHTMLUnverifiedSBOMNotShown signs an SBOM with another identity than the policy allows:
// the report must not show its packages as verified.
func TestHTMLUnverifiedSBOMNotShown(t *testing.T) {
	t.Parallel()
	f := local(t)
	ctx := context.Background()
	r := f.sign(t, localsigstore.PresetGitHub, signOpts{})
	sbom := spdx([4]string{"planted-package", "6.6.6", "MIT", "pkg:npm/planted-package@6.6.6"})
	other := f.sign(t, localsigstore.PresetGitHub, signOpts{files: map[string]string{"dist/app.tar.gz": "archive " + t.Name(),
		"dist/app-linux-amd64": "binary " + t.Name()}, predicate: &core.Predicate{Type: core.SPDXPredicateType, JSON: sbom},
		claims: map[string]any{"repository": "attacker/fork", "repository_owner": "attacker", "job_workflow_ref": "attacker/fork/.github/workflows/release.yml@refs/heads/main"}})
	comp, err := htmlGitHubPolicy(f).Compile()
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(f.bundleVerifier(t), comp, verify.Files{r.bundle, other.bundle})
	if err != nil {
		t.Fatal(err)
	}
	rep, ev, err := v.VerifyWithEvidence(ctx, r.artifacts)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Verified {
		t.Fatalf("the provenance did not verify: %v", failures(rep))
	}
	if len(ev.SBOMs) != 0 {
		t.Fatalf("an SBOM signed by another identity was kept as verified: %+v", ev.SBOMs[0].Signer)
	}
	var buf bytes.Buffer
	if err := verify.RenderHTML(&buf, rep, verify.HTMLOptions{Evidence: ev}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "planted-package") {
		t.Error("the report shows a package from an SBOM that did not verify")
	}
}

// TestHTMLHostileFields fills every string the report shows — signer and provenance fields,
// failure fields, bundle paths, timestamp and log URIs, policy values, SBOM component fields,
// the VSA path — with each hostile value in turn, including fields no real signing run can
// reach (a javascript: run URL, a log URL with markup), and checks the page as the injection
// test does, for the verified and the inspect view.
func TestHTMLHostileFields(t *testing.T) {
	t.Parallel()
	for i, h := range hostile {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			url := "https://github.com/o/" + h
			signer := &verify.Signer{Issuer: h, Identity: h, SourceRepository: url, SourceRef: h, SourceDigest: h,
				SignerWorkflow: url + "@" + h, RunnerEnvironment: h, Trigger: h, RunInvocation: h}
			facts := &verify.Facts{Platform: "github", BuildType: h, SourceRepo: h, Commit: h, Ref: h, BuilderID: h, InvocationID: h, BuildConfigURI: h}
			ok := &verify.Result{Name: h, Digest: "sha256:" + h, Verified: true, Bundle: h, BundleDigest: h, Signer: signer, Provenance: facts,
				Timestamps: []verify.Timestamp{{Kind: h, URI: h, Time: htmlNow()}},
				LogEntries: []verify.LogEntry{{URL: h, Index: 1, ID: h, IntegratedTime: htmlNow()}}}
			bad := &verify.Result{Name: h + "2", Digest: h, Bundle: h, Failure: &verify.Failure{Check: h, Field: h, Expected: h, Found: h, Reason: h},
				Rejected: []verify.Rejection{{Bundle: h, Failure: &verify.Failure{Check: h, Reason: h}}}}
			keyed := &verify.Result{Name: h + "3", Digest: h, Verified: true, Bundle: h + "k", Provenance: facts}
			rep := &verify.Report{PredicateType: h, Policy: verify.Policy{Identity: verify.Identity{Issuer: h, Subject: h, SourceRef: h},
				Provenance: verify.Provenance{PredicateType: h, BuilderID: h}}, Artifacts: []*verify.Result{ok, bad, keyed},
				Summary: verify.Summary{Total: 3, Verified: 2, Failed: 1}}
			js, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			cdx := fmt.Appendf(nil, `{"predicate":{"components":[{"group":%[1]s,"name":%[1]s,"version":%[1]s,"purl":%[1]s,
				"licenses":[{"expression":%[1]s},{"license":{"name":%[1]s}}],"components":[{"name":%[1]s,"purl":"pkg:"}]}]}}`, js)
			ev := &verify.Evidence{SBOMs: []*verify.VerifiedSBOM{{Bundle: h, BundleDigest: h, PredicateType: core.CycloneDXPredicateType,
				Artifacts: []string{h}, Signer: signer, Statement: cdx}}}
			var buf bytes.Buffer
			if err := verify.RenderHTML(&buf, rep, verify.HTMLOptions{Evidence: ev, Command: []string{"--github", h, h},
				TrustedRoot: h, Version: h, VSA: &verify.VSAFile{Path: h, Bundle: []byte(h)}}); err != nil {
				t.Fatal(err)
			}
			checkHostilePage(t, buf.Bytes())
			if page := buf.String(); !strings.Contains(page, `id="table-sbom-1"`) || !strings.Contains(page, "<p>2 package(s).</p>") {
				t.Errorf("the hostile CycloneDX SBOM is not shown with its 2 packages")
			}
			ins := []*verify.Inspection{{Bundle: h, PredicateType: h, Subjects: []core.Subject{{Name: h, Digest: map[string]string{h: h}}},
				Signer: signer, NotBefore: h, NotAfter: h, Provenance: facts, SBOM: &verify.SBOMSummary{Format: h}}}
			buf.Reset()
			if err := verify.RenderInspectionsHTML(&buf, ins, verify.HTMLOptions{Version: h}); err != nil {
				t.Fatal(err)
			}
			checkHostilePage(t, buf.Bytes())
		})
	}
}

// checkHostilePage checks a page built from hostile values: well formed as the report writes
// it, and no raw control, bidirectional or zero-width character anywhere.
func checkHostilePage(t *testing.T, page []byte) {
	t.Helper()
	checkWellFormed(t, page)
	for _, raw := range []string{"\x1b", "\r", "\u202e", "\u2066", "\u200b", "<img", "<svg onload", "<h1>forged"} {
		if bytes.Contains(page, []byte(raw)) {
			t.Errorf("the page contains %q unescaped", raw)
		}
	}
}

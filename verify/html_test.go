package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/internal/golden"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/provenance"
	"github.com/signet-ci/signet/verify"
)

// htmlNow is the fixed time the golden reports are written at.
var htmlNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// htmlCase is one signed run rendered as an HTML report.
type htmlCase struct {
	preset  localsigstore.Preset
	policy  func(f *fixture) verify.Policy
	key     bool              // sign with a key and pin it
	files   map[string]string // dist files (default: two)
	sbom    []byte            // an SPDX predicate signed alongside, by the same signer
	vsa     bool              // write a VSA and show it
	compile []verify.CompileOption
	claims  map[string]any // token claims over the preset's (they reach the certificate)
}

// htmlResult is a rendered run and what varies between runs of the test.
type htmlResult struct {
	html     []byte
	report   *verify.Report
	evidence *verify.Evidence
	varying  []string // values that differ per run: bundle digests, the local issuers' URLs
}

// render signs a run through the local Sigstore, verifies it with VerifyWithEvidence and
// renders the HTML report with bundle paths relative to the run's directory.
func (c htmlCase) render(t *testing.T) htmlResult {
	t.Helper()
	f := local(t)
	ctx := context.Background()
	o := signOpts{files: c.files, claims: c.claims}
	var ks *sigstore.KeySigner
	if c.key {
		ks = newKeySigner(t)
		o.signer = func(*testing.T) core.Signer { return ks }
	}
	r := f.sign(t, c.preset, o)
	sort.Slice(r.artifacts, func(i, j int) bool { return r.artifacts[i].Name < r.artifacts[j].Name })
	bundles := verify.Files{r.bundle}
	if c.sbom != nil {
		so := o
		so.predicate = &core.Predicate{Type: core.SPDXPredicateType, JSON: c.sbom}
		so.files = nil
		if c.files != nil {
			so.files = c.files
		}
		sr := f.sign(t, c.preset, so)
		sb := filepath.Join(r.dir, "attestations", "sbom.spdx.sigstore.json")
		writeFile(t, sb, readFile(t, sr.bundle))
		bundles = append(bundles, sb)
	}
	bv := f.bundleVerifier(t)
	opts := c.compile
	if c.key {
		bv = f.bundleVerifier(t, sigstore.WithPublicKey(ks.PublicKey()))
		opts = append(opts, verify.WithTrustedKey())
	}
	comp, err := c.policy(f).Compile(opts...)
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	v, err := verify.New(bv, comp, bundles)
	if err != nil {
		t.Fatal(err)
	}
	rep, ev, err := v.VerifyWithEvidence(ctx, r.artifacts)
	if err != nil {
		t.Fatal(err)
	}
	rel := func(p string) string {
		if q, err := filepath.Rel(r.dir, p); err == nil && filepath.IsAbs(p) {
			return filepath.ToSlash(q)
		}
		return p
	}
	for _, a := range rep.Artifacts {
		a.Bundle = rel(a.Bundle)
		a.Name = rel(a.Name)
	}
	ev.MapPaths(rel)
	ho := verify.HTMLOptions{Evidence: ev, Version: "v0.0.0-test", Now: htmlNow}
	res := htmlResult{report: rep, evidence: ev}
	if c.vsa {
		tok, err := f.ls.Token(localsigstore.PresetEmail)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := sigstore.NewKeylessSigner(ctx, f.mat, sigstore.StaticToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(r.dir, "vsa.sigstore.json")
		b, err := verify.WriteVSA(ctx, signer, rep, verify.VSAOptions{Version: "v0.0.0-test", PolicyURI: "policy.yaml", Now: htmlNow}, path)
		if err != nil {
			t.Fatal(err)
		}
		ho.VSA = &verify.VSAFile{Path: "vsa.sigstore.json", Bundle: b.JSON}
		res.varying = append(res.varying, fmt.Sprintf("sha256:%x", sha256.Sum256(b.JSON)))
	}
	var buf bytes.Buffer
	if err := verify.RenderHTML(&buf, rep, ho); err != nil {
		t.Fatal(err)
	}
	res.html = buf.Bytes()
	for _, a := range rep.Artifacts {
		res.varying = append(res.varying, a.BundleDigest)
	}
	for _, s := range ev.SBOMs {
		res.varying = append(res.varying, s.BundleDigest)
	}
	pol, err := json.Marshal(rep.Policy)
	if err != nil {
		t.Fatal(err)
	}
	res.varying = append(res.varying, fmt.Sprintf("sha256:%x", sha256.Sum256(pol)))
	return res
}

var (
	rfc3339  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	localURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
)

// normalize replaces what differs between runs — bundle and policy digests (signatures are
// randomized; the policy names the local issuer's port), the local Sigstore's URLs, times — so
// that the rest of the page is compared byte for byte.
func (h htmlResult) normalize(f *fixture) []byte {
	s := string(h.html)
	for _, v := range h.varying {
		if v != "" {
			s = strings.ReplaceAll(s, v, "sha256:VARIES")
		}
	}
	for _, p := range []localsigstore.Preset{localsigstore.PresetGitHub, localsigstore.PresetGitLab, localsigstore.PresetKubernetes, localsigstore.PresetEmail} {
		s = strings.ReplaceAll(s, f.ls.Issuer(p), "ISSUER/"+string(p))
	}
	s = localURL.ReplaceAllString(s, "http://LOCAL-SIGSTORE")
	s = rfc3339.ReplaceAllStringFunc(s, func(t string) string {
		if t == htmlNow().Format(time.RFC3339) {
			return t
		}
		return "TIME"
	})
	return []byte(s)
}

// spdx is a small SPDX 2.3 document listing packages of several ecosystems and licenses.
func spdx(pkgs ...[4]string) []byte {
	type ref struct {
		Category string `json:"referenceCategory"`
		Type     string `json:"referenceType"`
		Locator  string `json:"referenceLocator"`
	}
	type pkg struct {
		SPDXID  string `json:"SPDXID"`
		Name    string `json:"name"`
		Version string `json:"versionInfo"`
		License string `json:"licenseDeclared"`
		Refs    []ref  `json:"externalRefs,omitempty"`
	}
	doc := map[string]any{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "dist", "dataLicense": "CC0-1.0"}
	var ps []pkg
	for i, p := range pkgs {
		ps = append(ps, pkg{SPDXID: fmt.Sprintf("SPDXRef-Package-%d", i), Name: p[0], Version: p[1], License: p[2],
			Refs: []ref{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: p[3]}}})
	}
	doc["packages"] = ps
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

var demoSBOM = spdx(
	[4]string{"github.com/spf13/cobra", "v1.10.1", "Apache-2.0", "pkg:golang/github.com/spf13/cobra@v1.10.1"},
	[4]string{"golang.org/x/sync", "v0.17.0", "BSD-3-Clause", "pkg:golang/golang.org/x/sync@v0.17.0"},
	[4]string{"github.com/google/go-cmp", "v0.7.0", "BSD-3-Clause", "pkg:golang/github.com/google/go-cmp@v0.7.0"},
	[4]string{"left-pad", "1.3.0", "WTFPL", "pkg:npm/left-pad@1.3.0"},
	[4]string{"react", "19.1.0", "MIT", "pkg:npm/react@19.1.0"},
	[4]string{"requests", "2.32.3", "Apache-2.0", "pkg:pypi/requests@2.32.3"},
	[4]string{"libc6", "2.36-9+deb12u10", "NOASSERTION", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64"},
)

func htmlGitHubPolicy(f *fixture) verify.Policy {
	return verify.Policy{Identity: verify.Identity{Issuer: f.ls.Issuer(localsigstore.PresetGitHub),
		Shorthands: verify.Shorthands{GitHub: demoRepo}, SourceRef: "main", SignerWorkflow: ".github/workflows/release.yml"},
		Provenance: verify.Provenance{BuildType: provenance.GitHubBuildType}}
}

// htmlCases are the golden reports: one per platform identity, a failing run, a key.
var htmlCases = map[string]htmlCase{
	"github": {preset: localsigstore.PresetGitHub, policy: htmlGitHubPolicy, sbom: demoSBOM, vsa: true},
	"gitlab": {preset: localsigstore.PresetGitLab, policy: func(f *fixture) verify.Policy {
		return verify.Policy{Identity: verify.Identity{Issuer: f.ls.Issuer(localsigstore.PresetGitLab),
			Shorthands: verify.Shorthands{GitLab: demoRepo}, SourceRef: "refs/heads/*"}}
	}},
	"kubernetes": {preset: localsigstore.PresetKubernetes, policy: func(f *fixture) verify.Policy {
		return verify.Policy{Identity: verify.Identity{Issuer: f.ls.Issuer(localsigstore.PresetKubernetes),
			Shorthands: verify.Shorthands{KubernetesNamespace: "signet-builds", ServiceAccount: "signet"}},
			Provenance: verify.Provenance{BuildType: provenance.TektonBuildType}}
	}},
	"key": {preset: localsigstore.PresetGitHub, key: true, policy: func(*fixture) verify.Policy { return verify.Policy{} }},
	"github-fail": {preset: localsigstore.PresetGitHub, policy: func(f *fixture) verify.Policy {
		p := htmlGitHubPolicy(f)
		p.Identity.SourceRef = "refs/tags/v*"
		return p
	}},
}

// TestHTMLGolden compares the HTML report of a real signed run on each platform's identity with
// verify/testdata/html/NAME.html (go test ./verify -run TestHTMLGolden -update rewrites them).
func TestHTMLGolden(t *testing.T) {
	t.Parallel()
	f := local(t)
	for name, c := range htmlCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := c.render(t)
			want := !strings.HasSuffix(name, "-fail")
			if h.report.Verified != want {
				t.Fatalf("verified = %v, want %v: %v", h.report.Verified, want, failures(h.report))
			}
			if c.sbom != nil && len(h.evidence.SBOMs) != 1 {
				t.Errorf("%d verified SBOMs, want 1", len(h.evidence.SBOMs))
			}
			checkWellFormed(t, h.html)
			golden.Check(t, filepath.Join("testdata", "html", name+".html"), h.normalize(f))
		})
	}
}

// TestInspectHTMLGolden renders what an unverified bundle claims, labelled as such.
func TestInspectHTMLGolden(t *testing.T) {
	t.Parallel()
	f := local(t)
	r := f.sign(t, localsigstore.PresetGitLab, signOpts{})
	ins, err := verify.Inspect(r.bundle)
	if err != nil {
		t.Fatal(err)
	}
	ins[0].Bundle = "attestations/provenance.sigstore.json"
	// The run's files are written from a map: order the subjects for a stable page.
	sort.Slice(ins[0].Subjects, func(i, j int) bool { return ins[0].Subjects[i].Name < ins[0].Subjects[j].Name })
	var buf bytes.Buffer
	if err := verify.RenderInspectionsHTML(&buf, ins, verify.HTMLOptions{Version: "v0.0.0-test", Now: htmlNow}); err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, buf.Bytes())
	page := buf.String()
	for _, want := range []string{"NOT VERIFIED", "Nothing on this page was checked"} {
		if !strings.Contains(page, want) {
			t.Errorf("the inspect page does not say %q", want)
		}
	}
	if strings.Contains(page, "href=\"http") {
		t.Errorf("the unverified page links to a URL a bundle chose")
	}
	golden.Check(t, filepath.Join("testdata", "html", "inspect.html"), htmlResult{html: buf.Bytes()}.normalize(f))
}

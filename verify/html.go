package verify

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/provenance"
)

// FormatHTML is the self-contained HTML report (RenderHTML); it is written to a file.
const FormatHTML Format = "html"

// Limits that keep the page readable at any scale; what is left out is counted on the page.
const (
	maxFailuresListed = 100  // failures described in the verdict section
	artifactsOpenMax  = 200  // the artifacts table starts open up to this many rows
	bundlesOpenMax    = 3    // bundle details start open up to this many bundles
	maxPackageRows    = 5000 // SBOM package rows over all SBOMs
	maxLicenseBars    = 12
	maxAlsoTried      = 5 // other bundles listed per failed artifact
)

//go:embed html
var htmlFS embed.FS

// htmlAssets are the page template and its inline style and script, parsed once, with the
// hashes the page's Content-Security-Policy allows them by.
type htmlAssets struct {
	tmpl   *template.Template
	style  template.CSS
	script template.JS
	csp    string
}

var loadAssets = sync.OnceValues(func() (*htmlAssets, error) {
	style, err := htmlFS.ReadFile("html/report.css")
	if err != nil {
		return nil, err
	}
	script, err := htmlFS.ReadFile("html/report.js")
	if err != nil {
		return nil, err
	}
	t, err := template.New("report.tmpl").ParseFS(htmlFS, "html/report.tmpl")
	if err != nil {
		return nil, err
	}
	hash := func(b []byte) string {
		s := sha256.Sum256(b)
		return "'sha256-" + base64.StdEncoding.EncodeToString(s[:]) + "'"
	}
	csp := "default-src 'none'; style-src " + hash(style) + "; script-src " + hash(script) +
		"; img-src data:; base-uri 'none'; form-action 'none'"
	return &htmlAssets{tmpl: t, style: template.CSS(style), script: template.JS(script), csp: csp}, nil
})

// HTMLOptions adds to the report what the HTML page shows beyond it.
type HTMLOptions struct {
	// Evidence is what VerifyWithEvidence kept: certificate validity and verified SBOMs.
	Evidence *Evidence
	// VSA is the Verification Summary Attestation written with the report, if any.
	VSA *VSAFile
	// Command is the signet verify command line (after "signet verify") that reproduces the
	// check; when empty, one is written from the policy.
	Command []string
	// TrustedRoot and PublicKey are the trust the gh and cosign commands name, when not the
	// public-good instance.
	TrustedRoot, PublicKey string
	// Version is signet's version; Now the report's time (time.Now when nil).
	Version string
	Now     func() time.Time
}

// VSAFile is a written VSA bundle.
type VSAFile struct {
	Path   string
	Bundle []byte
}

// page is everything the template shows. Every string that came from a bundle, an SBOM, a
// file name or a policy is passed through escape first (control and bidirectional characters
// become visible escapes) and html/template escapes it again for its context.
type page struct {
	Title, Headline, Generated, Version string
	Unverified, Pass                    bool
	Summary                             Summary
	PredicateType                       string
	Policy                              []field
	PolicyDigest                        string
	Failures                            []failureView
	MoreFailures                        int
	Graph                               *graph
	Artifacts                           []artifactRow
	ArtifactsOpen, BundlesOpen          bool
	Bundles                             []*bundleView
	SBOMs                               []*sbomView
	MorePackages                        int
	VSA                                 []field
	Commands                            []commandView
	Style                               template.CSS
	Script                              template.JS
	CSP                                 string
}

type field struct {
	Label, Value, Href string
	Code               bool
}

type failureView struct {
	Name, Digest, Plain, Detail, Bundle string
	Also                                []string
	Tried                               int
}

type artifactRow struct {
	Pass                             bool
	Name, Digest, Bundle, BundleID   string
	SignedAt, Reason, Verdict, Class string
}

type bundleView struct {
	ID, Path, Digest string
	Artifacts        int
	Fields           []field
}

type commandView struct{ Tool, Text string }

// RenderHTML writes r as one self-contained HTML page: no script, style, font or image is
// fetched, and a Content-Security-Policy forbids every fetch.
func RenderHTML(w io.Writer, r *Report, o HTMLOptions) error {
	p, err := verifyPage(r, o)
	if err != nil {
		return err
	}
	return writePage(w, p)
}

func writePage(w io.Writer, p *page) error {
	a, err := loadAssets()
	if err != nil {
		return fmt.Errorf("loading the HTML report template: %w", err)
	}
	p.Style, p.Script, p.CSP = a.style, a.script, a.csp
	var buf bytes.Buffer
	if err := a.tmpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

func verifyPage(r *Report, o HTMLOptions) (*page, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	p := &page{Title: "signet verify report", Pass: r.Verified, Summary: r.Summary, PredicateType: escape(r.PredicateType),
		Generated: now().UTC().Format(time.RFC3339), Version: escape(o.Version)}
	if r.Verified {
		p.Headline = fmt.Sprintf("PASS: all %d artifact(s) verified", r.Summary.Total)
	} else {
		p.Headline = fmt.Sprintf("FAIL: %d of %d artifact(s) rejected", r.Summary.Failed, r.Summary.Total)
	}
	p.Policy = policyView(r.Policy)
	pol, err := json.Marshal(r.Policy)
	if err != nil {
		return nil, fmt.Errorf("encoding the policy: %w", err)
	}
	p.PolicyDigest = core.SHA256 + ":" + sha256Hex(pol)
	ev := o.Evidence
	if ev == nil {
		ev = &Evidence{}
	}
	bundles := map[string]*bundleView{}
	order := []chain{}
	arts := map[chain][]graphArtifact{}
	for _, a := range r.Artifacts {
		row := artifactRow{Pass: a.Verified, Name: escape(a.Name), Digest: escape(a.Digest), Verdict: "PASS", Class: "pass"}
		if !a.Verified {
			row.Verdict, row.Class = "FAIL", "fail"
			if a.Failure != nil {
				row.Reason = escape(plainFailure(a.Failure))
			}
			p.addFailure(a)
		}
		if a.Bundle != "" {
			bv := bundles[a.Bundle]
			if bv == nil && a.Verified {
				bv = bundleOf(a, ev, len(bundles))
				bundles[a.Bundle] = bv
				p.Bundles = append(p.Bundles, bv)
			}
			row.Bundle = escape(a.Bundle)
			if bv != nil && a.Verified {
				bv.Artifacts++
				row.BundleID = bv.ID
			}
		}
		if t := a.SignedAt(); !t.IsZero() && a.Verified {
			row.SignedAt = t.UTC().Format(time.RFC3339)
		}
		p.Artifacts = append(p.Artifacts, row)
		if a.Verified {
			c := chainOf(a.Signer, a.Provenance, true)
			if _, ok := arts[c]; !ok {
				order = append(order, c)
			}
			arts[c] = append(arts[c], graphArtifact{Name: escape(a.Name), Digest: escape(a.Digest)})
		}
	}
	p.ArtifactsOpen = len(p.Artifacts) <= artifactsOpenMax
	p.BundlesOpen = len(p.Bundles) <= bundlesOpenMax
	p.Graph = buildGraph(order, arts)
	p.SBOMs, p.MorePackages = sbomViews(ev.SBOMs)
	if o.VSA != nil {
		p.VSA = vsaFields(*o.VSA)
	}
	p.Commands = commands(r, o)
	return p, nil
}

func (p *page) addFailure(a *Result) {
	if len(p.Failures) >= maxFailuresListed {
		p.MoreFailures++
		return
	}
	fv := failureView{Name: escape(a.Name), Digest: escape(a.Digest), Bundle: escape(a.Bundle), Tried: len(a.Rejected)}
	if f := a.Failure; f != nil {
		fv.Plain, fv.Detail = escape(plainFailure(f)), escape(f.Error())
	}
	for i, rj := range a.Rejected {
		if i == maxAlsoTried {
			fv.Also = append(fv.Also, fmt.Sprintf("and %d more", len(a.Rejected)-i))
			break
		}
		fv.Also = append(fv.Also, escape(rj.Bundle+": "+rj.Failure.Error()))
	}
	p.Failures = append(p.Failures, fv)
}

// plainFailure says in words what a failed check means, then what was expected and found.
func plainFailure(f *Failure) string {
	what := map[string]string{
		CheckInput:         "The artifact could not be checked",
		CheckBundle:        "The bundle could not be read",
		CheckSignature:     "The signature does not verify",
		CheckCertificate:   "The signing certificate is not trusted",
		CheckTimestamp:     "No trusted time shows the certificate was valid when it signed",
		CheckTlog:          "The transparency-log evidence is missing or does not verify",
		CheckSubject:       "The artifact is not the one that was signed",
		CheckPredicateType: "The bundle holds another kind of attestation than the policy asks for",
		CheckIdentity:      "The signer is not one the policy trusts",
		CheckProvenance:    "The build provenance does not meet the policy",
		CheckConsistency:   "The signed provenance contradicts its own certificate",
	}[f.Check]
	if what == "" {
		what = "The " + f.Check + " check failed"
	}
	s := what
	if f.Field != "" {
		s += " (" + f.Field + ")"
	}
	s += "."
	switch {
	case f.Expected != "":
		s += fmt.Sprintf(" Expected %q, found %q.", f.Expected, f.Found)
	case f.Found != "":
		s += fmt.Sprintf(" Found %q.", f.Found)
	}
	if r := f.Reason; r != "" {
		if word, _, _ := strings.Cut(r, " "); strings.IndexFunc(word, func(c rune) bool { return !unicode.IsLower(c) }) < 0 {
			r = strings.ToUpper(r[:1]) + r[1:]
		}
		s += " " + r
		if !strings.HasSuffix(s, ".") {
			s += "."
		}
	}
	return s
}

// policyView is the policy's requirements as a person reads them.
func policyView(p Policy) []field {
	id := p.Identity
	var out []field
	add := func(label, v string) {
		if v != "" {
			out = append(out, field{Label: label, Value: escape(v), Code: true})
		}
	}
	add("The certificate's OIDC issuer is", id.Issuer)
	add("The certificate's OIDC issuer matches", id.IssuerRegexp)
	add("The signer identity (certificate SAN) is", id.Subject)
	add("The signer identity (certificate SAN) matches", id.SubjectRegexp)
	add("The source repository is", id.SourceRepository)
	add("The source ref is", id.SourceRef)
	add("The source commit is", id.SourceDigest)
	add("The build signer (workflow) is", id.SignerWorkflow)
	add("The runner environment is", id.RunnerEnvironment)
	add("The build trigger is", id.Trigger)
	add("The provenance's builder id is", p.Provenance.BuilderID)
	add("The provenance's build type is", p.Provenance.BuildType)
	add("The attestation's predicate type is", p.Provenance.PredicateType)
	if p.RequireTlog {
		out = append(out, field{Label: "A transparency-log entry", Value: "is required"})
	}
	if len(out) == 1 {
		out = append(out, field{Label: "The signer", Value: "is a pinned public key (signet verify --public-key)"})
	}
	return out
}

// bundleOf describes a verifying bundle: who signed, from where, when, and where it is kept.
func bundleOf(a *Result, ev *Evidence, n int) *bundleView {
	bv := &bundleView{ID: fmt.Sprintf("bundle-%d", n+1), Path: escape(a.Bundle), Digest: escape(a.BundleDigest)}
	add := func(label, v, href string) {
		if v != "" {
			bv.Fields = append(bv.Fields, field{Label: label, Value: escape(v), Href: href, Code: true})
		}
	}
	if a.Kind == KindMessageSignature {
		add("Kind", "message signature: a signed artifact digest; it carries no provenance", "")
	}
	if s := a.Signer; s != nil {
		l := linksFor(s, a.Provenance)
		add("Signer identity", s.Identity, "")
		add("OIDC issuer", s.Issuer, "")
		add("Source repository", s.SourceRepository, safeURL(s.SourceRepository))
		add("Source ref", s.SourceRef, "")
		add("Source commit", s.SourceDigest, l.commit(s.SourceRepository, s.SourceDigest))
		add("Workflow", s.SignerWorkflow, l.workflow(s.SignerWorkflow, s.SourceRepository, s.SourceDigest))
		add("Run", s.RunInvocation, safeURL(s.RunInvocation))
		add("Runner environment", s.RunnerEnvironment, "")
		add("Trigger", s.Trigger, "")
		if cv, ok := ev.Certificates[a.BundleDigest]; ok {
			add("Certificate valid", cv.NotBefore.Format(time.RFC3339)+" to "+cv.NotAfter.Format(time.RFC3339)+
				" ("+cv.NotAfter.Sub(cv.NotBefore).Round(time.Second).String()+")", "")
		}
	} else {
		add("Signer", "a public key the policy pins (no certificate)", "")
	}
	if f := a.Provenance; f != nil {
		add("Builder id (provenance)", f.BuilderID, "")
		add("Build type (provenance)", f.BuildType, "")
		if a.Signer == nil || a.Signer.SourceRepository == "" {
			add("Source (provenance claim)", source(f.SourceRepo, f.Ref, f.Commit), "")
			add("Invocation (provenance claim)", f.InvocationID, "")
		}
	}
	for _, ts := range a.Timestamps {
		what := "RFC 3161 timestamp"
		if ts.Kind == sigstore.TransparencyLog {
			what = "transparency log integrated time"
		}
		v := ts.Time.UTC().Format(time.RFC3339) + " (" + what
		if ts.URI != "" {
			v += ", " + ts.URI
		}
		add("Verified time", v+")", "")
	}
	if len(a.Timestamps) == 0 {
		add("Verified time", "none", "")
	}
	for _, le := range a.LogEntries {
		v := fmt.Sprintf("index %d, log id %s", le.Index, le.ID)
		if !le.IntegratedTime.IsZero() {
			v += ", integrated " + le.IntegratedTime.UTC().Format(time.RFC3339)
		}
		if le.URL != "" {
			v += ", log " + le.URL
		}
		add("Log entry", v, "")
	}
	add("Stored in", "bundle file "+a.Bundle+" ("+a.BundleDigest+")", "")
	if len(a.LogEntries) > 0 {
		add("Also recorded in", fmt.Sprintf("%d transparency-log entr%s (above)", len(a.LogEntries), map[bool]string{true: "y", false: "ies"}[len(a.LogEntries) == 1]), "")
	}
	return bv
}

// chainOf is where a verified artifact came from: the certificate's source, workflow and run
// when it binds them (linked), else the signed provenance's claims (marked as such).
func chainOf(s *Signer, f *Facts, links bool) chain {
	var c chain
	var l platformLinks
	if links {
		l = linksFor(s, f)
	}
	if s != nil && s.SourceRepository != "" {
		c.Source, c.SourceSub = trimScheme(s.SourceRepository), "@ "+shortCommit(s.SourceDigest)
		if s.SourceRef != "" {
			c.SourceSub += " (" + s.SourceRef + ")"
		}
		c.Build, c.BuildSub = withoutRef(relativeTo(s.SignerWorkflow, s.SourceRepository)), "workflow"
		c.Run, c.RunSub = relativeTo(s.RunInvocation, s.SourceRepository), "run"
		if links {
			c.SourceHref = l.commit(s.SourceRepository, s.SourceDigest)
			c.BuildHref = l.workflow(s.SignerWorkflow, s.SourceRepository, s.SourceDigest)
			c.RunHref = safeURL(s.RunInvocation)
		}
	} else if f != nil {
		c.Claimed = true
		c.Source, c.SourceSub = trimScheme(f.SourceRepo), "@ "+shortCommit(f.Commit)+" (provenance claim)"
		c.Build, c.BuildSub = withoutRef(relativeTo(firstOf(f.BuildConfigURI, f.BuilderID), f.SourceRepo)), "builder (provenance claim)"
		c.Run, c.RunSub = relativeTo(f.InvocationID, f.SourceRepo), "run (provenance claim)"
		if f.Platform == string(provenance.Tekton) {
			c.BuildSub, c.RunSub = "Tekton builder (provenance claim)", "TaskRun uid (provenance claim)"
		}
	}
	if s != nil && c.Build == "" {
		c.Build, c.BuildSub = s.Identity, "signer identity"
	}
	if s == nil && f == nil {
		c.Build = "signed with a pinned key"
	}
	for _, p := range []*string{&c.Source, &c.SourceSub, &c.Build, &c.BuildSub, &c.Run, &c.RunSub} {
		if strings.TrimSpace(*p) == "" || *p == "@ " {
			*p = ""
		}
		*p = escape(*p)
	}
	if c.Source == "" {
		c.Source = "source not stated"
	}
	if c.Run == "" {
		c.Run = "run not stated"
	}
	return c
}

// relativeTo shows u without the repository it belongs to (a run or workflow of repo), else
// without its scheme.
func relativeTo(u, repo string) string {
	repo = normRepo(repo)
	if p, ok := strings.CutPrefix(u, repo+"/"); ok && repo != "" {
		return strings.TrimPrefix(p, "/")
	}
	return trimScheme(u)
}

// withoutRef drops the @REF a build signer URI ends with (the ref is shown with the source).
func withoutRef(s string) string {
	if i := strings.LastIndex(s, "@"); i > 0 && strings.HasPrefix(s[i+1:], "refs/") {
		return s[:i]
	}
	return s
}

func trimScheme(s string) string {
	if _, rest, ok := strings.Cut(s, "://"); ok {
		return rest
	}
	return s
}

// vsaFields reads the written VSA's predicate back from its bundle.
func vsaFields(v VSAFile) []field {
	out := []field{{Label: "Written to", Value: escape(v.Path), Code: true},
		{Label: "Bundle digest", Value: core.SHA256 + ":" + sha256Hex(v.Bundle), Code: true}}
	info, err := ParseBundle(v.Bundle)
	if err != nil {
		return append(out, field{Label: "Contents", Value: escape("not readable: " + err.Error())})
	}
	var st struct {
		Predicate vsaPredicate `json:"predicate"`
	}
	if err := json.Unmarshal(info.Statement, &st); err != nil {
		return append(out, field{Label: "Contents", Value: escape("not readable: " + err.Error())})
	}
	pr := st.Predicate
	out = append(out,
		field{Label: "Predicate type", Value: escape(info.PredicateType), Code: true},
		field{Label: "Verification result", Value: escape(pr.VerificationResult)},
		field{Label: "Verified levels", Value: escape(strings.Join(pr.VerifiedLevels, ", "))},
		field{Label: "Resource", Value: escape(clipLong(pr.ResourceURI, 300)), Code: true},
		field{Label: "Time verified", Value: escape(pr.TimeVerified)},
		field{Label: "Policy digest", Value: escape(digestOf(pr.Policy.Digest)), Code: true},
		field{Label: "Input attestations", Value: fmt.Sprint(len(pr.InputAttestations))},
		field{Label: "Subjects", Value: fmt.Sprint(len(info.Subjects))})
	if s := info.Summary; s != nil {
		out = append(out, field{Label: "Signed by", Value: escape(s.SubjectAlternativeName + " (" + s.Extensions.Issuer + ")"), Code: true})
	}
	return out
}

func digestOf(d map[string]string) string {
	var out []string
	for alg, h := range d {
		out = append(out, alg+":"+h)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// clipLong shortens very long values (a resource URI naming 10,000 artifacts).
func clipLong(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}

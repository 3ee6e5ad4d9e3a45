package verify

import (
	"path"
	"regexp"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// Signer is what a verified Fulcio certificate says about who signed, in policy terms.
type Signer struct {
	Issuer            string `json:"issuer"`
	Identity          string `json:"identity"`
	SourceRepository  string `json:"sourceRepository,omitempty"`
	SourceRef         string `json:"sourceRef,omitempty"`
	SourceDigest      string `json:"sourceDigest,omitempty"`
	SignerWorkflow    string `json:"signerWorkflow,omitempty"`
	RunnerEnvironment string `json:"runnerEnvironment,omitempty"`
	Trigger           string `json:"trigger,omitempty"`
	RunInvocation     string `json:"runInvocation,omitempty"`
}

// SignerOf reads the policy-relevant fields of a certificate summary.
func SignerOf(s certificate.Summary) Signer {
	e := s.Extensions
	return Signer{
		Issuer:            e.Issuer,
		Identity:          s.SubjectAlternativeName,
		SourceRepository:  e.SourceRepositoryURI,
		SourceRef:         e.SourceRepositoryRef,
		SourceDigest:      e.SourceRepositoryDigest,
		SignerWorkflow:    e.BuildSignerURI,
		RunnerEnvironment: e.RunnerEnvironment,
		Trigger:           e.BuildTrigger,
		RunInvocation:     e.RunInvocationURI,
	}
}

// value is a field value and where it came from.
type value struct{ v, from string }

// certOr prefers the certificate's value and falls back to the signed predicate's, so one
// policy also reads Kubernetes certificates, which carry no source extensions.
func certOr(cert, pred string) value {
	if cert != "" || pred == "" {
		return value{cert, "certificate"}
	}
	return value{pred, "signed provenance"}
}

// matchIdentity checks the signer against the identity policy. It returns nil on a match.
func (c *Compiled) matchIdentity(s Signer, f Facts) *Failure {
	id := c.Policy.Identity
	if f := matchExactOrRegexp("issuer", id.Issuer, c.issuer, s.Issuer); f != nil {
		return f
	}
	if f := matchExactOrRegexp("identity (certificate SAN)", id.Subject, c.subject, s.Identity); f != nil {
		return f
	}
	checks := []struct {
		field, want string
		got         value
		ok          func(want, got string) bool
	}{
		{"source repository", id.SourceRepository, certOr(s.SourceRepository, f.SourceRepo), matchRepo},
		{"source ref", id.SourceRef, certOr(s.SourceRef, f.Ref), matchRef},
		{"source digest", id.SourceDigest, certOr(s.SourceDigest, f.Commit), matchCommit},
		{"signer workflow", id.SignerWorkflow, value{signerOf(s), "certificate"}, matchSigner},
		{"runner environment", id.RunnerEnvironment, certOr(s.RunnerEnvironment, f.RunnerEnvironment), matchRunner},
		{"trigger", id.Trigger, certOr(s.Trigger, f.Trigger), matchGlob},
	}
	for _, ch := range checks {
		if ch.want == "" || ch.ok(ch.want, ch.got.v) {
			continue
		}
		if ch.got.v == "" {
			return mismatch(CheckIdentity, ch.field, ch.want, "", "the certificate has no "+ch.field+" and the signed provenance names none")
		}
		return mismatch(CheckIdentity, ch.field, ch.want, ch.got.v, "value from the "+ch.got.from)
	}
	return nil
}

func matchExactOrRegexp(field, exact string, re *regexp.Regexp, got string) *Failure {
	switch {
	case exact != "" && exact != got:
		return mismatch(CheckIdentity, field, exact, got, "")
	case re != nil && !re.MatchString(got):
		return mismatch(CheckIdentity, field, "matching "+re.String(), got, "")
	}
	return nil
}

// matchConsistency fails when the signed predicate contradicts its own certificate: every fact
// both state must agree, and a GitHub or GitLab predicate must not state a CI fact its
// certificate lacks (Fulcio certifies all of them on those platforms).
func matchConsistency(sum certificate.Summary, f Facts) *Failure {
	e := sum.Extensions
	s := SignerOf(sum)
	checks := []struct {
		field, cert, pred string
		ciOnly            bool
		same              func(a, b string) bool
	}{
		{"source repository", e.SourceRepositoryURI, f.SourceRepo, false, sameRepo},
		{"source digest", e.SourceRepositoryDigest, f.Commit, false, strings.EqualFold},
		{"source ref", e.SourceRepositoryRef, f.Ref, false, sameRef},
		{"builder id", builderOf(s), f.BuilderID, false, equal},
		{"invocation id", e.RunInvocationURI, f.InvocationID, false, sameInvocation},
		{"source repository id", e.SourceRepositoryIdentifier, f.SourceRepoID, true, equal},
		{"source owner id", e.SourceRepositoryOwnerIdentifier, f.SourceOwnerID, true, equal},
		{"build signer digest", e.BuildSignerDigest, f.BuildSignerDigest, true, strings.EqualFold},
		{"build config", e.BuildConfigURI, f.BuildConfigURI, true, equal},
		{"build config digest", e.BuildConfigDigest, f.BuildConfigDigest, true, strings.EqualFold},
		{"trigger", e.BuildTrigger, f.Trigger, true, equal},
		{"runner environment", e.RunnerEnvironment, f.RunnerEnvironment, true, equal},
	}
	ci := f.ciPlatform()
	for _, ch := range checks {
		switch {
		case ch.pred == "" || ch.ciOnly && !ci:
		case ch.cert == "" && ci:
			return mismatch(CheckConsistency, ch.field, "", ch.pred,
				"the signed provenance states a "+ch.field+" but its certificate has none")
		case ch.cert != "" && !ch.same(ch.cert, ch.pred):
			return mismatch(CheckConsistency, ch.field, ch.cert, ch.pred,
				"the signed provenance contradicts its certificate; expected is the certificate's value")
		}
	}
	return nil
}

func equal(a, b string) bool { return a == b }

// matchProvenance checks the provenance policy's builder id and build type.
func (c *Compiled) matchProvenance(f Facts) *Failure {
	p := c.Policy.Provenance
	if p.BuilderID != "" && !matchGlob(p.BuilderID, f.BuilderID) {
		return mismatch(CheckProvenance, "builder id", p.BuilderID, f.BuilderID, "runDetails.builder.id of the signed provenance")
	}
	if p.BuildType != "" && !matchGlob(p.BuildType, f.BuildType) {
		return mismatch(CheckProvenance, "build type", p.BuildType, f.BuildType, "buildDefinition.buildType of the signed provenance")
	}
	return nil
}

func quote(s string) string { return `"` + s + `"` }

// matchGlob reports whether got matches pattern (path.Match syntax, so exact when it has no
// metacharacters). An empty value never matches.
func matchGlob(pattern, got string) bool {
	if got == "" {
		return false
	}
	ok, err := path.Match(pattern, got)
	return err == nil && ok
}

// normRepo drops what differs between spellings of one repository URI.
func normRepo(s string) string {
	s = strings.TrimPrefix(s, "git+")
	if i := strings.Index(s, "@"); i > strings.Index(s, "://")+2 && strings.Contains(s, "://") {
		s = s[:i]
	}
	return strings.TrimSuffix(strings.TrimRight(s, "/"), ".git")
}

func matchRepo(pattern, got string) bool {
	return got != "" && matchGlob(normRepo(pattern), normRepo(got))
}

func sameRepo(a, b string) bool { return normRepo(a) == normRepo(b) }

// shortRef strips refs/heads/ or refs/tags/.
func shortRef(ref string) string {
	for _, p := range []string{"refs/heads/", "refs/tags/"} {
		if strings.HasPrefix(ref, p) {
			return ref[len(p):]
		}
	}
	return ref
}

// matchRef matches a full ref pattern against the full ref and a short one against the
// branch or tag name.
func matchRef(pattern, got string) bool {
	if strings.HasPrefix(pattern, "refs/") {
		return matchGlob(pattern, got)
	}
	if strings.HasPrefix(got, "refs/") && shortRef(got) == got {
		return false // refs/pull/… and the like only match a full pattern
	}
	return matchGlob(pattern, shortRef(got))
}

func sameRef(a, b string) bool {
	if strings.HasPrefix(a, "refs/") && strings.HasPrefix(b, "refs/") {
		return a == b
	}
	return shortRef(a) == shortRef(b)
}

func matchCommit(want, got string) bool {
	for _, p := range []string{"sha1:", "gitCommit:"} {
		want = strings.TrimPrefix(want, p)
	}
	return got != "" && strings.EqualFold(want, got)
}

// matchRunner matches a runner environment, or denies one with a leading '!'. A certificate
// without the extension fails either way: nothing proves where it ran.
func matchRunner(want, got string) bool {
	if got == "" {
		return false
	}
	if deny, ok := strings.CutPrefix(want, "!"); ok {
		return got != deny
	}
	return got == want
}

// signerOf is the build signer URI, or the SAN for certificates that have none (Kubernetes).
func signerOf(s Signer) string {
	if s.SignerWorkflow != "" {
		return s.SignerWorkflow
	}
	return s.Identity
}

var k8sSA = regexp.MustCompile(`^namespaces/([^/]+)/serviceaccounts/([^/]+)$`)

// signerForms are the spellings a signer workflow pattern may use: the full URI, the URI
// without its @ref, and for Kubernetes NAMESPACE/SA. path is the URI's path without scheme,
// host and @ref.
func signerForms(uri string) (forms []string, path string) {
	forms = []string{uri}
	noRef := uri
	if i := strings.LastIndex(uri, "@"); i > 0 && strings.Contains(uri, "://") {
		noRef = uri[:i]
		forms = append(forms, noRef)
	}
	path = noRef
	if _, rest, ok := strings.Cut(noRef, "://"); ok {
		_, path, _ = strings.Cut(rest, "/")
	}
	path = collapseSlashes(path)
	forms = append(forms, path)
	if m := k8sSA.FindStringSubmatch(path); m != nil {
		forms = append(forms, m[1]+"/"+m[2])
	}
	return forms, path
}

// collapseSlashes turns "//" into "/" except after a URI scheme (GitLab's signer URIs hold
// "project//.gitlab-ci.yml").
func collapseSlashes(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		scheme, rest = "", s
	}
	for strings.Contains(rest, "//") {
		rest = strings.ReplaceAll(rest, "//", "/")
	}
	if ok {
		return scheme + "://" + rest
	}
	return rest
}

// matchSigner matches a signer workflow pattern against any spelling of the signer, or
// against a trailing part of its path (".github/workflows/release.yml", ".gitlab-ci.yml").
func matchSigner(pattern, got string) bool {
	if got == "" {
		return false
	}
	pattern = collapseSlashes(pattern)
	forms, p := signerForms(collapseSlashes(got))
	for _, f := range forms {
		if matchGlob(pattern, f) {
			return true
		}
	}
	if strings.Contains(pattern, "://") {
		return false
	}
	segs := strings.Split(p, "/")
	for i := 1; i < len(segs); i++ {
		if matchGlob(pattern, strings.Join(segs[i:], "/")) {
			return true
		}
	}
	return false
}

// builderOf is what a predicate's builder id must equal: the build signer URI (GitHub, GitLab)
// or a Kubernetes service account's SAN (Tekton); "" when the certificate fixes no builder.
func builderOf(s Signer) string {
	if s.SignerWorkflow != "" {
		return s.SignerWorkflow
	}
	if strings.HasPrefix(s.Identity, "https://kubernetes.io/namespaces/") {
		return s.Identity
	}
	return ""
}

// sameInvocation compares invocation ids, ignoring a trailing slash.
func sameInvocation(cert, pred string) bool {
	return strings.TrimRight(cert, "/") == strings.TrimRight(pred, "/")
}

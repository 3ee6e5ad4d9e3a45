package verify

import (
	"path"
	"regexp"
	"regexp/syntax"
	"slices"
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

// matchIdentity checks the certificate's fields, and only those, against the identity policy.
// It returns nil on a match.
func (c *Compiled) matchIdentity(s Signer) *Failure {
	id := c.Policy.Identity
	if f := matchExactOrRegexp("issuer", id.Issuer, c.issuer, id.IssuerRegexp, s.Issuer); f != nil {
		return f
	}
	if f := matchExactOrRegexp("identity (certificate SAN)", id.Subject, c.subject, id.SubjectRegexp, s.Identity); f != nil {
		return f
	}
	checks := []struct {
		field, want, got string
		ok               func(got string) bool
	}{
		{"source repository", c.repo, s.SourceRepository, func(got string) bool { return matchGlob(c.repo, got) }},
		{"source ref", c.ref, s.SourceRef, func(got string) bool { return matchGlob(c.ref, got) }},
		{"source digest", c.digest, s.SourceDigest, func(got string) bool { return strings.EqualFold(c.digest, got) }},
		{"signer workflow", c.signer.String(), s.SignerWorkflow, c.signer.match},
		{"runner environment", id.RunnerEnvironment, s.RunnerEnvironment, func(got string) bool { return matchRunner(id.RunnerEnvironment, got) }},
		{"trigger", id.Trigger, s.Trigger, func(got string) bool { return matchGlob(id.Trigger, got) }},
	}
	for _, ch := range checks {
		switch {
		case ch.want == "":
		case ch.got == "":
			return mismatch(CheckIdentity, ch.field, ch.want, "", unboundReason(s, ch.field))
		case !ch.ok(ch.got):
			return mismatch(CheckIdentity, ch.field, ch.want, ch.got, "value from the certificate")
		}
	}
	return nil
}

// unboundReason explains a certificate without the field a policy requires, and names the
// certificate fields that do bind that kind of signer.
func unboundReason(s Signer, field string) string {
	const never = "; the signed provenance never stands in for a certificate field"
	switch {
	case strings.HasPrefix(s.Identity, "https://kubernetes.io/namespaces/"):
		return "the certificate does not bind a " + field + ": a Kubernetes certificate binds only the issuer and the " +
			"service account (namespace and name)" + never
	case s.SignerWorkflow == "" && strings.Contains(s.Identity, "@") && !strings.Contains(s.Identity, "://"):
		return "the certificate does not bind a " + field + ": an email certificate binds only the issuer and the email address" + never
	}
	return "the certificate does not bind a " + field + never
}

func matchExactOrRegexp(field, exact string, re *regexp.Regexp, expr, got string) *Failure {
	switch {
	case exact != "" && exact != got:
		return mismatch(CheckIdentity, field, exact, got, "")
	case re != nil && !re.MatchString(got):
		return mismatch(CheckIdentity, field, "matching "+expr, got, "")
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

// normRepo drops what differs between spellings of one repository URI in a predicate.
func normRepo(s string) string {
	s = strings.TrimPrefix(s, "git+")
	if i := strings.Index(s, "@"); i > strings.Index(s, "://")+2 && strings.Contains(s, "://") {
		s = s[:i]
	}
	return strings.TrimSuffix(strings.TrimRight(s, "/"), ".git")
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

// sameRef compares a certificate's ref with a predicate's, which may be a short name.
func sameRef(a, b string) bool {
	if strings.HasPrefix(a, "refs/") && strings.HasPrefix(b, "refs/") {
		return a == b
	}
	return shortRef(a) == shortRef(b)
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

// globChars are path.Match's metacharacters.
const globChars = `*?[\`

// literalPrefix is the part of a glob before its first metacharacter.
func literalPrefix(glob string) string {
	if i := strings.IndexAny(glob, globChars); i >= 0 {
		return glob[:i]
	}
	return glob
}

// compileAnchored compiles a regular expression the policy writes ^...$ so that it must match
// the whole value. It is compiled as ^(?:expr)$, so an alternation inside cannot escape the
// anchors ("^a|b$" matches only "a" and "b").
func compileAnchored(field, expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	if _, err := regexp.Compile(expr); err != nil {
		return nil, policyErr(ErrInvalidPolicy, field+" %q: %v", expr, err)
	}
	if !strings.HasPrefix(expr, "^") || !anchoredEnd(expr) {
		return nil, policyErr(ErrInvalidPolicy, field+" %q is not anchored: write it ^...$, it must match the whole value", expr)
	}
	return regexp.Compile(`^(?:` + expr + `)$`)
}

// anchoredEnd reports whether expr ends with an unescaped '$'.
func anchoredEnd(expr string) bool {
	if !strings.HasSuffix(expr, "$") {
		return false
	}
	n := 0
	for i := len(expr) - 2; i >= 0 && expr[i] == '\\'; i-- {
		n++
	}
	return n%2 == 0
}

// checkIssuerRegexp insists that an issuer regexp fixes the issuer's scheme and host
// literally: every issuer it matches starts with SCHEME://HOST followed by '/' or ':', or it is
// a literal. "^https://token\.actions\.githubusercontent\.com.*$" is refused (it matches
// "https://token.actions.githubusercontent.com.evil").
func checkIssuerRegexp(expr string) error {
	if expr == "" {
		return nil
	}
	prefix, complete := regexp.MustCompile(expr).LiteralPrefix()
	scheme, rest, ok := strings.Cut(prefix, "://")
	host := rest
	if i := strings.IndexAny(rest, "/:"); i >= 0 {
		host = rest[:i]
	} else if !complete {
		host = ""
	}
	if !ok || scheme == "" || host == "" || strings.ContainsAny(host, "@?#") {
		return policyErr(ErrInvalidPolicy, "{identity.issuerRegexp} %q does not fix the issuer's scheme and host: it must "+
			"begin ^SCHEME://HOST/ or ^SCHEME://HOST: with every character literal (escape the dots), or give {identity.issuer}", expr)
	}
	return nil
}

// checkSubjectRegexp insists that an identity regexp fixes who signed, as an exact identity
// would: a URI SAN regexp must begin with SCHEME://HOST/OWNER/ literally (for Kubernetes,
// https://kubernetes.io/namespaces/NAMESPACE/), an email SAN regexp must end with a literal
// @DOMAIN. "^.*$", "^https://github\.com/.*$" and "^.*@.*$" are refused: with any issuer they
// accept every signer it certifies. The regexp must be valid and anchored, as compileAnchored
// insists.
func checkSubjectRegexp(expr string) error {
	if expr == "" {
		return nil
	}
	if _, err := compileAnchored("{identity.identityRegexp}", expr); err != nil {
		return err
	}
	prefix, complete := regexp.MustCompile(expr).LiteralPrefix()
	if complete || uriOwnerFixed(prefix) || emailDomainFixed(expr) {
		return nil
	}
	return policyErr(ErrInvalidPolicy, "{identity.identityRegexp} %q does not fix the signer: a URI identity must begin "+
		`^SCHEME://HOST/OWNER/ with every character literal (^https://github\.com/ORG/.*$; Kubernetes: `+
		`^https://kubernetes\.io/namespaces/NAMESPACE/.*$), an email identity must end with a literal @DOMAIN$ `+
		`(^.*@example\.com$); or give {identity.identity}, {identity.github} or {identity.gitlab}`, expr)
}

// uriOwnerFixed reports whether a literal regexp prefix fixes SCHEME://HOST/OWNER/ (Kubernetes:
// https://kubernetes.io/namespaces/NAMESPACE/).
func uriOwnerFixed(prefix string) bool {
	scheme, rest, ok := strings.Cut(prefix, "://")
	if !ok || scheme == "" {
		return false
	}
	segments := strings.Split(rest, "/") // HOST, OWNER, …, and what follows the last '/'
	need := 2                            // HOST and OWNER, each closed by '/'
	if segments[0] == "kubernetes.io" {
		need = 3 // namespaces/NAMESPACE/
	}
	if len(segments) <= need || strings.ContainsAny(segments[0], "@?#") {
		return false
	}
	for _, seg := range segments[:need] {
		if seg == "" {
			return false
		}
	}
	return true
}

// emailDomainFixed reports whether expr ends with a literal @DOMAIN (a domain with a dot)
// before its final '$'.
func emailDomainFixed(expr string) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return false
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat {
		return false
	}
	subs := re.Sub
	for len(subs) > 0 && (subs[len(subs)-1].Op == syntax.OpEndText || subs[len(subs)-1].Op == syntax.OpEndLine) {
		subs = subs[:len(subs)-1]
	}
	var suffix []rune
	for i := len(subs) - 1; i >= 0; i-- {
		s := subs[i]
		if s.Op != syntax.OpLiteral || s.Flags&syntax.FoldCase != 0 {
			break
		}
		suffix = append(slices.Clone(s.Rune), suffix...)
	}
	at := strings.LastIndex(string(suffix), "@")
	if at < 0 {
		return false
	}
	domain := string(suffix)[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

var (
	repoPattern = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[^/@\s?#]+/[^/\s]+/[^\s@#]+$`)
	repoLiteral = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[^/]+/[^/]+/`)
)

// normRepoPattern drops what differs between spellings of a repository in a policy: git+,
// a trailing '/' and .git.
func normRepoPattern(s string) string {
	s = strings.TrimPrefix(s, "git+")
	return strings.TrimSuffix(strings.TrimRight(s, "/"), ".git")
}

// compileRepository checks a source repository pattern: a URI SCHEME://HOST/OWNER/REPO,
// exact, or a glob whose scheme, host and owner are literal.
func compileRepository(s string) (string, error) {
	if err := checkGlob("{identity.sourceRepository}", s); err != nil {
		return "", err
	}
	n := normRepoPattern(s)
	if !repoPattern.MatchString(n) {
		return "", policyErr(ErrInvalidPolicy, "{identity.sourceRepository} %q: expected a repository URI such as https://github.com/OWNER/REPO", s)
	}
	if strings.ContainsAny(n, globChars) && !repoLiteral.MatchString(literalPrefix(n)) {
		return "", policyErr(ErrInvalidPolicy, "{identity.sourceRepository} %q: a pattern must fix the scheme, host and owner "+
			"literally (https://github.com/OWNER/*)", s)
	}
	return n, nil
}

// repoPath is OWNER/REPO (GROUP/…/PROJECT) of an exact repository URI, "" for a pattern.
func repoPath(repo string) string {
	if repo == "" || strings.ContainsAny(repo, globChars) {
		return ""
	}
	_, rest, _ := strings.Cut(repo, "://")
	_, p, _ := strings.Cut(rest, "/")
	return p
}

// compileRef turns a ref pattern into the full ref pattern it matches: refs/... as given, an
// exact branch name NAME as refs/heads/NAME. A short name with a glob (v*) is refused as
// ambiguous; tags are only ever matched by refs/tags/....
func compileRef(field, s string) (string, error) {
	if err := checkGlob(field, s); err != nil {
		return "", err
	}
	switch {
	case strings.ContainsAny(s, " \t\n\r") || strings.HasPrefix(s, "/") || s == "refs/" || strings.Contains(s, "//"):
		return "", policyErr(ErrInvalidPolicy, field+" %q: expected a full ref (refs/tags/v*) or a branch name (main)", s)
	case strings.HasPrefix(s, "refs/"):
		return s, nil
	}
	for _, p := range []string{"heads/", "tags/", "pull/", "remotes/"} {
		if strings.HasPrefix(s, p) {
			return "", policyErr(ErrInvalidPolicy, field+" %q is ambiguous: write the full ref refs/%s", s, s)
		}
	}
	if strings.ContainsAny(s, globChars) {
		return "", policyErr(ErrInvalidPolicy, field+" %q is a short name with a pattern, which is ambiguous: write "+
			"refs/heads/%s for branches or refs/tags/%s for tags", s, s, s)
	}
	return "refs/heads/" + s, nil
}

var hexDigest = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// compileDigest checks a source commit: 40 or 64 hex digits, optionally sha1: or gitCommit:.
func compileDigest(s string) (string, error) {
	d := strings.ToLower(s)
	for _, p := range []string{"sha1:", "gitcommit:"} {
		d = strings.TrimPrefix(d, p)
	}
	if !hexDigest.MatchString(d) {
		return "", policyErr(ErrInvalidPolicy, "{identity.sourceDigest} %q: expected a commit, 40 or 64 hexadecimal digits", s)
	}
	return d, nil
}

// signerPattern matches a build signer URI (certificate extension 1.9). A URI pattern is
// matched against the URI without its @REF; a path pattern against the URI's path after the
// host ("o/r/.github/workflows/release.yml", GitLab "g/p//.gitlab-ci.yml"). ref, when set, is
// matched against the part after the last '@'.
type signerPattern struct {
	uri   bool
	paths []string // alternatives; the first is the one shown
	ref   string
	binds bool // the pattern fixes a repository literally
}

// String is the pattern in its whole form, as the policy applied shows it.
func (s signerPattern) String() string {
	if len(s.paths) == 0 {
		return ""
	}
	if s.ref == "" {
		return s.paths[0]
	}
	return s.paths[0] + "@" + s.ref
}

func (s signerPattern) bindsRepository() bool { return s.binds }

// match reports whether a build signer URI matches.
func (s signerPattern) match(uri string) bool {
	body, ref := uri, ""
	if i := strings.LastIndex(uri, "@"); i >= 0 {
		body, ref = uri[:i], uri[i+1:]
	}
	if s.ref != "" && !matchGlob(s.ref, ref) {
		return false
	}
	if !s.uri {
		_, rest, ok := strings.Cut(body, "://")
		if !ok {
			return false
		}
		if _, body, ok = strings.Cut(rest, "/"); !ok {
			return false
		}
	}
	for _, p := range s.paths {
		if matchGlob(p, body) {
			return true
		}
	}
	return false
}

// compileSigner reads a signer workflow: a full URI, a whole path OWNER/REPO/PATH (with
// /.github/ or GitLab's // after the repository, or starting with the policy's repository),
// or a path inside the policy's repository (repo, "" when the policy names none exactly).
// partial accepts a path inside a repository the policy does not name yet (a policy file
// that flags complete).
func compileSigner(s, repo string, gitlab, partial bool) (signerPattern, error) {
	const field = "{identity.signerWorkflow}"
	if err := checkGlob(field, s); err != nil {
		return signerPattern{}, err
	}
	body, ref := s, ""
	if i := strings.LastIndex(s, "@"); i >= 0 {
		body, ref = s[:i], s[i+1:]
		var err error
		if ref, err = compileRef(field+" ref", ref); err != nil {
			return signerPattern{}, err
		}
	}
	if strings.ContainsAny(body, " \t\n\r") || body == "" || strings.HasPrefix(body, "/") {
		return signerPattern{}, policyErr(ErrInvalidPolicy, field+" %q: expected OWNER/REPO/.github/workflows/FILE[@REF], "+
			"a path inside the policy's repository, or a full URI", s)
	}
	if scheme, rest, ok := strings.Cut(body, "://"); ok {
		host, p, _ := strings.Cut(rest, "/")
		if scheme == "" || host == "" || strings.ContainsAny(scheme+host, globChars) || p == "" {
			return signerPattern{}, policyErr(ErrInvalidPolicy, field+" %q: a URI must fix its scheme and host", s)
		}
		return signerPattern{uri: true, paths: []string{body}, ref: ref, binds: bindsOwnerRepo(p)}, nil
	}
	whole := repo != "" && strings.HasPrefix(body, repo+"/") || strings.Contains(body, "/.github/") || strings.Contains(body, "//")
	switch {
	case whole:
		return signerPattern{paths: []string{body}, ref: ref, binds: bindsOwnerRepo(body)}, nil
	case repo == "" && partial:
		return signerPattern{paths: []string{body}, ref: ref}, nil
	case repo == "":
		return signerPattern{}, policyErr(ErrNoIdentityPolicy, field+" %q is a path inside a repository, and the policy names "+
			"no repository exactly: add {identity.github} OWNER/REPO (or {identity.gitlab}, or an exact {identity.sourceRepository}), "+
			"or write the whole path: OWNER/REPO/.github/workflows/FILE, GitLab GROUP/PROJECT//PATH", s)
	}
	gh, gl := repo+"/"+body, repo+"//"+body
	if gitlab {
		gh, gl = gl, gh
	}
	return signerPattern{paths: []string{gh, gl}, ref: ref, binds: true}, nil
}

// bindsOwnerRepo reports whether a path pattern's first two segments are literal.
func bindsOwnerRepo(p string) bool {
	segs := strings.SplitN(literalPrefix(p), "/", 3)
	return len(segs) == 3 && segs[0] != "" && segs[1] != ""
}

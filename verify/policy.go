package verify

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/signet-ci/signet/core"
)

// Real OIDC issuers the shorthands expand to.
const (
	GitHubIssuer = "https://token.actions.githubusercontent.com"
	GitLabURL    = "https://gitlab.com"
	githubURL    = "https://github.com"
)

// Sentinel errors callers branch on.
var (
	// ErrNoIdentityPolicy means the policy names no issuer or no signer: verification fails closed.
	ErrNoIdentityPolicy = errors.New("no identity policy")
	// ErrInvalidPolicy means a policy field is malformed or contradicts another.
	ErrInvalidPolicy = errors.New("invalid policy")
)

// Policy is everything a release requires of its attestations.
type Policy struct {
	// Version is the policy-file format version; 0 or 1.
	Version    int        `json:"version,omitempty"`
	Identity   Identity   `json:"identity"`
	Provenance Provenance `json:"provenance"`
	// RequireTlog insists on a transparency-log entry besides a signed timestamp.
	RequireTlog bool `json:"requireTlog,omitempty"`
}

// Identity is who must have signed, matched against the Fulcio certificate. Empty fields are
// not checked. Glob fields use path.Match syntax ('*' does not cross '/').
type Identity struct {
	// Issuer and IssuerRegexp match the OIDC issuer (certificate extension 1.3.6.1.4.1.57264.1.8).
	Issuer       string `json:"issuer,omitempty"`
	IssuerRegexp string `json:"issuerRegexp,omitempty"`
	// Subject and SubjectRegexp match the certificate's subject alternative name.
	Subject       string `json:"identity,omitempty"`
	SubjectRegexp string `json:"identityRegexp,omitempty"`
	// SourceRepository is the source repository URI, exact or glob.
	SourceRepository string `json:"sourceRepository,omitempty"`
	// SourceRef is a branch or tag: a full ref (refs/tags/v*) or a short name (main, v1.*),
	// exact or glob.
	SourceRef string `json:"sourceRef,omitempty"`
	// SourceDigest is the source commit.
	SourceDigest string `json:"sourceDigest,omitempty"`
	// SignerWorkflow is the build signer: a GitHub workflow path, a GitLab CI config path, or a
	// Kubernetes NAMESPACE/SERVICEACCOUNT; full URI, path, or a trailing path; exact or glob.
	SignerWorkflow string `json:"signerWorkflow,omitempty"`
	// RunnerEnvironment is the runner environment (github-hosted, gitlab-hosted, …); a leading
	// '!' denies the value instead ("!self-hosted").
	RunnerEnvironment string `json:"runnerEnvironment,omitempty"`
	// Trigger is the event that started the build (push, release, web, …), exact or glob.
	Trigger string `json:"trigger,omitempty"`
	Shorthands
}

// Shorthands expand to an issuer and identity fields for one platform.
type Shorthands struct {
	// GitHub is OWNER/REPO: the GitHub Actions issuer and https://github.com/OWNER/REPO.
	GitHub string `json:"github,omitempty"`
	// GitLab is GROUP/PROJECT on GitLabURL (default https://gitlab.com).
	GitLab    string `json:"gitlab,omitempty"`
	GitLabURL string `json:"gitlabURL,omitempty"`
	// KubernetesNamespace and ServiceAccount name a Kubernetes service-account identity.
	KubernetesNamespace string `json:"kubernetesNamespace,omitempty"`
	ServiceAccount      string `json:"serviceAccount,omitempty"`
}

// Provenance is what the signed predicate must say besides agreeing with its certificate.
type Provenance struct {
	// PredicateType is the statement's predicate type (default https://slsa.dev/provenance/v1).
	PredicateType string `json:"predicateType,omitempty"`
	// BuilderID is runDetails.builder.id, exact or glob.
	BuilderID string `json:"builderID,omitempty"`
	// BuildType is buildDefinition.buildType, exact or glob.
	BuildType string `json:"buildType,omitempty"`
}

var (
	ownerRepo = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	groupPath = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$`)
	dnsLabel  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
)

// Expand fills the issuer and identity fields the shorthands stand for. An issuer already set
// wins (so a test can point --github at a local issuer); any other field already set must agree.
func (id Identity) Expand() (Identity, error) {
	s := id.Shorthands
	n := 0
	for _, set := range []bool{s.GitHub != "", s.GitLab != "", s.KubernetesNamespace != "" || s.ServiceAccount != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return id, fmt.Errorf("%w: github, gitlab and kubernetes shorthands exclude each other", ErrInvalidPolicy)
	}
	if s.GitLabURL != "" && s.GitLab == "" {
		return id, fmt.Errorf("%w: gitlab URL %q given without a gitlab GROUP/PROJECT", ErrInvalidPolicy, s.GitLabURL)
	}
	switch {
	case s.GitHub != "":
		return id.expandGitHub()
	case s.GitLab != "":
		return id.expandGitLab()
	case n == 1:
		return id.expandKubernetes()
	}
	return id, nil
}

func (id Identity) expandGitHub() (Identity, error) {
	if !ownerRepo.MatchString(id.GitHub) {
		return id, fmt.Errorf("%w: github %q: expected OWNER/REPO", ErrInvalidPolicy, id.GitHub)
	}
	id.setIssuer(GitHubIssuer)
	return id, id.setRepository(githubURL + "/" + id.GitHub)
}

func (id Identity) expandGitLab() (Identity, error) {
	if !groupPath.MatchString(id.GitLab) {
		return id, fmt.Errorf("%w: gitlab %q: expected GROUP/PROJECT (subgroups allowed)", ErrInvalidPolicy, id.GitLab)
	}
	base := GitLabURL
	if id.GitLabURL != "" {
		u, err := url.Parse(id.GitLabURL)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return id, fmt.Errorf("%w: gitlab URL %q: expected https://HOST", ErrInvalidPolicy, id.GitLabURL)
		}
		base = strings.TrimRight(id.GitLabURL, "/")
	}
	id.setIssuer(base)
	return id, id.setRepository(base + "/" + id.GitLab)
}

func (id Identity) expandKubernetes() (Identity, error) {
	ns, sa := id.KubernetesNamespace, id.ServiceAccount
	if !dnsLabel.MatchString(ns) || !dnsLabel.MatchString(sa) {
		return id, fmt.Errorf("%w: kubernetes namespace %q and service account %q: both are required, lower-case DNS names", ErrInvalidPolicy, ns, sa)
	}
	san := KubernetesSubject(ns, sa)
	if id.Subject != "" && id.Subject != san {
		return id, fmt.Errorf("%w: identity %q contradicts kubernetes service account %q", ErrInvalidPolicy, id.Subject, san)
	}
	id.Subject = san
	return id, nil
}

// KubernetesSubject is the certificate SAN Fulcio issues to a service account.
func KubernetesSubject(namespace, serviceAccount string) string {
	return "https://kubernetes.io/namespaces/" + namespace + "/serviceaccounts/" + serviceAccount
}

func (id *Identity) setIssuer(iss string) {
	if id.Issuer == "" && id.IssuerRegexp == "" {
		id.Issuer = iss
	}
}

func (id *Identity) setRepository(repo string) error {
	if id.SourceRepository != "" && id.SourceRepository != repo {
		return fmt.Errorf("%w: source repository %q contradicts shorthand repository %q", ErrInvalidPolicy, id.SourceRepository, repo)
	}
	id.SourceRepository = repo
	return nil
}

// Merge returns p with every non-empty field of over replacing p's.
func (p Policy) Merge(over Policy) Policy {
	pick := func(a *string, b string) {
		if b != "" {
			*a = b
		}
	}
	i, o := &p.Identity, over.Identity
	for _, f := range []struct {
		dst *string
		src string
	}{{&i.Issuer, o.Issuer}, {&i.IssuerRegexp, o.IssuerRegexp}, {&i.Subject, o.Subject},
		{&i.SubjectRegexp, o.SubjectRegexp}, {&i.SourceRepository, o.SourceRepository},
		{&i.SourceRef, o.SourceRef}, {&i.SourceDigest, o.SourceDigest}, {&i.SignerWorkflow, o.SignerWorkflow},
		{&i.RunnerEnvironment, o.RunnerEnvironment}, {&i.Trigger, o.Trigger}, {&i.GitHub, o.GitHub},
		{&i.GitLab, o.GitLab}, {&i.GitLabURL, o.GitLabURL}, {&i.KubernetesNamespace, o.KubernetesNamespace},
		{&i.ServiceAccount, o.ServiceAccount}, {&p.Provenance.PredicateType, over.Provenance.PredicateType},
		{&p.Provenance.BuilderID, over.Provenance.BuilderID}, {&p.Provenance.BuildType, over.Provenance.BuildType}} {
		pick(f.dst, f.src)
	}
	exclusive(&i.Issuer, &i.IssuerRegexp, o.Issuer, o.IssuerRegexp)
	exclusive(&i.Subject, &i.SubjectRegexp, o.Subject, o.SubjectRegexp)
	p.RequireTlog = p.RequireTlog || over.RequireTlog
	return p
}

// exclusive clears the exact or regexp field the override did not set, when it set the other.
func exclusive(exact, re *string, overExact, overRe string) {
	if overExact != "" && overRe == "" {
		*re = ""
	} else if overRe != "" && overExact == "" {
		*exact = ""
	}
}

// CompileOption adjusts how a policy is compiled.
type CompileOption func(*compileConfig) error

type compileConfig struct {
	defaults   *Identity
	trustedKey bool
}

// WithTrustedKey says a public key is trusted for key-signed bundles: the policy may then name
// no identity, and certificate-signed bundles are refused unless it does.
func WithTrustedKey() CompileOption {
	return func(c *compileConfig) error {
		c.trustedKey = true
		return nil
	}
}

// WithDefaultIdentity fills what the policy leaves open after its shorthands are expanded: the
// issuer (exact or regexp) when none is required, and the identity (exact or regexp) when no
// identity, source repository or signer workflow is. Only a local Sigstore has such defaults.
func WithDefaultIdentity(d Identity) CompileOption {
	return func(c *compileConfig) error {
		if d.Issuer == "" && d.IssuerRegexp == "" || d.Subject == "" && d.SubjectRegexp == "" {
			return fmt.Errorf("%w: a default identity needs an issuer and an identity (exact or regexp)", ErrInvalidPolicy)
		}
		c.defaults = &d
		return nil
	}
}

func (id Identity) withDefaults(d Identity) Identity {
	if id.Issuer == "" && id.IssuerRegexp == "" {
		id.Issuer, id.IssuerRegexp = d.Issuer, d.IssuerRegexp
	}
	if id.Subject == "" && id.SubjectRegexp == "" && id.SourceRepository == "" && id.SignerWorkflow == "" {
		id.Subject, id.SubjectRegexp = d.Subject, d.SubjectRegexp
	}
	return id
}

// Compile expands the shorthands, applies defaults and checks that the policy names an
// issuer and a signer; it fails closed with ErrNoIdentityPolicy otherwise.
func (p Policy) Compile(opts ...CompileOption) (*Compiled, error) {
	var cfg compileConfig
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if p.Version != 0 && p.Version != 1 {
		return nil, fmt.Errorf("%w: version %d, expected 1", ErrInvalidPolicy, p.Version)
	}
	id, err := p.Identity.Expand()
	if err != nil {
		return nil, err
	}
	if cfg.defaults != nil {
		id = id.withDefaults(*cfg.defaults)
	}
	p.Identity = id
	if p.Provenance.PredicateType == "" {
		p.Provenance.PredicateType = core.ProvenancePredicateType
	}
	c := &Compiled{Policy: p, keyTrusted: cfg.trustedKey}
	if cfg.trustedKey && id.noIdentity() {
		c.keyOnly = true
	} else if err := checkIdentity(id); err != nil {
		return nil, err
	}
	if c.issuer, err = compileRegexp("issuer regexp", id.IssuerRegexp); err != nil {
		return nil, err
	}
	if c.subject, err = compileRegexp("identity regexp", id.SubjectRegexp); err != nil {
		return nil, err
	}
	return c, checkGlobs(p)
}

func checkIdentity(id Identity) error {
	if id.Issuer != "" && id.IssuerRegexp != "" {
		return fmt.Errorf("%w: give the issuer or an issuer regexp, not both", ErrInvalidPolicy)
	}
	if id.Subject != "" && id.SubjectRegexp != "" {
		return fmt.Errorf("%w: give the identity or an identity regexp, not both", ErrInvalidPolicy)
	}
	if id.Issuer == "" && id.IssuerRegexp == "" {
		return fmt.Errorf("%w: the policy names no OIDC issuer", ErrNoIdentityPolicy)
	}
	if id.Subject == "" && id.SubjectRegexp == "" && id.SourceRepository == "" && id.SignerWorkflow == "" {
		return fmt.Errorf("%w: the policy names no signer identity, source repository or signer workflow", ErrNoIdentityPolicy)
	}
	return nil
}

func compileRegexp(what, expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q: %w", ErrInvalidPolicy, what, expr, err)
	}
	return re, nil
}

func checkGlobs(p Policy) error {
	for _, g := range []struct{ name, val string }{
		{"source repository", p.Identity.SourceRepository}, {"source ref", p.Identity.SourceRef},
		{"signer workflow", p.Identity.SignerWorkflow}, {"trigger", p.Identity.Trigger},
		{"builder id", p.Provenance.BuilderID}, {"build type", p.Provenance.BuildType},
	} {
		if _, err := path.Match(g.val, ""); err != nil {
			return fmt.Errorf("%w: %s %q is not a valid glob: %w", ErrInvalidPolicy, g.name, g.val, err)
		}
	}
	if strings.TrimPrefix(p.Identity.RunnerEnvironment, "!") == "" && p.Identity.RunnerEnvironment != "" {
		return fmt.Errorf("%w: runner environment %q: expected a value or !VALUE", ErrInvalidPolicy, p.Identity.RunnerEnvironment)
	}
	return nil
}

// noIdentity reports whether the policy requires nothing of a certificate.
func (id Identity) noIdentity() bool {
	return id.Issuer == "" && id.IssuerRegexp == "" && id.Subject == "" && id.SubjectRegexp == "" &&
		id.SourceRepository == "" && id.SourceRef == "" && id.SourceDigest == "" && id.SignerWorkflow == "" &&
		id.RunnerEnvironment == "" && id.Trigger == ""
}

// Compiled is a checked policy, ready to match certificates and predicates.
type Compiled struct {
	Policy  Policy
	issuer  *regexp.Regexp
	subject *regexp.Regexp
	// keyTrusted: a public key is trusted; keyOnly: and no certificate identity is.
	keyTrusted, keyOnly bool
}

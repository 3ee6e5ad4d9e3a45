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
	// ErrNoIdentityPolicy means the policy pins no issuer or no certificate-bound identity:
	// verification fails closed.
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

// Identity is who must have signed, matched against the Fulcio certificate's fields only:
// a value the signed provenance states never satisfies it. Empty fields are not checked.
// Glob fields use path.Match syntax ('*' does not cross '/'); every comparison is
// case-sensitive. docs/verify.md states the rules.
type Identity struct {
	// Issuer is the OIDC issuer (certificate extension 1.3.6.1.4.1.57264.1.8), exact.
	// IssuerRegexp is a regular expression written ^...$ whose literal prefix fixes the
	// scheme and host; it must match the whole issuer.
	Issuer       string `json:"issuer,omitempty"`
	IssuerRegexp string `json:"issuerRegexp,omitempty"`
	// Subject is the certificate's subject alternative name, exact; SubjectRegexp a
	// regular expression written ^...$ that must match the whole SAN.
	Subject       string `json:"identity,omitempty"`
	SubjectRegexp string `json:"identityRegexp,omitempty"`
	// SourceRepository is the certificate's source repository URI (1.12), exact, or a glob
	// whose scheme, host and owner are literal (https://github.com/org/*).
	SourceRepository string `json:"sourceRepository,omitempty"`
	// SourceRef is the certificate's source ref (1.14): a full ref (refs/tags/v*) or a branch
	// name, which stands for refs/heads/NAME; exact or glob.
	SourceRef string `json:"sourceRef,omitempty"`
	// SourceDigest is the certificate's source commit (1.13).
	SourceDigest string `json:"sourceDigest,omitempty"`
	// SignerWorkflow is the certificate's build signer URI (1.9) as a whole path
	// OWNER/REPO/.github/workflows/FILE[@REF] (GitLab: GROUP/PROJECT//PATH[@REF]) or a full
	// URI; a path inside the policy's repository (.github/workflows/release.yml) when the
	// policy names one exactly. Glob.
	SignerWorkflow string `json:"signerWorkflow,omitempty"`
	// RunnerEnvironment is the certificate's runner environment (1.11: github-hosted,
	// gitlab-hosted, …); a leading '!' denies the value instead ("!self-hosted").
	RunnerEnvironment string `json:"runnerEnvironment,omitempty"`
	// Trigger is the certificate's build trigger (1.20: push, release, web, …), exact or glob.
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
		return id, policyErr(ErrInvalidPolicy, "{identity.github}, {identity.gitlab} and {identity.kubernetesNamespace} exclude each other")
	}
	if s.GitLabURL != "" && s.GitLab == "" {
		return id, policyErr(ErrInvalidPolicy, "{identity.gitlabURL} %q given without {identity.gitlab} GROUP/PROJECT", s.GitLabURL)
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
		return id, policyErr(ErrInvalidPolicy, "{identity.github} %q: expected OWNER/REPO", id.GitHub)
	}
	id.setIssuer(GitHubIssuer)
	return id, id.setRepository(githubURL+"/"+id.GitHub, "{identity.github}")
}

func (id Identity) expandGitLab() (Identity, error) {
	if !groupPath.MatchString(id.GitLab) {
		return id, policyErr(ErrInvalidPolicy, "{identity.gitlab} %q: expected GROUP/PROJECT (subgroups allowed)", id.GitLab)
	}
	base := GitLabURL
	if id.GitLabURL != "" {
		u, err := url.Parse(id.GitLabURL)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || strings.Trim(u.Path, "/") != "" ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return id, policyErr(ErrInvalidPolicy, "{identity.gitlabURL} %q: expected https://HOST", id.GitLabURL)
		}
		base = strings.TrimRight(id.GitLabURL, "/")
	}
	id.setIssuer(base)
	return id, id.setRepository(base+"/"+id.GitLab, "{identity.gitlab}")
}

func (id Identity) expandKubernetes() (Identity, error) {
	ns, sa := id.KubernetesNamespace, id.ServiceAccount
	if !dnsLabel.MatchString(ns) || !dnsLabel.MatchString(sa) {
		return id, policyErr(ErrInvalidPolicy, "{identity.kubernetesNamespace} %q and {identity.serviceAccount} %q: both are required, lower-case DNS names", ns, sa)
	}
	san := KubernetesSubject(ns, sa)
	if id.Subject != "" && id.Subject != san {
		return id, policyErr(ErrInvalidPolicy, "{identity.identity} %q contradicts the kubernetes service account %q", id.Subject, san)
	}
	if id.SubjectRegexp != "" {
		return id, policyErr(ErrInvalidPolicy, "{identity.identityRegexp} %q contradicts the kubernetes service account %q: give one", id.SubjectRegexp, san)
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

func (id *Identity) setRepository(repo, shorthand string) error {
	if id.SourceRepository != "" && normRepoPattern(id.SourceRepository) != repo {
		return policyErr(ErrInvalidPolicy, "{identity.sourceRepository} %q contradicts "+shorthand+" repository %q", id.SourceRepository, repo)
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

// WithTrustedKey says the bundles are signed with a trusted public key: the key is the whole
// identity, so the policy must name no certificate identity (that would be a requirement no
// key-signed bundle can be checked against), and certificate-signed bundles are refused.
// It wins over WithDefaultIdentity.
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
			return policyErr(ErrInvalidPolicy, "a default identity needs an issuer and an identity (exact or regexp)")
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

// Compile expands the shorthands, applies defaults and checks that the policy pins an issuer
// and a certificate-bound identity; it fails closed with ErrNoIdentityPolicy otherwise. Errors
// are *PolicyError, so a caller can name the fields in its own words.
func (p Policy) Compile(opts ...CompileOption) (*Compiled, error) {
	var cfg compileConfig
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := checkVersion(p.Version); err != nil {
		return nil, err
	}
	var provKeys []string
	for _, f := range []struct{ key, val string }{{"provenance.predicateType", p.Provenance.PredicateType},
		{"provenance.builderID", p.Provenance.BuilderID}, {"provenance.buildType", p.Provenance.BuildType}} {
		if f.val != "" {
			provKeys = append(provKeys, f.key)
		}
	}
	if p.Provenance.PredicateType == "" {
		p.Provenance.PredicateType = core.ProvenancePredicateType
	}
	if err := checkProvenance(p.Provenance); err != nil {
		return nil, err
	}
	if cfg.trustedKey {
		if f := p.Identity.namedFields(); len(f) > 0 {
			return nil, policyErr(ErrInvalidPolicy, "{publicKey} pins the signer to a key, which carries no identity: %s cannot be checked "+
				"against a key-signed bundle; drop them, or verify certificate-signed bundles without {publicKey}", f)
		}
		return &Compiled{Policy: p, keyOnly: true, provenanceKeys: provKeys}, nil
	}
	id, err := p.Identity.Expand()
	if err != nil {
		return nil, err
	}
	if err := checkSubjectRegexp(id.SubjectRegexp); err != nil {
		return nil, err // the policy's own; a default identity is the caller's to vouch for
	}
	if cfg.defaults != nil {
		id = id.withDefaults(*cfg.defaults)
	}
	c := &Compiled{provenanceKeys: provKeys}
	if err := c.compileIdentity(&id, false); err != nil {
		return nil, err
	}
	if err := checkBound(id, c); err != nil {
		return nil, err
	}
	p.Identity = id
	c.Policy = p
	return c, nil
}

func checkVersion(v int) error {
	if v != 0 && v != 1 {
		return policyErr(ErrInvalidPolicy, "{version} %d, expected 1", v)
	}
	return nil
}

// namedFields lists the identity fields a policy sets.
func (id Identity) namedFields() fieldList {
	var out fieldList
	for _, f := range []struct{ key, val string }{
		{"issuer", id.Issuer}, {"issuerRegexp", id.IssuerRegexp}, {"identity", id.Subject}, {"identityRegexp", id.SubjectRegexp},
		{"sourceRepository", id.SourceRepository}, {"sourceRef", id.SourceRef}, {"sourceDigest", id.SourceDigest},
		{"signerWorkflow", id.SignerWorkflow}, {"runnerEnvironment", id.RunnerEnvironment}, {"trigger", id.Trigger},
		{"github", id.GitHub}, {"gitlab", id.GitLab}, {"gitlabURL", id.GitLabURL},
		{"kubernetesNamespace", id.KubernetesNamespace}, {"serviceAccount", id.ServiceAccount},
	} {
		if f.val != "" {
			out = append(out, "identity."+f.key)
		}
	}
	return out
}

// compileIdentity checks every identity field on its own and compiles its matcher. It
// rewrites id's source ref and signer workflow into the whole forms they are matched as.
// partial accepts what flags may still complete (a signer path without a repository).
func (c *Compiled) compileIdentity(id *Identity, partial bool) error {
	if id.Issuer != "" && id.IssuerRegexp != "" {
		return policyErr(ErrInvalidPolicy, "give {identity.issuer} or {identity.issuerRegexp}, not both")
	}
	if id.Subject != "" && id.SubjectRegexp != "" {
		return policyErr(ErrInvalidPolicy, "give {identity.identity} or {identity.identityRegexp}, not both")
	}
	var err error
	if c.issuer, err = compileAnchored("{identity.issuerRegexp}", id.IssuerRegexp); err != nil {
		return err
	}
	if err := checkIssuerRegexp(id.IssuerRegexp); err != nil {
		return err
	}
	if c.subject, err = compileAnchored("{identity.identityRegexp}", id.SubjectRegexp); err != nil {
		return err
	}
	if id.SourceRepository != "" {
		if c.repo, err = compileRepository(id.SourceRepository); err != nil {
			return err
		}
		id.SourceRepository = c.repo
	}
	if id.SourceRef != "" {
		if c.ref, err = compileRef("{identity.sourceRef}", id.SourceRef); err != nil {
			return err
		}
		id.SourceRef = c.ref
	}
	if id.SignerWorkflow != "" {
		gitlab := id.GitLab != "" || strings.Contains(c.repo, "gitlab")
		if c.signer, err = compileSigner(id.SignerWorkflow, repoPath(c.repo), gitlab, partial); err != nil {
			return err
		}
		id.SignerWorkflow = c.signer.String()
	}
	if id.SourceDigest != "" {
		if c.digest, err = compileDigest(id.SourceDigest); err != nil {
			return err
		}
	}
	if err := checkGlob("{identity.trigger}", id.Trigger); err != nil {
		return err
	}
	if r := id.RunnerEnvironment; r != "" && (strings.TrimPrefix(r, "!") == "" || strings.ContainsAny(r, "*?[\\ ")) {
		return policyErr(ErrInvalidPolicy, "{identity.runnerEnvironment} %q: expected a value or !VALUE (github-hosted, !self-hosted)", r)
	}
	return nil
}

// checkBound fails closed unless the policy pins the issuer and a certificate-bound identity.
func checkBound(id Identity, c *Compiled) error {
	if id.Issuer == "" && id.IssuerRegexp == "" {
		return policyErr(ErrNoIdentityPolicy, "the policy pins no OIDC issuer: add {identity.issuer} (exact), "+
			"{identity.issuerRegexp} written ^...$ with its scheme and host literal, or {identity.github} OWNER/REPO or "+
			"{identity.gitlab} GROUP/PROJECT, which set it")
	}
	switch {
	case id.Subject != "", id.SubjectRegexp != "":
		return nil
	case c.repo != "":
		return nil
	case c.signer.bindsRepository():
		return nil
	}
	const msg = "the policy pins no identity the certificate binds: add {identity.identity} or {identity.identityRegexp} " +
		"(the certificate SAN), {identity.github} OWNER/REPO, {identity.gitlab} GROUP/PROJECT, {identity.sourceRepository} URI, " +
		"a whole {identity.signerWorkflow} OWNER/REPO/.github/workflows/FILE, or {identity.kubernetesNamespace} with {identity.serviceAccount}"
	if id.SourceRef != "" || id.SourceDigest != "" || id.Trigger != "" || id.RunnerEnvironment != "" {
		return policyErr(ErrNoIdentityPolicy, msg+"; a ref, digest, trigger or runner environment alone says nothing of who signed")
	}
	return policyErr(ErrNoIdentityPolicy, msg)
}

// checkProvenance checks the provenance policy's globs.
func checkProvenance(p Provenance) error {
	if err := checkGlob("{provenance.builderID}", p.BuilderID); err != nil {
		return err
	}
	return checkGlob("{provenance.buildType}", p.BuildType)
}

func checkGlob(field, val string) error {
	if _, err := path.Match(val, ""); err != nil {
		return policyErr(ErrInvalidPolicy, field+" %q is not a valid glob: %v", val, err)
	}
	return nil
}

// Compiled is a checked policy, ready to match certificates and predicates.
type Compiled struct {
	// Policy is the policy as applied: shorthands expanded, the source ref and signer
	// workflow in the whole forms they are matched as.
	Policy  Policy
	issuer  *regexp.Regexp
	subject *regexp.Regexp
	repo    string // source repository pattern, normalized
	ref     string // full ref pattern
	digest  string // lower-case hex commit
	signer  signerPattern
	// keyOnly: a public key is the whole identity; certificate-signed bundles are refused.
	keyOnly bool
	// provenanceKeys are the provenance requirements the policy states (the predicate type
	// only when given, not defaulted): a message signature, which has none, is refused.
	provenanceKeys []string
}

// KeyOnly reports whether the policy trusts a public key instead of certificate identities.
func (c *Compiled) KeyOnly() bool { return c.keyOnly }

// PolicyError is why a policy was refused. Its message names policy fields by placeholders
// ({identity.sourceRef}) that Error renders as the policy file's keys and Describe as the
// caller's own names (the verify command's flags).
type PolicyError struct {
	// Kind is ErrInvalidPolicy or ErrNoIdentityPolicy.
	Kind   error
	format string
	args   []any
}

func policyErr(kind error, format string, args ...any) *PolicyError {
	return &PolicyError{Kind: kind, format: format, args: args}
}

var placeholder = regexp.MustCompile(`\{[a-zA-Z.]+\}`)

// Describe renders the message, naming each field with name(key): key is the policy file's
// dotted key ("identity.sourceRef"), or "publicKey" for the trusted key.
func (e *PolicyError) Describe(name func(key string) string) string {
	f := placeholder.ReplaceAllStringFunc(e.format, func(m string) string {
		return strings.ReplaceAll(name(m[1:len(m)-1]), "%", "%%")
	})
	args := make([]any, len(e.args))
	for i, a := range e.args {
		args[i] = a
		if keys, ok := a.(fieldList); ok {
			names := make([]string, len(keys))
			for j, k := range keys {
				names[j] = name(k)
			}
			args[i] = strings.Join(names, ", ")
		}
	}
	return e.Kind.Error() + ": " + fmt.Sprintf(f, args...)
}

// fieldList is an argument of a PolicyError naming fields by their keys.
type fieldList []string

// Error renders the message with the policy file's keys.
func (e *PolicyError) Error() string { return e.Describe(FileKey) }

// Unwrap makes errors.Is(err, ErrInvalidPolicy) or ErrNoIdentityPolicy true.
func (e *PolicyError) Unwrap() error { return e.Kind }

// FileKey names a policy field as the policy file spells it.
func FileKey(key string) string {
	if key == "publicKey" {
		return "a trusted public key"
	}
	return key
}

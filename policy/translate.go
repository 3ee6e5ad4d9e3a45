package policy

import (
	"errors"
	"regexp"
	"sort"
	"strings"

	"github.com/signet-ci/signet/verify"
)

// rule is a verify policy in the terms both controllers share: the certificate's issuer and
// SAN, GitHub's certificate extensions (Kyverno only), and the provenance's predicate type and
// fields. Each match is exact or an anchored regular expression, never both.
type rule struct {
	issuer, subject match
	// extensions are Kyverno additionalExtensions: key → exact value.
	extensions    map[string]string
	predicateType string
	builderID     match
	buildType     match
}

// match is an exact value or a regular expression written ^...$.
type match struct{ exact, regexp string }

func (m match) set() bool { return m.exact != "" || m.regexp != "" }

// anchored is m as one regular expression: an exact value escaped and anchored.
func (m match) anchored() string {
	if m.exact != "" {
		return literalRegexp(m.exact)
	}
	return m.regexp
}

// literalRegexp is the regular expression that matches s and nothing else.
func literalRegexp(s string) string { return "^" + regexp.QuoteMeta(s) + "$" }

// globChars are path.Match's metacharacters, which verify's globs use.
const globChars = `*?[\`

// wildcardChars are the metacharacters of Kyverno's wildcard matching (issuer, subject,
// additionalExtensions, Equals conditions): a value holding one is not matched exactly.
const wildcardChars = `*?`

// GitHub's certificate host: Fulcio's SAN and build signer for the GitHub Actions issuer.
const githubHost = "https://github.com/"

// errCharClass is a glob with a character class, which the export does not translate.
var errCharClass = errors.New("a character class [...] in a glob is not translated; write the alternatives as separate policies")

// globRegexp translates a path.Match glob into a regular expression body whose '*' and '?'
// match no character of not ('/' as path.Match, plus '@' where the text ends at an @REF).
func globRegexp(glob, not string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString("[^" + not + "]*")
		case '?':
			b.WriteString("[^" + not + "]")
		case '[':
			return "", errCharClass
		case '\\':
			i++
			if i == len(glob) {
				return "", errors.New("the glob ends in an escape")
			}
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
	}
	return b.String(), nil
}

// globMatch is a glob as an exact value when it has no metacharacter, else as a regexp.
func globMatch(glob string) (match, error) {
	if !strings.ContainsAny(glob, globChars) {
		return match{exact: glob}, nil
	}
	re, err := globRegexp(glob, "/")
	if err != nil {
		return match{}, err
	}
	return match{regexp: "^" + re + "$"}, nil
}

// translator maps one compiled policy for one format, refusing what it cannot express.
type translator struct {
	format Format
	id     verify.Identity
}

func (t translator) refuse(key, reason string) error {
	return &InexpressibleError{Format: t.format, Key: key, Reason: reason}
}

// translate maps the compiled policy p (shorthands expanded) to a rule for format.
func translate(p verify.Policy, format Format) (rule, error) {
	t := translator{format: format, id: p.Identity}
	id := p.Identity
	r := rule{issuer: match{exact: id.Issuer, regexp: id.IssuerRegexp}, subject: match{exact: id.Subject, regexp: id.SubjectRegexp},
		predicateType: p.Provenance.PredicateType}
	if id.RunnerEnvironment != "" {
		return rule{}, t.refuse("identity.runnerEnvironment", "neither policy-controller nor Kyverno reads the certificate's runner "+
			"environment (extension 1.11); drop it only if admitting builds from any runner is acceptable")
	}
	if id.SignerWorkflow != "" {
		san, err := t.signerSAN(r.subject)
		if err != nil {
			return rule{}, err
		}
		r.subject = san
	}
	ext, err := t.extensions()
	if err != nil {
		return rule{}, err
	}
	r.extensions = ext
	if !r.subject.set() && len(ext) == 0 {
		return rule{}, t.refuse("identity.identity", "the policy binds no certificate SAN the target can check; "+
			"pin --certificate-identity, or a whole --signer-workflow")
	}
	if r.builderID, err = t.provenance("provenance.builderID", p.Provenance.BuilderID); err != nil {
		return rule{}, err
	}
	if r.buildType, err = t.provenance("provenance.buildType", p.Provenance.BuildType); err != nil {
		return rule{}, err
	}
	return r, t.checkKyvernoStrings(r)
}

// platformHost is the host of the certificate SAN when the policy pins the GitHub Actions or
// a GitLab issuer exactly: for those Fulcio writes the build signer URI as the SAN.
func (t translator) platformHost() string {
	id := t.id
	switch {
	case id.Issuer == verify.GitHubIssuer:
		return githubHost
	case id.Issuer == verify.GitLabURL:
		return verify.GitLabURL + "/"
	case id.GitLab != "" && id.GitLabURL != "" && id.Issuer == strings.TrimRight(id.GitLabURL, "/"):
		return strings.TrimRight(id.GitLabURL, "/") + "/"
	}
	return ""
}

// signerSAN turns the signer workflow (whole form, as verify applies it) into a SAN match.
func (t translator) signerSAN(subject match) (match, error) {
	const key = "identity.signerWorkflow"
	if subject.set() {
		return match{}, t.refuse(key, "it and the certificate identity both constrain the certificate SAN, and the target takes "+
			"one subject; give one of them")
	}
	host := t.platformHost()
	if host == "" {
		return match{}, t.refuse(key, "the build signer (extension 1.9) equals the certificate SAN, which the target checks, only "+
			"for the GitHub Actions and GitLab issuers: pin --certificate-oidc-issuer "+verify.GitHubIssuer+" or "+verify.GitLabURL+
			" (or --gitlab with --gitlab-url)")
	}
	sw := t.id.SignerWorkflow
	body, ref := sw, ""
	if i := strings.LastIndex(sw, "@"); i >= 0 {
		body, ref = sw[:i], sw[i+1:]
	}
	prefix := host
	if strings.Contains(body, "://") {
		if !strings.HasPrefix(body, host) {
			return match{}, t.refuse(key, "the URI "+body+" is not on the issuer's host "+host+", so no certificate of that issuer carries it")
		}
		body = strings.TrimPrefix(body, host)
	}
	if strings.Contains(body, "@") {
		return match{}, t.refuse(key, "a workflow path holding '@' cannot be told from its @REF in the SAN")
	}
	if !strings.ContainsAny(body+ref, globChars) && ref != "" {
		return match{exact: prefix + body + "@" + ref}, nil
	}
	bodyRe, err := globRegexp(body, "/@")
	if err != nil {
		return match{}, t.refuse(key, err.Error())
	}
	refRe := "(@[^@]*)?" // no ref required: any ref, or none
	if ref != "" {
		re, err := globRegexp(ref, "/@")
		if err != nil {
			return match{}, t.refuse(key, err.Error())
		}
		refRe = "@" + re
	}
	return match{regexp: "^" + regexp.QuoteMeta(prefix) + bodyRe + refRe + "$"}, nil
}

// extensions maps the source requirements to Kyverno's GitHub certificate extensions, which
// Fulcio writes with the same values as the source extensions for the GitHub Actions issuer.
func (t translator) extensions() (map[string]string, error) {
	id := t.id
	repoKey := "identity.sourceRepository"
	switch {
	case id.GitHub != "":
		repoKey = "identity.github"
	case id.GitLab != "":
		repoKey = "identity.gitlab"
	}
	fields := []struct{ key, ext, val, what string }{
		{repoKey, "githubWorkflowRepository", id.SourceRepository, "source repository (extension 1.12)"},
		{"identity.sourceRef", "githubWorkflowRef", id.SourceRef, "source ref (extension 1.14)"},
		{"identity.sourceDigest", "githubWorkflowSha", strings.ToLower(id.SourceDigest), "source commit (extension 1.13)"},
		{"identity.trigger", "githubWorkflowTrigger", id.Trigger, "build trigger (extension 1.20)"},
	}
	out := map[string]string{}
	for _, f := range fields {
		if f.val == "" {
			continue
		}
		if t.format == PolicyController {
			return nil, t.refuse(f.key, "policy-controller matches only the certificate's issuer and SAN, not its "+f.what+
				"; use --format kyverno (GitHub), or pin a whole --signer-workflow instead if the SAN is what you mean")
		}
		if id.Issuer != verify.GitHubIssuer {
			return nil, t.refuse(f.key, "Kyverno reads a certificate's "+f.what+" only through GitHub's own extensions "+
				"(additionalExtensions), which only the GitHub Actions issuer "+verify.GitHubIssuer+" writes")
		}
		v := f.val
		if f.ext == "githubWorkflowRepository" {
			if !strings.HasPrefix(v, githubHost) {
				return nil, t.refuse(f.key, "the repository "+v+" is not on "+githubHost)
			}
			v = strings.TrimPrefix(v, githubHost)
		}
		if strings.ContainsAny(v, globChars) {
			return nil, t.refuse(f.key, "Kyverno matches "+f.ext+" with wildcards whose '*' also crosses '/', so the glob "+
				f.val+" cannot be checked exactly; give an exact value")
		}
		out[f.ext] = v
	}
	return out, nil
}

// provenance maps a provenance glob: policy-controller checks it in a CUE policy (exact, or a
// regular expression for a glob); Kyverno in an Equals condition, exact values only.
func (t translator) provenance(key, glob string) (match, error) {
	if glob == "" {
		return match{}, nil
	}
	if t.format == Kyverno && strings.ContainsAny(glob, globChars) {
		return match{}, t.refuse(key, "Kyverno's Equals condition matches with wildcards whose '*' also crosses '/', "+
			"so the glob "+glob+" cannot be checked exactly; give an exact value")
	}
	m, err := globMatch(glob)
	if err != nil {
		return match{}, t.refuse(key, err.Error())
	}
	return m, nil
}

// checkKyvernoStrings refuses a value Kyverno would read as a variable ({{...}}) or as a
// wildcard pattern.
func (t translator) checkKyvernoStrings(r rule) error {
	if t.format != Kyverno {
		return nil
	}
	vals := map[string]string{"identity.issuerRegexp": r.issuer.anchored(), "identity.identityRegexp": r.subject.anchored(),
		"provenance.builderID": r.builderID.exact, "provenance.buildType": r.buildType.exact, "provenance.predicateType": r.predicateType}
	for k, v := range r.extensions {
		vals["extension "+k] = v
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.Contains(vals[k], "{{") {
			return t.refuse(k, "Kyverno substitutes {{...}} in policy values, so "+vals[k]+" would not be matched as written")
		}
	}
	for _, k := range []string{"provenance.builderID", "provenance.buildType"} {
		if strings.ContainsAny(vals[k], wildcardChars) {
			return t.refuse(k, "Kyverno reads '*' and '?' in "+vals[k]+" as wildcards")
		}
		// Equals compares a value that reads as a duration or a quantity ("1h", "1k") by
		// amount, so "1000" would equal "1k"; neither ever holds a ':'.
		if vals[k] != "" && !strings.Contains(vals[k], ":") {
			return t.refuse(k, "Kyverno's Equals compares values such as "+vals[k]+" as durations or quantities when they "+
				"read as one; only a URI (scheme:...) is compared as text")
		}
	}
	return nil
}

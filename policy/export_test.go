package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	kyvernov1 "github.com/kyverno/kyverno/api/kyverno/v1"
	pcv1beta1 "github.com/sigstore/policy-controller/pkg/apis/policy/v1beta1"
	"sigs.k8s.io/yaml"

	"github.com/signet-ci/signet/internal/golden"
	"github.com/signet-ci/signet/policy"
	"github.com/signet-ci/signet/verify"
)

const (
	githubIssuer = verify.GitHubIssuer
	k8sIssuer    = "https://kubernetes.default.svc.cluster.local"
)

// exportCase is one verify policy exported to one format.
type exportCase struct {
	name   string
	format policy.Format
	policy verify.Policy
	images []string
}

func goldenCases() []exportCase {
	ghPC := verify.Policy{Identity: verify.Identity{Issuer: githubIssuer,
		SignerWorkflow: "org/app/.github/workflows/release.yml@refs/tags/v*"},
		Provenance: verify.Provenance{BuilderID: "https://github.com/org/app/.github/workflows/release.yml@refs/tags/v*"}}
	ghKy := verify.Policy{Identity: verify.Identity{Shorthands: verify.Shorthands{GitHub: "org/app"},
		SignerWorkflow: ".github/workflows/release.yml", SourceRef: "main", Trigger: "push",
		SourceDigest: "0123456789ABCDEF0123456789abcdef01234567"},
		Provenance: verify.Provenance{BuilderID: "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main",
			BuildType: "https://actions.github.io/buildtypes/workflow/v1"}}
	gl := verify.Policy{Identity: verify.Identity{Issuer: verify.GitLabURL,
		SignerWorkflow: "group/sub/project//.gitlab-ci.yml@refs/heads/main"},
		Provenance: verify.Provenance{BuildType: "https://signet-ci.dev/buildtypes/gitlab/v1"}}
	k8s := verify.Policy{Identity: verify.Identity{Issuer: k8sIssuer,
		Shorthands: verify.Shorthands{KubernetesNamespace: "build", ServiceAccount: "release-bot"}}}
	img := []string{"ghcr.io/org/app*"}
	return []exportCase{
		{"github-policy-controller", policy.PolicyController, ghPC, img},
		{"github-kyverno", policy.Kyverno, ghKy, img},
		{"gitlab-policy-controller", policy.PolicyController, gl, []string{"registry.gitlab.com/group/sub/project/*"}},
		{"gitlab-kyverno", policy.Kyverno, gl, []string{"registry.gitlab.com/group/sub/project/*"}},
		{"kubernetes-policy-controller", policy.PolicyController, k8s, []string{"registry.example.com/tools/*", "registry.example.com/app"}},
		{"kubernetes-kyverno", policy.Kyverno, k8s, []string{"registry.example.com/tools/*", "registry.example.com/app"}},
	}
}

func export(t *testing.T, p verify.Policy, f policy.Format, images []string) ([]byte, error) {
	t.Helper()
	c, err := p.Compile()
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	var buf bytes.Buffer
	err = policy.Export(&buf, c, f, policy.Options{Name: "signet-release", Images: images})
	return buf.Bytes(), err
}

// strictJSON converts the YAML to JSON and decodes it into v, refusing unknown fields.
func strictJSON(t *testing.T, y []byte, v any) {
	t.Helper()
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatalf("YAMLToJSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("strict decoding into %T: %v\n%s", v, err, y)
	}
}

// upstreamValid decodes the output strictly into the controller's own Go type and runs its
// validation.
func upstreamValid(t *testing.T, f policy.Format, out []byte) {
	t.Helper()
	switch f {
	case policy.PolicyController:
		var p pcv1beta1.ClusterImagePolicy
		strictJSON(t, out, &p)
		if p.Kind != "ClusterImagePolicy" || p.APIVersion != "policy.sigstore.dev/v1beta1" {
			t.Fatalf("kind %q apiVersion %q", p.Kind, p.APIVersion)
		}
		if err := p.Validate(context.Background()); err != nil {
			t.Fatalf("policy-controller's ClusterImagePolicy.Validate: %v", err)
		}
	case policy.Kyverno:
		var p kyvernov1.ClusterPolicy
		strictJSON(t, out, &p)
		if p.Kind != "ClusterPolicy" || p.APIVersion != "kyverno.io/v1" {
			t.Fatalf("kind %q apiVersion %q", p.Kind, p.APIVersion)
		}
		if errs := p.Validate(nil); len(errs) > 0 {
			t.Fatalf("Kyverno's ClusterPolicy.Validate: %v", errs.ToAggregate())
		}
		for _, r := range p.Spec.Rules {
			for i, iv := range r.VerifyImages {
				if errs := iv.Validate(false, nil); len(errs) > 0 {
					t.Fatalf("Kyverno's ImageVerification.Validate (rule %s, %d): %v", r.Name, i, errs.ToAggregate())
				}
			}
		}
	}
}

func TestExportGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := export(t, tc.policy, tc.format, tc.images)
			if err != nil {
				t.Fatalf("Export: %v", err)
			}
			golden.Check(t, filepath.Join("testdata", tc.name+".yaml"), out)
			upstreamValid(t, tc.format, out)
		})
	}
}

// identity is the exported identity read back through the upstream types: issuer and subject
// as the controller evaluates them, and Kyverno's extensions.
type identity struct {
	issuerExact, issuerRe, subjectExact, subjectRe string
	ext                                            map[string]string
}

func identityOf(t *testing.T, f policy.Format, out []byte) identity {
	t.Helper()
	switch f {
	case policy.PolicyController:
		var p pcv1beta1.ClusterImagePolicy
		strictJSON(t, out, &p)
		id := p.Spec.Authorities[0].Keyless.Identities[0]
		return identity{issuerExact: id.Issuer, issuerRe: id.IssuerRegExp, subjectExact: id.Subject, subjectRe: id.SubjectRegExp}
	default:
		var p kyvernov1.ClusterPolicy
		strictJSON(t, out, &p)
		k := p.Spec.Rules[0].VerifyImages[0].Attestations[0].Attestors[0].Entries[0].Keyless
		if k.Issuer != "" || k.Subject != "" {
			t.Fatalf("Kyverno's issuer/subject are wildcard patterns; the export must write regexps only: %+v", k)
		}
		return identity{issuerRe: k.IssuerRegExp, subjectRe: k.SubjectRegExp, ext: k.AdditionalExtensions}
	}
}

// accepts evaluates the exported identity as the controllers do (cosign and Kyverno use Go's
// regexp.MatchString; policy-controller compares an exact subject with ==).
func (id identity) accepts(t *testing.T, issuer, san string) bool {
	t.Helper()
	ok := func(exact, re, got string) bool {
		switch {
		case exact != "":
			return exact == got
		case re != "":
			return regexp.MustCompile(re).MatchString(got)
		}
		return true
	}
	return ok(id.issuerExact, id.issuerRe, issuer) && ok(id.subjectExact, id.subjectRe, san)
}

// TestExportIdentityAttacks probes the exported identities with look-alike, case-variant and
// metacharacter SANs: only the ones signet verify accepts may pass.
func TestExportIdentityAttacks(t *testing.T) {
	t.Parallel()
	const wf = "https://github.com/org/app/.github/workflows/release.yml"
	cases := []struct {
		name    string
		policy  verify.Policy
		issuer  string
		accept  []string
		reject  []string
		rejectI []string // issuers refused with an accepted SAN
	}{
		{
			name:   "github signer glob",
			policy: verify.Policy{Identity: verify.Identity{Issuer: githubIssuer, SignerWorkflow: "org/app/.github/workflows/release.yml@refs/tags/v*"}},
			issuer: githubIssuer,
			accept: []string{wf + "@refs/tags/v1.2.3", wf + "@refs/tags/v"},
			reject: []string{
				wf + "@refs/tags/v1/evil", wf + "@refs/heads/main", wf + "@refs/tags/x1",
				"https://github.com/org/appx/.github/workflows/release.yml@refs/tags/v1",
				"https://github.com/org/app/.github/workflows/releaseXyml@refs/tags/v1",
				"https://github.com/org/app/Xgithub/workflows/release.yml@refs/tags/v1",
				"https://github.com/ORG/app/.github/workflows/release.yml@refs/tags/v1",
				"https://github.com/org/app/.github/workflows/Release.yml@refs/tags/v1",
				"https://githubXcom/org/app/.github/workflows/release.yml@refs/tags/v1",
				"https://evil.example/https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1",
				wf + "@refs/tags/v1@refs/heads/evil", wf + "@x@refs/tags/v1",
				"https://github.com/org/app/.github/workflows/release.yml/x@refs/tags/v1",
			},
			rejectI: []string{"https://token.actions.githubusercontent.com.evil.example", "https://token-actions-githubusercontent-com", "HTTPS://TOKEN.ACTIONS.GITHUBUSERCONTENT.COM"},
		},
		{
			name:   "github exact signer",
			policy: verify.Policy{Identity: verify.Identity{Issuer: githubIssuer, SignerWorkflow: "org/app/.github/workflows/release.yml@refs/heads/main"}},
			issuer: githubIssuer,
			accept: []string{wf + "@refs/heads/main"},
			reject: []string{wf + "@refs/heads/mainx", wf + "@refs/heads/Main", wf + "@refs/heads/main\n", "\n" + wf + "@refs/heads/main", wf + "@refs/heads/main/x", wf,
				"https://github.com/org/app/.github/workflows/release.yml@refs/heads/main@refs/heads/main"},
		},
		{
			name:   "github signer without ref",
			policy: verify.Policy{Identity: verify.Identity{Issuer: githubIssuer, SignerWorkflow: "org/app/.github/workflows/release.yml"}},
			issuer: githubIssuer,
			accept: []string{wf + "@refs/heads/main", wf + "@refs/tags/v1", wf},
			reject: []string{wf + "x@refs/heads/main", "https://github.com/org/app/.github/workflows/release.yml.evil@refs/heads/main",
				"https://github.com/org/app/.github/workflows/release.yml/../x.yml@refs/heads/main"},
		},
		{
			name: "identity with regexp metacharacters is literal",
			policy: verify.Policy{Identity: verify.Identity{Issuer: "https://accounts.example.com",
				Subject: "release+bot.(x)|y*?[a]{2}^$@example.com"}},
			issuer: "https://accounts.example.com",
			accept: []string{"release+bot.(x)|y*?[a]{2}^$@example.com"},
			reject: []string{"releaseebotX(x)|y*?[a]{2}^$@example.com", "y", "release+bot.(x)", "release+bot.(x)|yyyy?[a]{2}^$@example.com",
				"releaseXbot.(x)|y*?[a]{2}^$@example.com", "RELEASE+BOT.(X)|Y*?[A]{2}^$@EXAMPLE.COM", "aa@example.com",
				"release+bot.(x)|y*?[a]{2}^$@example.com.evil"},
			rejectI: []string{"https://accounts.example.com.evil", "https://accountsXexample.com"},
		},
		{
			name:   "kubernetes service account",
			policy: verify.Policy{Identity: verify.Identity{Issuer: k8sIssuer, Shorthands: verify.Shorthands{KubernetesNamespace: "build", ServiceAccount: "release-bot"}}},
			issuer: k8sIssuer,
			accept: []string{"https://kubernetes.io/namespaces/build/serviceaccounts/release-bot"},
			reject: []string{"https://kubernetes.io/namespaces/build/serviceaccounts/release-bot2",
				"https://kubernetes.io/namespaces/build2/serviceaccounts/release-bot",
				"https://kubernetes.io/namespaces/build/serviceaccounts/Release-bot",
				"https://kubernetesXio/namespaces/build/serviceaccounts/release-bot",
				"https://kubernetes.io/namespaces/build/serviceaccounts/release-bot/x"},
			rejectI: []string{k8sIssuer + ".evil", "https://kubernetesXdefault.svc.cluster.local"},
		},
		{
			name:   "gitlab signer",
			policy: verify.Policy{Identity: verify.Identity{Issuer: verify.GitLabURL, SignerWorkflow: "group/sub/project//.gitlab-ci.yml@refs/heads/*"}},
			issuer: verify.GitLabURL,
			accept: []string{"https://gitlab.com/group/sub/project//.gitlab-ci.yml@refs/heads/main"},
			reject: []string{"https://gitlab.com/group/sub/project//.gitlab-ci.yml@refs/heads/a/b",
				"https://gitlab.com/group/sub/projectx//.gitlab-ci.yml@refs/heads/main",
				"https://gitlab.com/group/sub/project//Xgitlab-ci.yml@refs/heads/main",
				"https://gitlab.evil/group/sub/project//.gitlab-ci.yml@refs/heads/main",
				"https://gitlab.com/group/sub/project//.gitlab-ci.yml@refs/tags/main"},
			rejectI: []string{"https://gitlab.com.evil", "https://gitlab.co"},
		},
	}
	for _, tc := range cases {
		for _, f := range []policy.Format{policy.PolicyController, policy.Kyverno} {
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				out, err := export(t, tc.policy, f, []string{"ghcr.io/org/app"})
				if err != nil {
					t.Fatalf("Export: %v", err)
				}
				upstreamValid(t, f, out)
				id := identityOf(t, f, out)
				for _, san := range tc.accept {
					if !id.accepts(t, tc.issuer, san) {
						t.Errorf("SAN %q refused; signet verify accepts it", san)
					}
				}
				for _, san := range tc.reject {
					if id.accepts(t, tc.issuer, san) {
						t.Errorf("false accept: SAN %q matches %+v", san, id)
					}
				}
				for _, iss := range tc.rejectI {
					if id.accepts(t, iss, tc.accept[0]) {
						t.Errorf("false accept: issuer %q matches %+v", iss, id)
					}
				}
			})
		}
	}
}

// TestExportRefuses checks that every policy a target cannot express exactly is refused,
// naming the requirement, and never written weaker.
func TestExportRefuses(t *testing.T) {
	t.Parallel()
	gh := func(mod func(*verify.Policy)) verify.Policy {
		p := verify.Policy{Identity: verify.Identity{Shorthands: verify.Shorthands{GitHub: "org/app"}}}
		mod(&p)
		return p
	}
	signer := verify.Policy{Identity: verify.Identity{Issuer: githubIssuer, SignerWorkflow: "org/app/.github/workflows/release.yml"}}
	with := func(p verify.Policy, mod func(*verify.Policy)) verify.Policy { mod(&p); return p }
	cases := []struct {
		name   string
		format policy.Format
		policy verify.Policy
		key    string
		reason string
	}{
		{"pc github shorthand", policy.PolicyController, gh(func(*verify.Policy) {}), "identity.github", "only the certificate's issuer and SAN"},
		{"pc source repository", policy.PolicyController, verify.Policy{Identity: verify.Identity{Issuer: githubIssuer,
			SourceRepository: "https://github.com/org/app"}}, "identity.sourceRepository", "source repository"},
		{"pc source ref", policy.PolicyController, with(signer, func(p *verify.Policy) { p.Identity.SourceRef = "main" }), "identity.sourceRef", "source ref"},
		{"pc source digest", policy.PolicyController, with(signer, func(p *verify.Policy) {
			p.Identity.SourceDigest = "0123456789abcdef0123456789abcdef01234567"
		}), "identity.sourceDigest", "source commit"},
		{"pc trigger", policy.PolicyController, with(signer, func(p *verify.Policy) { p.Identity.Trigger = "push" }), "identity.trigger", "build trigger"},
		{"runner environment pc", policy.PolicyController, with(signer, func(p *verify.Policy) { p.Identity.RunnerEnvironment = "github-hosted" }),
			"identity.runnerEnvironment", "runner"},
		{"runner environment kyverno", policy.Kyverno, gh(func(p *verify.Policy) { p.Identity.RunnerEnvironment = "!self-hosted" }),
			"identity.runnerEnvironment", "runner"},
		{"kyverno ref glob", policy.Kyverno, gh(func(p *verify.Policy) { p.Identity.SourceRef = "refs/tags/v*" }), "identity.sourceRef", "also crosses '/'"},
		{"kyverno repository glob", policy.Kyverno, verify.Policy{Identity: verify.Identity{Issuer: githubIssuer,
			SourceRepository: "https://github.com/org/*"}}, "identity.sourceRepository", "glob"},
		{"kyverno trigger glob", policy.Kyverno, gh(func(p *verify.Policy) { p.Identity.Trigger = "pu?h" }), "identity.trigger", "glob"},
		{"kyverno gitlab repository", policy.Kyverno, verify.Policy{Identity: verify.Identity{Shorthands: verify.Shorthands{GitLab: "group/project"}}},
			"identity.gitlab", "only the GitHub Actions issuer"},
		{"kyverno builder glob", policy.Kyverno, gh(func(p *verify.Policy) { p.Provenance.BuilderID = "https://github.com/org/app/*" }),
			"provenance.builderID", "glob"},
		{"kyverno build type variable", policy.Kyverno, gh(func(p *verify.Policy) { p.Provenance.BuildType = "https://x/{{request.object}}" }),
			"provenance.buildType", "substitutes"},
		{"kyverno identity regexp variable", policy.Kyverno, verify.Policy{Identity: verify.Identity{Issuer: "https://accounts.example.com",
			SubjectRegexp: `^x{{2}}@example\.com$`}}, "identity.identityRegexp", "substitutes"},
		{"kyverno builder id read as a quantity", policy.Kyverno, gh(func(p *verify.Policy) { p.Provenance.BuilderID = "1k" }),
			"provenance.builderID", "quantities"},
		{"kyverno build type read as a duration", policy.Kyverno, gh(func(p *verify.Policy) { p.Provenance.BuildType = "1h" }),
			"provenance.buildType", "durations"},
		{"signer with unknown issuer", policy.PolicyController, verify.Policy{Identity: verify.Identity{Issuer: "https://agent.buildkite.com",
			SignerWorkflow: "https://buildkite.com/org/pipeline/steps"}}, "identity.signerWorkflow", "only for the GitHub Actions and GitLab issuers"},
		{"signer with issuer regexp", policy.Kyverno, verify.Policy{Identity: verify.Identity{IssuerRegexp: `^https://token\.actions\.githubusercontent\.com$`,
			SignerWorkflow: "org/app/.github/workflows/release.yml"}}, "identity.signerWorkflow", "only for the GitHub Actions"},
		{"signer and identity", policy.PolicyController, with(signer, func(p *verify.Policy) { p.Identity.Subject = wfSAN }), "identity.signerWorkflow", "give one"},
		{"signer uri of another host", policy.PolicyController, verify.Policy{Identity: verify.Identity{Issuer: githubIssuer,
			SignerWorkflow: "https://github.evil/org/app/.github/workflows/release.yml"}}, "identity.signerWorkflow", "not on the issuer's host"},
		{"signer character class", policy.PolicyController, verify.Policy{Identity: verify.Identity{Issuer: githubIssuer,
			SignerWorkflow: "org/app/.github/workflows/re[l]ease.yml"}}, "identity.signerWorkflow", "character class"},
		{"builder character class", policy.PolicyController, with(signer, func(p *verify.Policy) { p.Provenance.BuilderID = "https://x/[ab]" }),
			"provenance.builderID", "character class"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := export(t, tc.policy, tc.format, []string{"ghcr.io/org/app"})
			var ie *policy.InexpressibleError
			if !errors.As(err, &ie) || !errors.Is(err, policy.ErrInexpressible) {
				t.Fatalf("Export = %v, want *InexpressibleError; wrote:\n%s", err, out)
			}
			if len(out) != 0 {
				t.Errorf("a refused export wrote %d bytes", len(out))
			}
			if ie.Key != tc.key || ie.Format != tc.format || !strings.Contains(ie.Reason, tc.reason) {
				t.Errorf("refused %s/%s: %q; want key %s and a reason with %q", ie.Format, ie.Key, ie.Reason, tc.key, tc.reason)
			}
		})
	}
}

const wfSAN = "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main"

func TestExportOptions(t *testing.T) {
	t.Parallel()
	p := verify.Policy{Identity: verify.Identity{Issuer: githubIssuer, SignerWorkflow: "org/app/.github/workflows/release.yml"}}
	c, err := p.Compile()
	if err != nil {
		t.Fatal(err)
	}
	key, err := verify.Policy{}.Compile(verify.WithTrustedKey())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		c      *verify.Compiled
		format policy.Format
		opts   policy.Options
		want   error
		option string
	}{
		{"no image", c, policy.Kyverno, policy.Options{Name: "x"}, policy.ErrInvalidOptions, "image"},
		{"empty image", c, policy.Kyverno, policy.Options{Name: "x", Images: []string{""}}, policy.ErrInvalidOptions, "image"},
		{"image with newline", c, policy.PolicyController, policy.Options{Name: "x", Images: []string{"ghcr.io/a\nb"}}, policy.ErrInvalidOptions, "image"},
		{"image with space", c, policy.PolicyController, policy.Options{Name: "x", Images: []string{"ghcr.io/a b"}}, policy.ErrInvalidOptions, "image"},
		{"image with braces", c, policy.Kyverno, policy.Options{Name: "x", Images: []string{"ghcr.io/{{x}}"}}, policy.ErrInvalidOptions, "image"},
		{"upper-case name", c, policy.Kyverno, policy.Options{Name: "Release", Images: []string{"a"}}, policy.ErrInvalidOptions, "name"},
		{"empty name", c, policy.Kyverno, policy.Options{Images: []string{"a"}}, policy.ErrInvalidOptions, "name"},
		{"unknown format", c, policy.Format("Kyverno"), policy.Options{Name: "x", Images: []string{"a"}}, policy.ErrInvalidOptions, "format"},
		{"key policy", key, policy.Kyverno, policy.Options{Name: "x", Images: []string{"a"}}, policy.ErrInexpressible, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := policy.Export(&buf, tc.c, tc.format, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Export = %v, want %v", err, tc.want)
			}
			var oe *policy.OptionError
			if tc.option != "" && (!errors.As(err, &oe) || oe.Option != tc.option) {
				t.Errorf("error %v does not name option %q", err, tc.option)
			}
			if buf.Len() != 0 {
				t.Errorf("a refused export wrote %d bytes", buf.Len())
			}
		})
	}
}

// TestExportEmptyPolicy: an empty policy never reaches Export; Compile refuses it.
func TestExportEmptyPolicy(t *testing.T) {
	t.Parallel()
	if _, err := (verify.Policy{}).Compile(); !errors.Is(err, verify.ErrNoIdentityPolicy) {
		t.Fatalf("Compile(empty) = %v, want ErrNoIdentityPolicy", err)
	}
}

// TestExportCUE checks the provenance requirements written for policy-controller: exact
// values as CUE strings, globs as anchored regexps, hostile characters escaped.
func TestExportCUE(t *testing.T) {
	t.Parallel()
	p := verify.Policy{Identity: verify.Identity{Issuer: githubIssuer, SignerWorkflow: "org/app/.github/workflows/release.yml"},
		Provenance: verify.Provenance{BuilderID: "https://x/a\"b\\\\c\n*", BuildType: "https://x/\"}\n"}}
	out, err := export(t, p, policy.PolicyController, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	var cip pcv1beta1.ClusterImagePolicy
	strictJSON(t, out, &cip)
	if err := cip.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	data := cip.Spec.Authorities[0].Attestations[0].Policy.Data
	want := "predicateType: \"https://slsa.dev/provenance/v1\"\n" +
		"predicate: runDetails: builder: id: =~\"^https://x/a\\\"b\\\\\\\\c\\n[^/]*$\"\n" +
		"predicate: buildDefinition: buildType: \"https://x/\\\"}\\n\"\n"
	if data != want {
		t.Errorf("CUE policy:\n%s\nwant:\n%s", data, want)
	}
}

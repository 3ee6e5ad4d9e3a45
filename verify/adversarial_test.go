package verify_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// advCase is one attempt to make verify accept what its policy should reject (or, as a control,
// accept what it should). The policy is p, or the policy document file when set.
type advCase struct {
	name   string
	bundle string // corpus bundle
	p      verify.Policy
	file   string
	key    bool // the policy pins the corpus key (--public-key)
	// refused: the policy itself is refused, before any bundle is read.
	refused bool
	// want is "" for PASS, else a part of the refusal or of the one-line failure reason.
	want string
}

// id builds an identity policy from an issuer and fields.
func id(issuer string, edit func(*verify.Identity)) verify.Policy {
	i := verify.Identity{Issuer: issuer}
	if edit != nil {
		edit(&i)
	}
	return verify.Policy{Identity: i}
}

func adversarialCases(iss map[localsigstore.Preset]string) []advCase {
	G, L, K, E := iss[localsigstore.PresetGitHub], iss[localsigstore.PresetGitLab], iss[localsigstore.PresetKubernetes], iss[localsigstore.PresetEmail]
	gh := func(edit func(*verify.Identity)) verify.Policy {
		return id(G, func(i *verify.Identity) {
			i.GitHub = demoRepo
			if edit != nil {
				edit(i)
			}
		})
	}
	k8s := func(edit func(*verify.Identity)) verify.Policy {
		return id(K, func(i *verify.Identity) {
			i.KubernetesNamespace, i.ServiceAccount = "signet-builds", "signet"
			if edit != nil {
				edit(i)
			}
		})
	}
	sw := func(w string) func(*verify.Identity) { return func(i *verify.Identity) { i.SignerWorkflow = w } }
	ref := func(r string) func(*verify.Identity) { return func(i *verify.Identity) { i.SourceRef = r } }
	repo := func(r string) func(*verify.Identity) { return func(i *verify.Identity) { i.SourceRepository = r } }
	san := func(r string) func(*verify.Identity) { return func(i *verify.Identity) { i.SubjectRegexp = r } }
	const notBound = "the certificate does not bind a "
	ghIssRe := `^http://127\.0\.0\.1:[0-9]+/oidc/github$`
	yaml := func(body string) string { return fmt.Sprintf("version: 1\nidentity:\n  issuer: %s\n%s", G, body) }
	return []advCase{
		// 1. A policy without a repository; signer workflows of other repositories.
		{name: "workflow path without repository", bundle: "gh-evil", p: id(G, sw(".github/workflows/release.yml")), refused: true,
			want: "is a path inside a repository, and the policy names no repository exactly"},
		{name: "workflow file name without repository", bundle: "gh-evil", p: id(G, sw("release.yml")), refused: true, want: "names no repository exactly"},
		{name: "workflow with a glob owner and repository", bundle: "gh-evil", p: id(G, sw("*/*/.github/workflows/release.yml")), refused: true,
			want: "pins no identity the certificate binds"},
		{name: "workflow with a glob owner (forks)", bundle: "gh-fork", p: id(G, sw("*/signet-demo/.github/workflows/release.yml")), refused: true,
			want: "pins no identity the certificate binds"},
		{name: "workflow with a glob repository", bundle: "gh-evil", p: id(G, sw("signet-ci/*/.github/workflows/release.yml")), refused: true,
			want: "pins no identity the certificate binds"},
		{name: "demo workflow path, evil repository", bundle: "gh-evil", p: gh(sw(".github/workflows/release.yml")),
			want: `source repository: expected "https://github.com/signet-ci/signet-demo", found "https://github.com/signet-ci/signet-demo-evil"`},
		{name: "short workflow path, workflow of another repository", bundle: "gh-reusable", p: gh(sw(".github/workflows/release.yml")),
			want: `signer workflow: expected "signet-ci/signet-demo/.github/workflows/release.yml", found "https://github.com/attacker/tools/.github/workflows/release.yml@refs/heads/main"`},
		{name: "reusable workflow named whole", bundle: "gh-reusable", p: gh(sw("attacker/tools/.github/workflows/release.yml"))},
		{name: "whole workflow path alone", bundle: "gh", p: id(G, sw(demoWorkflow))},
		{name: "whole workflow path, evil repository", bundle: "gh-evil", p: id(G, sw(demoWorkflow)),
			want: `signer workflow: expected "signet-ci/signet-demo/.github/workflows/release.yml"`},
		{name: "whole workflow path, fork", bundle: "gh-fork", p: id(G, sw(demoWorkflow)), want: `found "https://github.com/attacker/signet-demo/`},
		{name: "other workflow of the repository", bundle: "gh-ci-workflow", p: gh(sw(".github/workflows/release.yml")),
			want: `found "https://github.com/signet-ci/signet-demo/.github/workflows/ci.yml@refs/heads/main"`},
		{name: "workflow pinned to tags, run on a branch", bundle: "gh", p: gh(sw(".github/workflows/release.yml@refs/tags/*")),
			want: `signer workflow: expected "signet-ci/signet-demo/.github/workflows/release.yml@refs/tags/*"`},
		{name: "workflow pinned to tags, run on a tag", bundle: "gh-tag", p: gh(sw(".github/workflows/release.yml@refs/tags/v*"))},
		{name: "workflow full URI", bundle: "gh", p: id(G, sw("https://github.com/"+demoWorkflow))},
		{name: "workflow full URI, evil repository", bundle: "gh-evil", p: id(G, sw("https://github.com/"+demoWorkflow)),
			want: `signer workflow: expected "https://github.com/signet-ci/signet-demo/.github/workflows/release.yml"`},
		{name: "workflow URI on a look-alike host", bundle: "gh", p: id(G, sw("https://github.com.evil/"+demoWorkflow)),
			want: `signer workflow: expected "https://github.com.evil/`},
		{name: "workflow file suffix of another name", bundle: "gh-ci-workflow", p: gh(sw(".github/workflows/i.yml")), want: "signer workflow: expected"},

		// 2. Self-declared source: the predicate's claims never stand in for the certificate.
		{name: "any issuer regexp", bundle: "email", p: verify.Policy{Identity: verify.Identity{IssuerRegexp: ".*", SourceRepository: "https://github.com/" + demoRepo}},
			refused: true, want: `identity.issuerRegexp ".*" is not anchored`},
		{name: "anchored any issuer regexp", bundle: "email", p: verify.Policy{Identity: verify.Identity{IssuerRegexp: "^.*$", SourceRepository: "https://github.com/" + demoRepo}},
			refused: true, want: "does not fix the issuer's scheme and host"},
		{name: "email signer, source repository from its provenance", bundle: "email", p: id(E, repo("https://github.com/"+demoRepo)),
			want: notBound + "source repository: an email certificate binds only the issuer and the email address"},
		{name: "email signer named, source repository from its provenance", bundle: "email",
			p: id(E, func(i *verify.Identity) {
				i.Subject, i.SourceRepository = "signet@example.com", "https://github.com/"+demoRepo
			}),
			want: notBound + "source repository"},
		{name: "email signer named, source ref from its provenance", bundle: "email",
			p:    id(E, func(i *verify.Identity) { i.Subject, i.SourceRef = "signet@example.com", "refs/tags/v1.0.0" }),
			want: notBound + "source ref: an email certificate"},
		{name: "email signer named", bundle: "email", p: id(E, func(i *verify.Identity) { i.Subject = "signet@example.com" })},
		{name: "other email signer", bundle: "email-other", p: id(E, func(i *verify.Identity) { i.Subject = "signet@example.com" }),
			want: `identity (certificate SAN): expected "signet@example.com", found "mallory@example.com"`},
		{name: "email look-alike by case", bundle: "email", p: id(E, func(i *verify.Identity) { i.Subject = "Signet@example.com" }),
			want: `identity (certificate SAN): expected "Signet@example.com"`},
		{name: "the issue's policy file against an email signer", bundle: "email",
			file: "identity:\n  issuerRegexp: '" + verify.LocalIssuerRegexp + "'\n  sourceRepository: https://github.com/" + demoRepo + "\n  sourceRef: refs/tags/v1.0.0\n",
			want: notBound + "source repository"},
		{name: "kubernetes, source repository from its provenance", bundle: "k8s", p: k8s(repo("https://github.com/" + demoRepo)),
			want: notBound + "source repository: a Kubernetes certificate binds only the issuer and the service account (namespace and name)"},
		{name: "kubernetes, source ref", bundle: "k8s", p: k8s(ref("main")), want: notBound + "source ref: a Kubernetes certificate"},
		{name: "kubernetes, source digest", bundle: "k8s", p: k8s(func(i *verify.Identity) { i.SourceDigest = localsigstore.DefaultSHA }),
			want: notBound + "source digest"},
		{name: "kubernetes, signer workflow", bundle: "k8s", p: k8s(sw(demoWorkflow)), want: notBound + "signer workflow"},
		{name: "kubernetes, runner environment", bundle: "k8s", p: k8s(func(i *verify.Identity) { i.RunnerEnvironment = "!self-hosted" }),
			want: notBound + "runner environment"},
		{name: "kubernetes, trigger", bundle: "k8s", p: k8s(func(i *verify.Identity) { i.Trigger = "push" }), want: notBound + "trigger"},
		{name: "kubernetes service account", bundle: "k8s", p: k8s(nil)},
		{name: "kubernetes other service account", bundle: "k8s-other", p: k8s(nil),
			want: `identity (certificate SAN): expected "https://kubernetes.io/namespaces/signet-builds/serviceaccounts/signet"`},
		{name: "kubernetes namespace without service account", bundle: "k8s-other",
			p: id(K, func(i *verify.Identity) { i.KubernetesNamespace = "signet-builds" }), refused: true, want: "both are required"},
		{name: "kubernetes source repository alone", bundle: "k8s", p: id(K, repo("https://github.com/"+demoRepo)), want: notBound + "source repository"},
		{name: "source ref alone", bundle: "gh", p: id(G, ref("main")), refused: true,
			want: "a ref, digest, trigger or runner environment alone says nothing of who signed"},

		// 3. Key-signed bundles answer only to the key.
		{name: "key with identity flags", bundle: "key", key: true, p: gh(ref("refs/tags/v*")), refused: true,
			want: "pins the signer to a key, which carries no identity: identity.issuer, identity.sourceRef, identity.github cannot be checked"},
		{name: "key with an issuer", bundle: "key", key: true, p: id(G, nil), refused: true, want: "identity.issuer cannot be checked"},
		{name: "key alone", bundle: "key", key: true},
		{name: "key-signed bundle under an identity policy", bundle: "key", p: gh(nil), want: "no public key is trusted"},
		{name: "certificate-signed bundle under a key policy", bundle: "gh", key: true, want: "the policy pins a public key"},

		// 4. Policy files: strict keys.
		{name: "file: github and gitHub", bundle: "gh-evil", file: yaml("  github: signet-ci/signet-demo\n  gitHub: signet-ci/signet-demo-evil\n"),
			refused: true, want: `unknown key "identity.gitHub" (keys are case-sensitive: did you mean "github"?)`},
		{name: "file: sourceRef and sourceref", bundle: "gh", file: yaml("  github: signet-ci/signet-demo\n  sourceRef: refs/tags/v*\n  sourceref: main\n"),
			refused: true, want: `line 6: unknown key "identity.sourceref"`},
		{name: "file: duplicate github", bundle: "gh-evil", file: yaml("  github: signet-ci/signet-demo\n  github: signet-ci/signet-demo-evil\n"),
			refused: true, want: `duplicate key "identity.github" (first on line 4)`},
		{name: "file: JSON duplicate", bundle: "gh-evil",
			file:    `{"identity": {"issuer": "` + G + `", "github": "signet-ci/signet-demo", "github": "signet-ci/signet-demo-evil"}}`,
			refused: true, want: `duplicate key "identity.github"`},
		{name: "file: JSON case variant", bundle: "gh", file: `{"identity": {"issuer": "` + G + `", "GitHub": "signet-ci/signet-demo"}}`,
			refused: true, want: `unknown key "identity.GitHub"`},
		{name: "file: Identity section", bundle: "gh", file: "Identity:\n  github: signet-ci/signet-demo\n", refused: true, want: `unknown key "Identity"`},
		{name: "file: unknown key", bundle: "gh", file: yaml("  github: signet-ci/signet-demo\n  sourceRepo: https://github.com/x/y\n"),
			refused: true, want: `unknown key "identity.sourceRepo"`},
		{name: "file: merge key", bundle: "gh-evil", file: yaml("  github: signet-ci/signet-demo\n  <<: {github: signet-ci/signet-demo-evil}\n"),
			refused: true, want: "identity: merge keys (<<) are not allowed"},
		{name: "file: alias", bundle: "gh", file: "x: &r signet-ci/signet-demo\nidentity:\n  github: *r\n", refused: true, want: `unknown key "x"`},
		{name: "file: alias value", bundle: "gh", file: "identity:\n  github: &r signet-ci/signet-demo\n  gitlab: *r\n", refused: true,
			want: "aliases are not allowed"},
		{name: "file: list for a string", bundle: "gh", file: yaml("  github: [signet-ci/signet-demo, signet-ci/signet-demo-evil]\n"),
			refused: true, want: "identity.github: expected a string"},
		{name: "file: empty value", bundle: "gh", file: yaml("  github: signet-ci/signet-demo\n  sourceRef:\n"), refused: true,
			want: "identity.sourceRef has no value"},
		{name: "file: requireTlog yes", bundle: "gh", file: yaml("  github: signet-ci/signet-demo\nrequireTlog: yes\n"), refused: true,
			want: "requireTlog: expected true or false"},
		{name: "file: two documents", bundle: "gh", file: yaml("  github: signet-ci/signet-demo\n---\nidentity: {github: x/y}\n"), refused: true,
			want: "a policy is one document"},
		{name: "file: version 2", bundle: "gh", file: "version: 2\n" + yaml("  github: signet-ci/signet-demo\n")[len("version: 1\n"):], refused: true,
			want: "version 2, expected 1"},
		{name: "file: github release policy", bundle: "gh", file: yaml("  github: signet-ci/signet-demo\n  sourceRef: main\n  signerWorkflow: .github/workflows/release.yml\n  runnerEnvironment: '!self-hosted'\n")},
		{name: "file: JSON policy", bundle: "gh", file: `{"version": 1, "identity": {"issuerRegexp": "` + strings.ReplaceAll(ghIssRe, `\`, `\\`) + `", "github": "signet-ci/signet-demo", "sourceRef": "refs/heads/main"}}`},
		{name: "file: JSON policy, evil repository", bundle: "gh-evil", file: `{"identity": {"issuer": "` + G + `", "github": "signet-ci/signet-demo"}}`,
			want: "source repository"},

		// 5. Patterns that match more than they look like.
		{name: "branch name main, tag main", bundle: "gh-tag-main", p: gh(ref("main")), want: `source ref: expected "refs/heads/main", found "refs/tags/main"`},
		{name: "short glob v*", bundle: "gh-branch-v", p: gh(ref("v*")), refused: true,
			want: `identity.sourceRef "v*" is a short name with a pattern, which is ambiguous: write refs/heads/v* for branches or refs/tags/v* for tags`},
		{name: "short tags/ prefix", bundle: "gh-tag", p: gh(ref("tags/v1.2.0")), refused: true, want: "write the full ref refs/tags/v1.2.0"},
		{name: "tag glob, branch v9.9.9-evil", bundle: "gh-branch-v", p: gh(ref("refs/tags/v*")), want: `expected "refs/tags/v*", found "refs/heads/v9.9.9-evil"`},
		{name: "tag glob, tag", bundle: "gh-tag", p: gh(ref("refs/tags/v*"))},
		{name: "branch name of a tag's name", bundle: "gh-tag", p: gh(ref("v1.2.0")), want: `expected "refs/heads/v1.2.0", found "refs/tags/v1.2.0"`},
		{name: "PR ref under a branch glob", bundle: "gh-pr", p: gh(ref("refs/heads/*")), want: `found "refs/pull/1/merge"`},
		{name: "PR ref under main", bundle: "gh-pr", p: gh(ref("main")), want: `expected "refs/heads/main", found "refs/pull/1/merge"`},
		{name: "PR trigger", bundle: "gh-pr", p: gh(func(i *verify.Identity) { i.Trigger = "push" }), want: `trigger: expected "push", found "pull_request"`},
		{name: "unanchored identity regexp", bundle: "gh-evil", p: id(G, san(`github\.com/signet-ci/signet-demo/`)), refused: true,
			want: `identity.identityRegexp "github\\.com/signet-ci/signet-demo/" is not anchored`},
		{name: "anchored identity regexp", bundle: "gh", p: id(G, san(`^https://github\.com/signet-ci/signet-demo/.*$`))},
		{name: "anchored identity regexp, evil repository", bundle: "gh-evil", p: id(G, san(`^https://github\.com/signet-ci/signet-demo/.*$`)),
			want: "identity (certificate SAN): expected \"matching ^https://github\\\\.com/signet-ci/signet-demo/.*$\""},
		{name: "identity regexp alternation cannot escape the anchors", bundle: "gh-evil",
			p: id(G, san(`^https://github\.com/signet-ci/signet-demo/.*$|^x$`)), refused: true, want: "does not fix the signer"},
		{name: "identity regexp alternation, the other half", bundle: "gh-evil",
			p: id(G, san(`^x|github\.com/signet-ci/signet-demo-evil/.*$`)), refused: true, want: "does not fix the signer"},
		{name: "identity regexp matching every SAN", bundle: "gh-evil", p: id(G, san(`^.*$`)), refused: true, want: "does not fix the signer"},
		{name: "identity regexp matching every GitHub owner", bundle: "gh-evil", p: id(G, san(`^https://github\.com/.*$`)), refused: true,
			want: "does not fix the signer"},
		{name: "identity regexp with an owner prefix (owner-evil)", bundle: "gh-evil", p: id(G, san(`^https://github\.com/signet-ci.*$`)),
			refused: true, want: "does not fix the signer"},
		{name: "identity regexp any email", bundle: "email", p: id(E, san(`^.*@.*$`)), refused: true, want: "does not fix the signer"},
		{name: "issuer with a trailing slash", bundle: "gh", p: id(G+"/", func(i *verify.Identity) { i.GitHub = demoRepo }), want: `issuer: expected "` + G + `/"`},
		{name: "issuer over https", bundle: "gh", p: id(strings.Replace(G, "http://", "https://", 1), func(i *verify.Identity) { i.GitHub = demoRepo }),
			want: "issuer: expected \"https://127.0.0.1"},
		{name: "issuer with a look-alike suffix", bundle: "gh", p: id(G+".evil", func(i *verify.Identity) { i.GitHub = demoRepo }), want: "issuer: expected"},
		{name: "issuer regexp open after the host", bundle: "gh", p: verify.Policy{Identity: verify.Identity{IssuerRegexp: `^http://127\.0\.0\.1.*$`, Shorthands: verify.Shorthands{GitHub: demoRepo}}},
			refused: true, want: "does not fix the issuer's scheme and host"},
		{name: "issuer regexp alternation", bundle: "gl", p: verify.Policy{Identity: verify.Identity{IssuerRegexp: `^http://127\.0\.0\.1:[0-9]+/oidc/github|gitlab$`, Shorthands: verify.Shorthands{GitHub: demoRepo}}},
			refused: true, want: "does not fix the issuer's scheme and host"},
		{name: "issuer regexp case-insensitive", bundle: "gh", p: verify.Policy{Identity: verify.Identity{IssuerRegexp: `(?i)^http://127\.0\.0\.1:[0-9]+/oidc/github$`, Shorthands: verify.Shorthands{GitHub: demoRepo}}},
			refused: true, want: "is not anchored"},
		{name: "github policy, gitlab certificate", bundle: "gl", p: verify.Policy{Identity: verify.Identity{IssuerRegexp: ghIssRe, Shorthands: verify.Shorthands{GitHub: demoRepo}}},
			want: fmt.Sprintf("issuer: expected %q", "matching "+ghIssRe)},
		{name: "gitlab issuer, github certificate", bundle: "gh", p: id(L, func(i *verify.Identity) { i.GitHub = demoRepo }), want: `issuer: expected "` + L + `"`},
		{name: "owner case variant in the policy", bundle: "gh", p: id(G, func(i *verify.Identity) { i.GitHub = "Signet-CI/signet-demo" }),
			want: `expected "https://github.com/Signet-CI/signet-demo", found "https://github.com/signet-ci/signet-demo"`},
		{name: "owner case variant in the certificate", bundle: "gh-case", p: gh(nil), want: `found "https://github.com/Signet-CI/signet-demo"`},
		{name: "Unicode look-alike repository", bundle: "gh-unicode", p: gh(nil), want: "found \"https://github.com/signet-ci/signet-d\u0435mo\""},
		{name: "Unicode look-alike in the policy", bundle: "gh-unicode", p: id(G, func(i *verify.Identity) { i.GitHub = "signet-ci/signet-d\u0435mo" }),
			refused: true, want: "expected OWNER/REPO"},
		{name: "fork", bundle: "gh-fork", p: gh(nil), want: `found "https://github.com/attacker/signet-demo"`},
		{name: "org-wide repository glob", bundle: "gh", p: id(G, repo("https://github.com/signet-ci/*"))},
		{name: "org-wide repository glob, fork", bundle: "gh-fork", p: id(G, repo("https://github.com/signet-ci/*")), want: "source repository"},
		{name: "repository glob over owners", bundle: "gh-fork", p: id(G, repo("https://github.com/*/signet-demo")), refused: true,
			want: "must fix the scheme, host and owner"},
		{name: "repository over http", bundle: "gh", p: id(G, repo("http://github.com/"+demoRepo)), want: `source repository: expected "http://github.com/`},
		{name: "repository spelled .git/", bundle: "gh", p: id(G, repo("https://github.com/"+demoRepo+".git/"))},
		{name: "self-hosted runner denied", bundle: "gh-self-hosted", p: gh(func(i *verify.Identity) { i.RunnerEnvironment = "!self-hosted" }),
			want: `runner environment: expected "!self-hosted", found "self-hosted"`},
		{name: "commit in capitals", bundle: "gh", p: gh(func(i *verify.Identity) { i.SourceDigest = strings.ToUpper(localsigstore.DefaultSHA) })},
		{name: "other commit", bundle: "gh", p: gh(func(i *verify.Identity) { i.SourceDigest = strings.Repeat("0", 40) }), want: "source digest"},
		{name: "commit prefix", bundle: "gh", p: gh(func(i *verify.Identity) { i.SourceDigest = localsigstore.DefaultSHA[:12] }), refused: true,
			want: "40 or 64 hexadecimal digits"},
		{name: "gitlab config path", bundle: "gl", p: id(L, func(i *verify.Identity) { i.GitLab, i.SignerWorkflow = demoRepo, ".gitlab-ci.yml" })},
		{name: "gitlab whole config path alone", bundle: "gl", p: id(L, sw(demoRepo+"//.gitlab-ci.yml"))},
		{name: "gitlab whole config path, evil project", bundle: "gl-evil", p: id(L, sw(demoRepo+"//.gitlab-ci.yml")), want: "signer workflow"},
		{name: "gitlab evil project", bundle: "gl-evil", p: id(L, func(i *verify.Identity) { i.GitLab = demoRepo }), want: "source repository"},
		{name: "gitlab tag glob, branch", bundle: "gl", p: id(L, func(i *verify.Identity) { i.GitLab, i.SourceRef = demoRepo, "refs/tags/*" }),
			want: `expected "refs/tags/*", found "refs/heads/main"`},
	}
}

// TestAdversarial tries every way the issue found (and its neighbours) to make verify accept
// an attestation its policy should reject, against real bundles signed by the local Sigstore,
// and asserts each verdict with its reason. Zero false accepts.
func TestAdversarial(t *testing.T) {
	t.Parallel()
	f := local(t)
	bundles := signedCorpus(t)
	cases := adversarialCases(issuers(f))
	if len(cases) < 60 {
		t.Fatalf("%d cases; the suite needs at least 60", len(cases))
	}
	var passes, rejects, refusals atomic.Int32
	t.Cleanup(func() {
		t.Logf("%d cases: %d PASS, %d rejected with a reason, %d policies refused", len(cases), passes.Load(), rejects.Load(), refusals.Load())
	})
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("two cases named %q", tc.name)
		}
		seen[tc.name] = true
		b := bundles[tc.bundle]
		if b == nil {
			t.Fatalf("%s: no corpus bundle %q", tc.name, tc.bundle)
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := tc.compile()
			if tc.refused {
				if err == nil {
					t.Fatalf("policy accepted, want it refused with %q", tc.want)
				}
				if !strings.Contains(err.Error(), tc.want) || !errors.Is(err, verify.ErrInvalidPolicy) && !errors.Is(err, verify.ErrNoIdentityPolicy) {
					t.Fatalf("refused with %q\n  want %q", err, tc.want)
				}
				refusals.Add(1)
				return
			}
			if err != nil {
				t.Fatalf("policy refused: %v", err)
			}
			bv := f.bundleVerifier(t)
			if tc.key || tc.bundle == "key" {
				bv = keyVerifier(t, f)
			}
			rep := verifyBundle(t, bv, c, b)
			a := rep.Artifacts[0]
			if tc.want == "" {
				if !rep.Verified || !a.Verified {
					t.Fatalf("rejected, want PASS: %v", a.Failure)
				}
				checkPassClaims(t, c, a)
				passes.Add(1)
				return
			}
			if rep.Verified || a.Verified || rep.Summary.Verified != 0 {
				t.Fatalf("FALSE ACCEPT: want a failure with %q", tc.want)
			}
			if reason := a.Failure.Error(); !strings.Contains(reason, tc.want) || strings.Contains(reason, "\n") {
				t.Fatalf("reason %q\n  want %q on one line", reason, tc.want)
			}
			if a.Signer != nil || a.Provenance != nil {
				t.Errorf("a rejected result reports a signer or provenance as verified: %+v", a)
			}
			rejects.Add(1)
		})
	}
}

func (tc advCase) compile() (*verify.Compiled, error) {
	p := tc.p
	if tc.file != "" {
		var err error
		if p, err = verify.ParsePolicy([]byte(tc.file)); err != nil {
			return nil, err
		}
	}
	if tc.key {
		return p.Compile(verify.WithTrustedKey())
	}
	return p.Compile()
}

// checkPassClaims checks what a PASS report claims: a key-signed result names no signer and
// its applied policy no identity; a certificate-signed one names the certificate's signer.
func checkPassClaims(t *testing.T, c *verify.Compiled, a *verify.Result) {
	t.Helper()
	if c.KeyOnly() {
		if a.Signer != nil || c.Policy.Identity != (verify.Identity{}) {
			t.Errorf("a key-verified result claims an identity: signer %+v, policy %+v", a.Signer, c.Policy.Identity)
		}
		return
	}
	if a.Signer == nil || a.Signer.Issuer == "" || a.Signer.Identity == "" {
		t.Errorf("a certificate-verified result lacks its signer: %+v", a.Signer)
	}
}

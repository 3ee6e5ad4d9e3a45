package verify_test

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

var propertySeed = flag.Uint64("property.seed", 0, "seed of TestPropertyPassImpliesCertificateMatch (0: from the clock)")

// certFields are a certificate's identity fields, read from its DER by OID, independently of
// sigstore-go and of the policy code.
type certFields struct {
	issuer, san, repo, ref, digest, signer, runner, trigger string
}

var fulcioOID = map[string]func(*certFields) *string{
	"1.3.6.1.4.1.57264.1.8":  func(c *certFields) *string { return &c.issuer },
	"1.3.6.1.4.1.57264.1.9":  func(c *certFields) *string { return &c.signer },
	"1.3.6.1.4.1.57264.1.11": func(c *certFields) *string { return &c.runner },
	"1.3.6.1.4.1.57264.1.12": func(c *certFields) *string { return &c.repo },
	"1.3.6.1.4.1.57264.1.13": func(c *certFields) *string { return &c.digest },
	"1.3.6.1.4.1.57264.1.14": func(c *certFields) *string { return &c.ref },
	"1.3.6.1.4.1.57264.1.20": func(c *certFields) *string { return &c.trigger },
}

func parseCertFields(t *testing.T, bundle []byte) certFields {
	t.Helper()
	var b struct {
		VerificationMaterial struct {
			Certificate struct {
				RawBytes string `json:"rawBytes"`
			} `json:"certificate"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	der, err := base64.StdEncoding.DecodeString(b.VerificationMaterial.Certificate.RawBytes)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	var c certFields
	for _, e := range cert.Extensions {
		if field, ok := fulcioOID[e.Id.String()]; ok {
			if _, err := asn1.Unmarshal(e.Value, field(&c)); err != nil {
				t.Fatalf("extension %s: %v", e.Id, err)
			}
		}
	}
	switch {
	case len(cert.URIs) == 1:
		c.san = cert.URIs[0].String()
	case len(cert.EmailAddresses) == 1:
		c.san = cert.EmailAddresses[0]
	}
	if c.issuer == "" || c.san == "" {
		t.Fatalf("certificate without issuer or SAN: %+v", c)
	}
	return c
}

// Pools the random certificates and policies draw from: values that match, and their
// neighbours (other owners, case and Unicode look-alikes, forks, tags named like branches).
var (
	poolRepos   = []string{demoRepo, demoRepo + "-evil", "Signet-CI/signet-demo", "attacker/signet-demo", "signet-ci/signet-d\u0435mo", "signet-ci/tools"}
	poolRefs    = []string{"refs/heads/main", "refs/tags/v1.2.0", "refs/tags/main", "refs/heads/v1.2.0", "refs/pull/1/merge", "refs/heads/release/1"}
	poolFiles   = []string{"release.yml", "ci.yml"}
	poolEvents  = []string{"push", "pull_request", "release"}
	poolRunners = []string{"github-hosted", "self-hosted"}
	poolSAs     = [][2]string{{"signet-builds", "signet"}, {"signet-builds", "attacker"}, {"other", "signet"}}
	poolEmails  = []string{"signet@example.com", "mallory@example.com", "Signet@example.com"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// randomClaims are the token claims of a random run on a random preset.
func randomClaims(r *rand.Rand) (localsigstore.Preset, map[string]any) {
	switch r.IntN(5) {
	case 0, 1:
		repo, ref := pick(r, poolRepos), pick(r, poolRefs)
		wrepo := repo
		if r.IntN(4) == 0 {
			wrepo = "attacker/tools"
		}
		c := githubRun(repo, ref, wrepo+"/.github/workflows/"+pick(r, poolFiles), ref)
		c["event_name"], c["runner_environment"] = pick(r, poolEvents), pick(r, poolRunners)
		return localsigstore.PresetGitHub, c
	case 2:
		project, ref := pick(r, poolRepos), pick(r, []string{"main", "v1.2.0"})
		refType := pick(r, []string{"branch", "tag"})
		full := map[string]string{"branch": "refs/heads/", "tag": "refs/tags/"}[refType] + ref
		return localsigstore.PresetGitLab, map[string]any{"project_path": project, "ref": ref, "ref_type": refType,
			"pipeline_source": pick(r, poolEvents), "ci_config_ref_uri": "gitlab.com/" + project + "//.gitlab-ci.yml@" + full}
	case 3:
		sa := pick(r, poolSAs)
		return localsigstore.PresetKubernetes, map[string]any{"sub": "system:serviceaccount:" + sa[0] + ":" + sa[1], "kubernetes.io": map[string]any{
			"namespace": sa[0], "pod": map[string]any{"name": "p", "uid": "4b0b3c9e-6d0a-4f1e-9a57-3f8e2c1d7b60"},
			"serviceaccount": map[string]any{"name": sa[1], "uid": "e2a4c6f8-1b3d-4e5f-8a9b-0c1d2e3f4a5b"}}}
	}
	return localsigstore.PresetEmail, map[string]any{"email": pick(r, poolEmails)}
}

// requirement is one field of a random policy and the oracle that says, from the parsed
// certificate alone, whether the certificate meets it. Oracles are written from the documented
// rules, not from the matcher.
type requirement struct {
	what string
	set  func(*verify.Identity)
	ok   func(certFields) bool
}

// randomPolicy draws an issuer requirement, one certificate-bound identity and up to three
// further requirements.
//
// Half the policies aim at target, a certificate of the run, so that PASS is common: their
// values are drawn from the target's own fields instead of the pools.
func randomPolicy(r *rand.Rand, iss map[localsigstore.Preset]string, target certFields) (verify.Policy, []requirement) {
	aim := r.IntN(2) == 0
	from := func(pool []string, own string) string {
		if aim && own != "" && r.IntN(4) > 0 {
			return own
		}
		return pick(r, pool)
	}
	var reqs []requirement
	var probe verify.Identity
	add := func(what string, set func(*verify.Identity), ok func(certFields) bool) {
		before := probe
		if set(&probe); probe == before || namesTwice(before, probe) {
			probe = before // one requirement per field: a second would replace the first
			return
		}
		reqs = append(reqs, requirement{what, set, ok})
	}
	issuer := iss[pick(r, localsigstore.Presets())]
	if aim {
		issuer = target.issuer
	}
	switch r.IntN(4) {
	case 0:
		add("issuer regexp "+issuer, func(i *verify.Identity) { i.IssuerRegexp = "^" + regexp.QuoteMeta(issuer) + "$" },
			func(c certFields) bool { return c.issuer == issuer })
	case 1:
		add("issuer + '/'", func(i *verify.Identity) { i.Issuer = issuer + "/" }, func(c certFields) bool { return c.issuer == issuer+"/" })
	default:
		add("issuer "+issuer, func(i *verify.Identity) { i.Issuer = issuer }, func(c certFields) bool { return c.issuer == issuer })
	}
	repo := ""
	kind := r.IntN(7)
	switch {
	case !aim:
	case strings.HasPrefix(target.repo, "https://github.com/"):
		kind = pick(r, []int{0, 4, 5, 6})
	case strings.HasPrefix(target.repo, "https://gitlab.com/"):
		kind = 1
	case strings.HasPrefix(target.san, "https://kubernetes.io/"):
		kind = 2
	default:
		kind = 3
	}
	ownRepo := func() string { p, _ := strings.CutPrefix(target.repo, "https://github.com/"); return p }
	if !aim || !strings.HasPrefix(target.repo, "https://github.com/") {
		ownRepo = func() string { return "" }
	}
	switch kind {
	case 0:
		repo = from(poolRepos, ownRepo())
		if !regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`).MatchString(repo) {
			repo = demoRepo // the shorthand refuses non-ASCII names
		}
		add("github "+repo, func(i *verify.Identity) { i.GitHub = repo }, func(c certFields) bool { return c.repo == "https://github.com/"+repo })
	case 1:
		project := from(poolRepos, strings.TrimPrefix(target.repo, "https://gitlab.com/"))
		if strings.ContainsRune(project, '\u0435') {
			project = demoRepo
		}
		uri := "https://gitlab.com/" + project
		add("gitlab "+project, func(i *verify.Identity) { i.GitLab = project }, func(c certFields) bool { return c.repo == uri })
		if r.IntN(2) == 0 {
			add("gitlab config", func(i *verify.Identity) { i.SignerWorkflow = ".gitlab-ci.yml" },
				func(c certFields) bool { return strings.HasPrefix(c.signer, uri+"//.gitlab-ci.yml@") })
		}
	case 2:
		sa := pick(r, poolSAs)
		if m := regexp.MustCompile(`^https://kubernetes\.io/namespaces/([^/]+)/serviceaccounts/([^/]+)$`).FindStringSubmatch(target.san); aim && m != nil {
			sa = [2]string{m[1], m[2]}
		}
		add("kubernetes "+sa[0]+"/"+sa[1], func(i *verify.Identity) { i.KubernetesNamespace, i.ServiceAccount = sa[0], sa[1] },
			func(c certFields) bool {
				return c.san == "https://kubernetes.io/namespaces/"+sa[0]+"/serviceaccounts/"+sa[1]
			})
	case 3:
		e := from(poolEmails, target.san)
		add("identity "+e, func(i *verify.Identity) { i.Subject = e }, func(c certFields) bool { return c.san == e })
	case 4:
		owner, _, _ := strings.Cut(from(poolRepos, ownRepo()), "/")
		p := "https://github.com/" + owner + "/"
		add("identity regexp "+p, func(i *verify.Identity) { i.SubjectRegexp = "^" + regexp.QuoteMeta(p) + ".*$" },
			func(c certFields) bool { return strings.HasPrefix(c.san, p) })
	case 5:
		owner, _, _ := strings.Cut(from(poolRepos, ownRepo()), "/")
		p := "https://github.com/" + owner + "/"
		add("repository glob "+p+"*", func(i *verify.Identity) { i.SourceRepository = p + "*" },
			func(c certFields) bool {
				rest, ok := strings.CutPrefix(c.repo, p)
				return ok && rest != "" && !strings.Contains(rest, "/")
			})
	default:
		w := pick(r, append([]string{"attacker/tools"}, poolRepos...)) + "/.github/workflows/" + pick(r, poolFiles)
		if own, _, ok := strings.Cut(strings.TrimPrefix(target.signer, "https://github.com/"), "@"); aim && ok && strings.HasPrefix(target.signer, "https://github.com/") {
			w = own
		}
		add("whole workflow "+w, func(i *verify.Identity) { i.SignerWorkflow = w },
			func(c certFields) bool { return strings.HasPrefix(c.signer, "https://github.com/"+w+"@") })
	}
	for range r.IntN(4) {
		switch r.IntN(6) {
		case 0:
			ref := from(poolRefs, target.ref)
			add("ref "+ref, func(i *verify.Identity) { i.SourceRef = ref }, func(c certFields) bool { return c.ref == ref })
		case 1:
			add("branch main", func(i *verify.Identity) { i.SourceRef = "main" }, func(c certFields) bool { return c.ref == "refs/heads/main" })
		case 2:
			add("tags", func(i *verify.Identity) { i.SourceRef = "refs/tags/*" }, func(c certFields) bool {
				rest, ok := strings.CutPrefix(c.ref, "refs/tags/")
				return ok && rest != "" && !strings.Contains(rest, "/")
			})
		case 3:
			ev := from(poolEvents, target.trigger)
			add("trigger "+ev, func(i *verify.Identity) { i.Trigger = ev }, func(c certFields) bool { return c.trigger == ev })
		case 4:
			rn := from(poolRunners, target.runner)
			if r.IntN(2) == 0 {
				add("runner "+rn, func(i *verify.Identity) { i.RunnerEnvironment = rn }, func(c certFields) bool { return c.runner == rn })
			} else {
				add("runner !"+rn, func(i *verify.Identity) { i.RunnerEnvironment = "!" + rn }, func(c certFields) bool { return c.runner != "" && c.runner != rn })
			}
		case 5:
			if repo != "" {
				f := pick(r, poolFiles)
				add("workflow "+f+" in "+repo, func(i *verify.Identity) { i.SignerWorkflow = ".github/workflows/" + f }, func(c certFields) bool {
					return strings.HasPrefix(c.signer, "https://github.com/"+repo+"/.github/workflows/"+f+"@")
				})
			} else {
				add("commit", func(i *verify.Identity) { i.SourceDigest = localsigstore.DefaultSHA },
					func(c certFields) bool { return strings.EqualFold(c.digest, localsigstore.DefaultSHA) })
			}
		}
	}
	var p verify.Policy
	for _, rq := range reqs {
		rq.set(&p.Identity)
	}
	return p, reqs
}

// namesTwice reports whether after sets a field before had already set.
func namesTwice(before, after verify.Identity) bool {
	b, a := []string{before.Issuer, before.IssuerRegexp, before.SourceRef, before.Trigger, before.RunnerEnvironment, before.SignerWorkflow, before.SourceDigest},
		[]string{after.Issuer, after.IssuerRegexp, after.SourceRef, after.Trigger, after.RunnerEnvironment, after.SignerWorkflow, after.SourceDigest}
	for i := range b {
		if b[i] != "" && a[i] != b[i] {
			return true
		}
	}
	return false
}

// TestPropertyPassImpliesCertificateMatch verifies random certificates from the local Sigstore
// against random policies: a PASS must imply that every requirement holds of the certificate's
// own fields, read from its DER; and, as a check on the generator, a policy whose every
// requirement holds must pass.
func TestPropertyPassImpliesCertificateMatch(t *testing.T) {
	t.Parallel()
	f := local(t)
	seed := *propertySeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -property.seed %d)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 0x5157))
	const certs, policies = 24, 1000
	ctx := context.Background()
	bv := f.bundleVerifier(t)
	type signedCert struct {
		fields certFields
		vb     *verify.Verified
	}
	var cs []signedCert
	for i := range certs {
		preset, claims := randomClaims(r)
		b := &signedBundle{name: fmt.Sprintf("random-%d", i), preset: preset, claims: claims}
		b.sign(t, f)
		vb, err := bv.VerifyBundle(ctx, b.json)
		if err != nil {
			t.Fatalf("%s (%s %v): %v", b.name, preset, claims, err)
		}
		cs = append(cs, signedCert{parseCertFields(t, b.json), vb})
	}
	iss := issuers(f)
	var passes, fails int
	for range policies {
		p, reqs := randomPolicy(r, iss, pick(r, cs).fields)
		c, err := p.Compile()
		if err != nil {
			t.Fatalf("random policy %+v refused: %v", p.Identity, err)
		}
		for _, sc := range cs {
			failure := verify.CheckPolicy(c, sc.vb)
			var unmet []string
			for _, rq := range reqs {
				if !rq.ok(sc.fields) {
					unmet = append(unmet, rq.what)
				}
			}
			switch {
			case failure == nil && len(unmet) > 0:
				t.Fatalf("FALSE ACCEPT: policy %+v passed certificate %+v, which does not meet %v", p.Identity, sc.fields, unmet)
			case failure != nil && len(unmet) == 0:
				t.Fatalf("policy %+v rejected certificate %+v, which meets all of it: %v", p.Identity, sc.fields, failure)
			case failure == nil:
				passes++
			default:
				fails++
			}
		}
	}
	t.Logf("%d policies x %d certificates: %d PASS, %d rejected", policies, certs, passes, fails)
	if passes == 0 || fails == 0 {
		t.Fatalf("the generator is hollow: %d PASS, %d rejected", passes, fails)
	}
}

package verify_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// signedBundle is one bundle of the adversarial corpus: a statement over one subject, signed
// once per test binary through the local Sigstore.
type signedBundle struct {
	name    string
	preset  localsigstore.Preset
	claims  map[string]any // the token's claims over the preset's
	json    []byte
	subject core.Subject
}

// corpus holds the bundles every adversarial and property test verifies against; the key
// bundle's public key is kept to verify it with.
var corpus struct {
	once    sync.Once
	bundles map[string]*signedBundle
	keyPub  crypto.PublicKey
	ok      bool
}

// githubRun is the claims of a GitHub run of repo at ref whose job runs workflow
// (OWNER/REPO/.github/workflows/FILE) at wref.
func githubRun(repo, ref, workflow, wref string) map[string]any {
	owner, _, _ := strings.Cut(repo, "/")
	refType := "branch"
	if strings.HasPrefix(ref, "refs/tags/") {
		refType = "tag"
	}
	return map[string]any{"repository": repo, "repository_owner": owner, "ref": ref, "ref_type": refType,
		"sub": "repo:" + repo + ":ref:" + ref, "workflow_ref": repo + "/.github/workflows/release.yml@" + ref,
		"job_workflow_ref": workflow + "@" + wref}
}

const demoWorkflow = demoRepo + "/.github/workflows/release.yml"

// corpusSpecs are the bundles signed for the adversarial suite.
func corpusSpecs() []signedBundle {
	gh := func(name string, claims map[string]any) signedBundle {
		return signedBundle{name: name, preset: localsigstore.PresetGitHub, claims: claims}
	}
	with := func(m map[string]any, k string, v any) map[string]any {
		m = maps.Clone(m)
		m[k] = v
		return m
	}
	main := githubRun(demoRepo, "refs/heads/main", demoWorkflow, "refs/heads/main")
	k8sAs := func(sa string) map[string]any {
		return map[string]any{"sub": "system:serviceaccount:signet-builds:" + sa, "kubernetes.io": map[string]any{
			"namespace": "signet-builds", "pod": map[string]any{"name": "p", "uid": "4b0b3c9e-6d0a-4f1e-9a57-3f8e2c1d7b60"},
			"serviceaccount": map[string]any{"name": sa, "uid": "e2a4c6f8-1b3d-4e5f-8a9b-0c1d2e3f4a5b"}}}
	}
	return []signedBundle{
		gh("gh", main),
		gh("gh-evil", githubRun(demoRepo+"-evil", "refs/heads/main", demoRepo+"-evil/.github/workflows/release.yml", "refs/heads/main")),
		gh("gh-fork", githubRun("attacker/signet-demo", "refs/heads/main", "attacker/signet-demo/.github/workflows/release.yml", "refs/heads/main")),
		gh("gh-case", githubRun("Signet-CI/signet-demo", "refs/heads/main", "Signet-CI/signet-demo/.github/workflows/release.yml", "refs/heads/main")),
		// "signet-dеmo" with a Cyrillic е (U+0435).
		gh("gh-unicode", githubRun("signet-ci/signet-d\u0435mo", "refs/heads/main", "signet-ci/signet-d\u0435mo/.github/workflows/release.yml", "refs/heads/main")),
		gh("gh-reusable", githubRun(demoRepo, "refs/heads/main", "attacker/tools/.github/workflows/release.yml", "refs/heads/main")),
		gh("gh-ci-workflow", githubRun(demoRepo, "refs/heads/main", demoRepo+"/.github/workflows/ci.yml", "refs/heads/main")),
		gh("gh-tag", githubRun(demoRepo, "refs/tags/v1.2.0", demoWorkflow, "refs/tags/v1.2.0")),
		gh("gh-branch-v", githubRun(demoRepo, "refs/heads/v9.9.9-evil", demoWorkflow, "refs/heads/v9.9.9-evil")),
		gh("gh-tag-main", githubRun(demoRepo, "refs/tags/main", demoWorkflow, "refs/tags/main")),
		gh("gh-pr", with(githubRun(demoRepo, "refs/pull/1/merge", demoWorkflow, "refs/pull/1/merge"), "event_name", "pull_request")),
		gh("gh-self-hosted", with(main, "runner_environment", "self-hosted")),
		{name: "gl", preset: localsigstore.PresetGitLab},
		{name: "gl-evil", preset: localsigstore.PresetGitLab, claims: map[string]any{"project_path": demoRepo + "-evil",
			"ci_config_ref_uri": "gitlab.com/" + demoRepo + "-evil//.gitlab-ci.yml@refs/heads/main"}},
		{name: "k8s", preset: localsigstore.PresetKubernetes},
		{name: "k8s-other", preset: localsigstore.PresetKubernetes, claims: k8sAs("attacker")},
		// An email signer whose local provenance claims the demo repository at a release tag.
		{name: "email", preset: localsigstore.PresetEmail},
		{name: "email-other", preset: localsigstore.PresetEmail, claims: map[string]any{"email": "mallory@example.com"}},
		// Signed with a key; its provenance claims attacker/evil at refs/heads/dev.
		{name: "key", preset: localsigstore.PresetEmail},
	}
}

// signedCorpus signs the corpus on first use. A failure is a test failure, never a skip.
func signedCorpus(t *testing.T) map[string]*signedBundle {
	t.Helper()
	f := local(t)
	corpus.once.Do(func() {
		corpus.bundles = map[string]*signedBundle{}
		for _, spec := range corpusSpecs() {
			b := spec
			b.sign(t, f)
			corpus.bundles[b.name] = &b
		}
		corpus.ok = true
	})
	if !corpus.ok {
		t.Fatal("signing the adversarial corpus failed in an earlier test")
	}
	return corpus.bundles
}

func (b *signedBundle) sign(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	tok, err := f.ls.Token(b.preset, localsigstore.WithClaims(b.claims))
	if err != nil {
		t.Fatalf("%s: minting a token: %v", b.name, err)
	}
	b.subject = subjectRef("app.tar.gz", "adversarial "+b.name)
	pred := f.provenance(t, b.preset, tok, t.TempDir())
	switch b.name {
	case "email":
		pred = *editPredicate(t, pred, claimSource("https://github.com/"+demoRepo, "refs/tags/v1.0.0"))
	case "key":
		pred = *editPredicate(t, pred, claimSource("https://github.com/attacker/evil", "refs/heads/dev"))
	}
	sts, err := core.Statements([]core.Subject{b.subject}, pred, core.DefaultMaxSubjects)
	if err != nil {
		t.Fatal(err)
	}
	var signer core.Signer
	if b.name == "key" {
		ks := newKeySigner(t)
		signer, corpus.keyPub = ks, ks.PublicKey()
	} else if signer, err = sigstore.NewKeylessSigner(ctx, f.mat, sigstore.StaticToken(tok)); err != nil {
		t.Fatalf("%s: keyless signer: %v", b.name, err)
	}
	bundle, err := signer.SignStatement(ctx, sts[0])
	if err != nil {
		t.Fatalf("%s: signing: %v", b.name, err)
	}
	b.json = bundle.JSON
}

// claimSource makes a local predicate claim a source repository and ref, as `git remote add
// origin URL` before `signet attest --sigstore local` would.
func claimSource(repo, ref string) func(map[string]any) {
	return func(p map[string]any) {
		at(p, "buildDefinition", "externalParameters")["source"] = map[string]any{"vcs": "git", "repository": repo, "ref": ref}
	}
}

func newKeySigner(t *testing.T) *sigstore.KeySigner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sigstore.NewKeySigner(context.Background(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), local(t).mat)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// keyVerifier verifies key-signed bundles with the corpus key.
func keyVerifier(t *testing.T, f *fixture) verify.BundleVerifier {
	t.Helper()
	return f.bundleVerifier(t, sigstore.WithPublicKey(corpus.keyPub))
}

// verifyBundle verifies one corpus bundle end to end (a bundle file on disk, the Verifier, the
// report) under a compiled policy.
func verifyBundle(t *testing.T, bv verify.BundleVerifier, c *verify.Compiled, b *signedBundle) *verify.Report {
	t.Helper()
	path := filepath.Join(t.TempDir(), b.name+".sigstore.json")
	writeFile(t, path, b.json)
	v, err := verify.New(bv, c, verify.Files{path})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Verify(context.Background(), []core.Subject{b.subject})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Artifacts) != 1 {
		t.Fatalf("%d results for one artifact", len(rep.Artifacts))
	}
	return rep
}

// issuers are the local Sigstore's OIDC issuers by preset.
func issuers(f *fixture) map[localsigstore.Preset]string {
	out := map[localsigstore.Preset]string{}
	for _, p := range localsigstore.Presets() {
		out[p] = f.ls.Issuer(p)
	}
	return out
}

package verify_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/provenance"
	"github.com/signet-ci/signet/verify"
)

const demoRepo = "signet-ci/signet-demo"

// TestPlatforms signs GitHub-, GitLab- and Kubernetes-shaped runs through the local Sigstore
// and verifies them with the shorthands (the issuer overridden to the local one) and with the
// release policy files under testdata/policies.
func TestPlatforms(t *testing.T) {
	t.Parallel()
	f := local(t)
	gh, gl, k8s := f.ls.Issuer(localsigstore.PresetGitHub), f.ls.Issuer(localsigstore.PresetGitLab), f.ls.Issuer(localsigstore.PresetKubernetes)
	tests := []struct {
		name   string
		preset localsigstore.Preset
		policy verify.Policy
		file   string
	}{
		{"github shorthand", localsigstore.PresetGitHub, verify.Policy{Identity: verify.Identity{Issuer: gh,
			Shorthands: verify.Shorthands{GitHub: demoRepo}, SourceRef: "main", SignerWorkflow: ".github/workflows/release.yml",
			RunnerEnvironment: "!self-hosted", Trigger: "push", SourceDigest: localsigstore.DefaultSHA},
			Provenance: verify.Provenance{BuildType: provenance.GitHubBuildType}}, "github.yaml"},
		{"gitlab shorthand", localsigstore.PresetGitLab, verify.Policy{Identity: verify.Identity{Issuer: gl,
			Shorthands: verify.Shorthands{GitLab: demoRepo}, SourceRef: "refs/heads/*", SignerWorkflow: demoRepo + "//.gitlab-ci.yml",
			RunnerEnvironment: "gitlab-hosted", Trigger: "push"}}, "gitlab.yaml"},
		{"kubernetes shorthand", localsigstore.PresetKubernetes, verify.Policy{Identity: verify.Identity{Issuer: k8s,
			Shorthands: verify.Shorthands{KubernetesNamespace: "signet-builds", ServiceAccount: "signet"}},
			Provenance: verify.Provenance{BuildType: provenance.TektonBuildType,
				BuilderID: "https://kubernetes.io/namespaces/signet-builds/serviceaccounts/signet"}}, "kubernetes.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.sign(t, tt.preset, signOpts{})
			for what, p := range map[string]verify.Policy{"flags": tt.policy, "policy file": readPolicy(t, tt.file)} {
				rep := check(t, f.bundleVerifier(t), p, verify.Files{r.bundle}, r.artifacts)
				if !rep.Verified || rep.Summary.Verified != 2 {
					t.Fatalf("%s: not verified: %+v", what, failures(rep))
				}
				a := rep.Artifacts[0]
				if a.Signer == nil || a.Provenance == nil || len(a.Timestamps) == 0 || a.BundleDigest == "" {
					t.Errorf("%s: verified result lacks signer, provenance, timestamps or bundle digest: %+v", what, a)
				}
			}
		})
	}
}

func readPolicy(t *testing.T, name string) verify.Policy {
	t.Helper()
	p, err := verify.ReadPolicy(filepath.Join("testdata", "policies", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func failures(r *verify.Report) []string {
	var out []string
	for _, a := range r.Artifacts {
		if a.Failure != nil {
			out = append(out, a.Name+": "+a.Failure.Error())
		}
	}
	return out
}

// TestAttestIndexAndDirectory runs core.Attest as signet attest does, then finds the bundles
// through the index, through the directory, and for digests given without the artifact.
func TestAttestIndexAndDirectory(t *testing.T) {
	t.Parallel()
	f := local(t)
	ctx := context.Background()
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"dist/a.tar.gz": "a", "dist/b.zip": "b"})
	image := subjectRef("ghcr.io/signet-ci/app", "image manifest")
	tok, err := f.ls.Token(localsigstore.PresetGitHub)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sigstore.NewKeylessSigner(ctx, f.mat, sigstore.StaticToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	out, err := core.NewOutput(filepath.Join(dir, "attestations"), false)
	if err != nil {
		t.Fatal(err)
	}
	pred := f.provenance(t, localsigstore.PresetGitHub, tok, dir)
	req := core.Request{Subjects: append(files, image), Custom: &pred, MaxSubjects: 2}
	if _, err := core.Attest(ctx, signer, out, req); err != nil {
		t.Fatal(err)
	}
	policy := verify.Policy{Identity: verify.Identity{Issuer: f.ls.Issuer(localsigstore.PresetGitHub), Shorthands: verify.Shorthands{GitHub: demoRepo}}}
	ix, err := verify.OpenIndex(filepath.Join(dir, "attestations", core.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	d, err := verify.OpenDir(filepath.Join(dir, "attestations"))
	if err != nil {
		t.Fatal(err)
	}
	digestOnly := core.Subject{Name: "sha256:" + files[1].Digest[core.SHA256], Digest: files[1].Digest}
	for name, src := range map[string]verify.Source{"index": ix, "directory": d} {
		rep := check(t, f.bundleVerifier(t), policy, src, []core.Subject{files[0], files[1], image, digestOnly})
		if !rep.Verified || rep.Summary.Verified != 4 {
			t.Errorf("%s: %v", name, failures(rep))
		}
	}
}

// TestVSA signs the verification summary keylessly and checks it with the same verifier.
func TestVSA(t *testing.T) {
	t.Parallel()
	f := local(t)
	ctx := context.Background()
	r := f.sign(t, localsigstore.PresetGitHub, signOpts{})
	policy := verify.Policy{Identity: verify.Identity{Issuer: f.ls.Issuer(localsigstore.PresetGitHub), Shorthands: verify.Shorthands{GitHub: demoRepo}}}
	rep := check(t, f.bundleVerifier(t), policy, verify.Files{r.bundle}, r.artifacts)
	tok, err := f.ls.Token(localsigstore.PresetEmail)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sigstore.NewKeylessSigner(ctx, f.mat, sigstore.StaticToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vsa.sigstore.json")
	if _, err := verify.WriteVSA(ctx, signer, rep, verify.VSAOptions{Version: "v0.0.0-test", PolicyURI: "policy.yaml"}, path); err != nil {
		t.Fatal(err)
	}
	res, err := f.verifier.Verify(ctx, readFile(t, path), core.SHA256, r.artifacts[0].Digest[core.SHA256],
		sigstore.IdentityPolicy{Issuer: f.ls.Issuer(localsigstore.PresetEmail), SAN: "signet@example.com"})
	if err != nil {
		t.Fatalf("the VSA bundle does not verify: %v", err)
	}
	var st struct {
		Predicate struct {
			VerificationResult string   `json:"verificationResult"`
			VerifiedLevels     []string `json:"verifiedLevels"`
			ResourceURI        string   `json:"resourceUri"`
			Policy             struct {
				URI    string            `json:"uri"`
				Digest map[string]string `json:"digest"`
			} `json:"policy"`
			InputAttestations []struct {
				URI string `json:"uri"`
			} `json:"inputAttestations"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(res.Statement, &st); err != nil {
		t.Fatal(err)
	}
	p := st.Predicate
	if res.PredicateType != verify.VSAPredicateType || p.VerificationResult != verify.VSAPassed ||
		len(p.VerifiedLevels) != 1 || p.VerifiedLevels[0] != verify.BuildLevel2 || p.Policy.URI != "policy.yaml" ||
		len(p.Policy.Digest) != 1 || len(p.InputAttestations) != 1 || len(res.Subjects) != 2 {
		t.Errorf("VSA %s: %+v with %d subjects", res.PredicateType, p, len(res.Subjects))
	}
}

package verify_test

import (
	"encoding/base64"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// negCase is one way a release must be refused. setup signs what it needs and returns how to
// verify it; want is a part of the one-line reason the report must give.
type negCase struct {
	name  string
	want  string
	setup func(t *testing.T, f *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject)
}

// githubPolicy is the policy every GitHub-shaped case starts from: it accepts the preset run.
func githubPolicy(f *fixture) verify.Policy {
	return verify.Policy{Identity: verify.Identity{Issuer: f.ls.Issuer(localsigstore.PresetGitHub), Shorthands: verify.Shorthands{GitHub: demoRepo}}}
}

// policyCase signs a GitHub run as the preset does and verifies it with an edited policy.
func policyCase(edit func(*verify.Policy)) func(*testing.T, *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
	return signedCase(signOpts{}, edit, nil)
}

// signedCase signs a GitHub run with o, then edits the policy and the bundle file.
func signedCase(o signOpts, editPolicy func(*verify.Policy), editBundle func(*testing.T, string)) func(*testing.T, *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
	return func(t *testing.T, f *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
		r := f.sign(t, localsigstore.PresetGitHub, o)
		p := githubPolicy(f)
		if editPolicy != nil {
			editPolicy(&p)
		}
		if editBundle != nil {
			editBundle(t, r.bundle)
		}
		return f.bundleVerifier(t), p, verify.Files{r.bundle}, r.artifacts
	}
}

// contradiction signs provenance whose predicate was edited away from its certificate.
func contradiction(edit func(map[string]any)) func(*testing.T, *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
	return signedCase(signOpts{editPredicate: edit}, nil, nil)
}

func negativeCases() []negCase {
	return []negCase{
		{"modified artifact", "the artifact differs from the one signed", func(t *testing.T, f *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
			r := f.sign(t, localsigstore.PresetGitHub, signOpts{})
			changed := writeFiles(t, r.dir, map[string]string{"dist/app.tar.gz": "tampered"})
			return f.bundleVerifier(t), githubPolicy(f), verify.Files{r.bundle}, changed
		}},
		{"digest not among the subjects", "is not among the 2 subject(s)", func(t *testing.T, f *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
			r := f.sign(t, localsigstore.PresetGitHub, signOpts{})
			return f.bundleVerifier(t), githubPolicy(f), verify.Files{r.bundle}, []core.Subject{subjectRef("sha256:other", "other")}
		}},
		{"artifact without attestation in the index", "no bundle with this predicate type names", func(t *testing.T, f *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "index.json"), []byte(`{"mediaType":"application/vnd.signet.index.v1+json","transparencyLog":{"used":false},"attestations":[],"subjects":[]}`))
			ix, err := verify.OpenIndex(filepath.Join(dir, "index.json"))
			if err != nil {
				t.Fatal(err)
			}
			return f.bundleVerifier(t), githubPolicy(f), ix, []core.Subject{subjectRef("dist/unsigned", "unsigned")}
		}},
		{"DSSE payload edited", "altered after signing", signedCase(signOpts{}, nil, func(t *testing.T, path string) {
			editJSON(t, path, func(b map[string]any) {
				env := at(b, "dsseEnvelope")
				payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
				env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), "refs/heads/main", "refs/tags/v9.9.9", 1)))
			})
		})},
		{"signature bit-flipped", "not the one the timestamp authority signed", signedCase(signOpts{}, nil, func(t *testing.T, path string) {
			editJSON(t, path, func(b map[string]any) {
				sig := at(b, "dsseEnvelope", "signatures", 0)
				raw, _ := base64.StdEncoding.DecodeString(sig["sig"].(string))
				raw[len(raw)-1] ^= 0x01
				sig["sig"] = base64.StdEncoding.EncodeToString(raw)
			})
		})},
		{"certificate from an untrusted CA", "does not chain to a certificate authority in the trusted root", func(t *testing.T, f *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
			r := f.sign(t, localsigstore.PresetGitHub, signOpts{})
			return f.replaceAuthority(t, "certificateAuthorities"), githubPolicy(f), verify.Files{r.bundle}, r.artifacts
		}},
		{"timestamp from an untrusted TSA", "timestamp was signed by an authority that is not in the trusted root", func(t *testing.T, f *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
			r := f.sign(t, localsigstore.PresetGitHub, signOpts{})
			return f.replaceAuthority(t, "timestampAuthorities"), githubPolicy(f), verify.Files{r.bundle}, r.artifacts
		}},
		{"missing timestamp", "no signed timestamp and no transparency-log entry", signedCase(signOpts{}, nil, func(t *testing.T, path string) {
			editJSON(t, path, func(b map[string]any) { delete(at(b, "verificationMaterial"), "timestampVerificationData") })
		})},
		{"transparency log required but absent", "the policy requires one", func(t *testing.T, f *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
			r := f.sign(t, localsigstore.PresetGitHub, signOpts{})
			return f.bundleVerifier(t, sigstore.WithRequireTlog()), githubPolicy(f), verify.Files{r.bundle}, r.artifacts
		}},
		{"timestamp outside the certificate's validity", "outside the signing certificate's validity", func(t *testing.T, _ *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
			v := newVirtualRun(t)
			path := v.write(t, v.attest(t, time.Now().Add(-30*time.Minute)), false, nil)
			return v.verifier(t), virtualPolicy, verify.Files{path}, v.artifacts
		}},
		{"log entry for another body", "it belongs to another bundle", func(t *testing.T, _ *fixture) (verify.BundleVerifier, verify.Policy, verify.Source, []core.Subject) {
			v := newVirtualRun(t)
			other := v.attestStatement(t, newVirtualRun(t).statement, time.Now().Add(time.Minute))
			path := v.write(t, v.attest(t, time.Now().Add(time.Minute)), true, other)
			return v.verifier(t), virtualPolicy, verify.Files{path}, v.artifacts
		}},
		{"bundle truncated", "unexpected end of JSON input", signedCase(signOpts{}, nil, func(t *testing.T, path string) {
			b := readFile(t, path)
			writeFile(t, path, b[:len(b)/2])
		})},
		{"bundle not JSON", "invalid character 'P'", signedCase(signOpts{}, nil, func(t *testing.T, path string) {
			writeFile(t, path, []byte("PK\x03\x04 a zip file"))
		})},
		{"bundle v0.1 without its log entry", "a bundle v0.1 must carry a transparency-log entry", signedCase(signOpts{}, nil, func(t *testing.T, path string) {
			editJSON(t, path, func(b map[string]any) { b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1" })
		})},
		{"bundle of an unknown version", `mediaType "application/vnd.dev.sigstore.bundle+json;version=0.4"`, signedCase(signOpts{}, nil, func(t *testing.T, path string) {
			editJSON(t, path, func(b map[string]any) { b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.4" })
		})},
		{"bundle of a future version", `mediaType "application/vnd.dev.sigstore.bundle.v0.4+json"`, signedCase(signOpts{}, nil, func(t *testing.T, path string) {
			editJSON(t, path, func(b map[string]any) { b["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.4+json" })
		})},
		{"signed with an untrusted key", "no public key is trusted", signedCase(signOpts{signer: keySigner}, nil, nil)},
		{"wrong issuer", `issuer: expected "https://token.actions.githubusercontent.com"`, policyCase(func(p *verify.Policy) { p.Identity.Issuer = "" })},
		{"wrong identity (SAN)", "identity (certificate SAN): expected", policyCase(func(p *verify.Policy) {
			p.Identity.Subject = "https://github.com/signet-ci/signet-demo/.github/workflows/ci.yml@refs/heads/main"
		})},
		{"wrong identity regexp", `identity (certificate SAN): expected "matching ^https://github\\.com/other/.*$"`, policyCase(func(p *verify.Policy) {
			p.Identity.SubjectRegexp = `^https://github\.com/other/.*$`
		})},
		{"wrong source repository", `source repository: expected "https://github.com/signet-ci/other"`, policyCase(func(p *verify.Policy) { p.Identity.GitHub = "signet-ci/other" })},
		{"wrong source ref", `source ref: expected "refs/tags/v*", found "refs/heads/main"`, policyCase(func(p *verify.Policy) { p.Identity.SourceRef = "refs/tags/v*" })},
		{"wrong source digest", `source digest: expected "0123456789abcdef0123456789abcdef01234567"`, policyCase(func(p *verify.Policy) {
			p.Identity.SourceDigest = "0123456789abcdef0123456789abcdef01234567"
		})},
		{"wrong signer workflow", `signer workflow: expected "signet-ci/signet-demo/.github/workflows/ci.yml"`, policyCase(func(p *verify.Policy) { p.Identity.SignerWorkflow = ".github/workflows/ci.yml" })},
		{"self-hosted runner denied", `runner environment: expected "!self-hosted", found "self-hosted"`, signedCase(
			signOpts{claims: map[string]any{"runner_environment": "self-hosted"}}, func(p *verify.Policy) { p.Identity.RunnerEnvironment = "!self-hosted" }, nil)},
		{"wrong trigger", `trigger: expected "release", found "push"`, policyCase(func(p *verify.Policy) { p.Identity.Trigger = "release" })},
		{"wrong predicate type", `predicate type: predicateType: expected "https://spdx.dev/Document/v2.3"`, policyCase(func(p *verify.Policy) {
			p.Provenance.PredicateType = core.SPDXPredicateType
		})},
		{"wrong builder id", `provenance: builder id: expected "https://github.com/signet-ci/signet-demo/.github/workflows/ci.yml@*"`, policyCase(func(p *verify.Policy) {
			p.Provenance.BuilderID = "https://github.com/signet-ci/signet-demo/.github/workflows/ci.yml@*"
		})},
		{"wrong build type", `provenance: build type: expected "https://tekton.dev/chains/v2/slsa"`, policyCase(func(p *verify.Policy) {
			p.Provenance.BuildType = "https://tekton.dev/chains/v2/slsa"
		})},
		{"predicate contradicts its certificate: source repository", "predicate vs certificate: source repository", contradiction(func(p map[string]any) {
			at(p, "buildDefinition", "externalParameters", "workflow")["repository"] = "https://github.com/signet-ci/evil"
		})},
		{"predicate contradicts its certificate: commit", "predicate vs certificate: source digest", contradiction(func(p map[string]any) {
			at(p, "buildDefinition", "resolvedDependencies", 0, "digest")["gitCommit"] = "0000000000000000000000000000000000000000"
		})},
		{"predicate contradicts its certificate: ref", "predicate vs certificate: source ref", contradiction(func(p map[string]any) {
			at(p, "buildDefinition", "externalParameters", "workflow")["ref"] = "refs/heads/evil"
		})},
		{"predicate contradicts its certificate: builder id", "predicate vs certificate: builder id", contradiction(func(p map[string]any) {
			at(p, "runDetails", "builder")["id"] = "https://github.com/signet-ci/evil/.github/workflows/release.yml@refs/heads/main"
		})},
		{"predicate contradicts its certificate: invocation", "predicate vs certificate: invocation id", contradiction(func(p map[string]any) {
			at(p, "runDetails", "metadata")["invocationId"] = "https://github.com/signet-ci/signet-demo/actions/runs/1/attempts/1"
		})},
		{"predicate contradicts its certificate: trigger", "predicate vs certificate: trigger", contradiction(func(p map[string]any) {
			at(p, "buildDefinition", "internalParameters", "github")["event_name"] = "workflow_dispatch"
		})},
		{"predicate contradicts its certificate: runner environment", "predicate vs certificate: runner environment", contradiction(func(p map[string]any) {
			at(p, "buildDefinition", "internalParameters", "github")["runner_environment"] = "self-hosted"
		})},
		{"predicate contradicts its certificate: repository id", "predicate vs certificate: source repository id", contradiction(func(p map[string]any) {
			at(p, "buildDefinition", "internalParameters", "github")["repository_id"] = "1"
		})},
		{"predicate is not SLSA provenance", "provenance: not SLSA v1.0 provenance", signedCase(signOpts{predicate: &core.Predicate{
			Type: core.ProvenancePredicateType, JSON: []byte(`{"buildDefinition":"not an object"}`)}}, nil, nil)},
	}
}

// keySigner signs with a fresh ECDSA key (signet attest --key), timestamped by the local TSA.
func keySigner(t *testing.T) core.Signer { return newKeySigner(t) }

// TestNegativeMatrix refuses every case, each with its own one-line reason.
func TestNegativeMatrix(t *testing.T) {
	t.Parallel()
	f := local(t)
	cases := negativeCases()
	if len(cases) < 25 {
		t.Fatalf("%d cases, the matrix needs at least 25", len(cases))
	}
	var mu sync.Mutex
	reasons := map[string]string{}
	t.Cleanup(func() {
		seen := map[string]string{}
		for name, r := range reasons {
			if other, dup := seen[r]; dup {
				t.Errorf("%q and %q are refused with the same message %q", name, other, r)
			}
			seen[r] = name
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bv, p, src, arts := tc.setup(t, f)
			rep := check(t, bv, p, src, arts)
			if rep.Verified || rep.Summary.Verified != 0 {
				t.Fatalf("accepted: %+v", rep.Summary)
			}
			reason := rep.Artifacts[0].Failure.Error()
			if !strings.Contains(reason, tc.want) {
				t.Errorf("reason %q\n  does not say %q", reason, tc.want)
			}
			if strings.Contains(reason, "\n") {
				t.Errorf("reason spans lines: %q", reason)
			}
			mu.Lock()
			reasons[tc.name] = reason
			mu.Unlock()
		})
	}
}

package verify

import (
	"testing"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// Signers shaped like the certificates Fulcio issues on each platform.
var (
	githubSigner = Signer{
		Issuer:            GitHubIssuer,
		Identity:          "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.0",
		SourceRepository:  "https://github.com/o/r",
		SourceRef:         "refs/tags/v1.2.0",
		SourceDigest:      "5d3c6e0f2b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
		SignerWorkflow:    "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.0",
		RunnerEnvironment: "github-hosted",
		Trigger:           "push",
		RunInvocation:     "https://github.com/o/r/actions/runs/12/attempts/1",
	}
	gitlabSigner = Signer{
		Issuer:            GitLabURL,
		Identity:          "https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main",
		SourceRepository:  "https://gitlab.com/g/p",
		SourceRef:         "refs/heads/main",
		SourceDigest:      "5d3c6e0f2b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
		SignerWorkflow:    "https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main",
		RunnerEnvironment: "self-hosted",
		Trigger:           "web",
		RunInvocation:     "https://gitlab.com/g/p/-/jobs/9",
	}
	k8sSigner = Signer{
		Issuer:   "https://container.googleapis.com/v1/projects/p/locations/l/clusters/c",
		Identity: "https://kubernetes.io/namespaces/builds/serviceaccounts/signet",
	}
	tektonFacts = Facts{Platform: "tekton", SourceRepo: "https://github.com/o/r", Commit: "abc", BuilderID: "https://kubernetes.io/namespaces/builds/serviceaccounts/signet"}
)

func withIssuer(s Signer, iss string) Signer {
	s.Issuer = iss
	return s
}

func compile(t *testing.T, id Identity, prov Provenance) *Compiled {
	t.Helper()
	c, err := Policy{Identity: id, Provenance: prov}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMatchIdentity(t *testing.T) {
	t.Parallel()
	gh := Shorthands{GitHub: "o/r"}
	gl := Shorthands{GitLab: "g/p"}
	k8s := Shorthands{KubernetesNamespace: "builds", ServiceAccount: "signet"}
	gke := k8sSigner.Issuer
	tests := []struct {
		name   string
		id     Identity
		signer Signer
		facts  Facts
		field  string // "" means a match
	}{
		{"github shorthand", Identity{Shorthands: gh}, githubSigner, Facts{}, ""},
		{"github tag glob", Identity{Shorthands: gh, SourceRef: "refs/tags/v1.*"}, githubSigner, Facts{}, ""},
		{"a short name is a branch, never a tag", Identity{Shorthands: gh, SourceRef: "v1.2.0"}, githubSigner, Facts{}, "source ref"},
		{"github wrong branch", Identity{Shorthands: gh, SourceRef: "main"}, githubSigner, Facts{}, "source ref"},
		{"github workflow path", Identity{Shorthands: gh, SignerWorkflow: ".github/workflows/release.yml"}, githubSigner, Facts{}, ""},
		{"github workflow with repo", Identity{Shorthands: gh, SignerWorkflow: "o/r/.github/workflows/release.yml"}, githubSigner, Facts{}, ""},
		{"github workflow full URI", Identity{Shorthands: gh, SignerWorkflow: githubSigner.SignerWorkflow}, githubSigner, Facts{}, ""},
		{"github other workflow", Identity{Shorthands: gh, SignerWorkflow: ".github/workflows/ci.yml"}, githubSigner, Facts{}, "signer workflow"},
		{"github deny self-hosted", Identity{Shorthands: gh, RunnerEnvironment: "!self-hosted"}, githubSigner, Facts{}, ""},
		{"github trigger", Identity{Shorthands: gh, Trigger: "release"}, githubSigner, Facts{}, "trigger"},
		{"github digest", Identity{Shorthands: gh, SourceDigest: "5D3C6E0F2B9A8C7D6E5F4A3B2C1D0E9F8A7B6C5D"}, githubSigner, Facts{}, ""},
		{"github other digest", Identity{Shorthands: gh, SourceDigest: "0000000000000000000000000000000000000000"}, githubSigner, Facts{}, "source digest"},
		{"github other repo", Identity{Shorthands: Shorthands{GitHub: "o/other"}}, githubSigner, Facts{}, "source repository"},
		{"github wrong issuer", Identity{Shorthands: gl}, githubSigner, Facts{}, "issuer"},
		{"issuer look-alike suffix", Identity{Shorthands: gh}, withIssuer(githubSigner, GitHubIssuer+".evil"), Facts{}, "issuer"},
		{"issuer look-alike trailing slash", Identity{Shorthands: gh}, withIssuer(githubSigner, GitHubIssuer+"/"), Facts{}, "issuer"},
		{"issuer look-alike http", Identity{Shorthands: gh}, withIssuer(githubSigner, "http://token.actions.githubusercontent.com"), Facts{}, "issuer"},
		{"issuer look-alike case", Identity{Shorthands: gh}, withIssuer(githubSigner, "https://Token.actions.githubusercontent.com"), Facts{}, "issuer"},
		{"gitlab shorthand", Identity{Shorthands: gl, SourceRef: "main"}, gitlabSigner, Facts{}, ""},
		{"gitlab config path", Identity{Shorthands: gl, SignerWorkflow: ".gitlab-ci.yml"}, gitlabSigner, Facts{}, ""},
		{"gitlab config with project", Identity{Shorthands: gl, SignerWorkflow: "g/p//.gitlab-ci.yml"}, gitlabSigner, Facts{}, ""},
		{"gitlab denies self-hosted", Identity{Shorthands: gl, RunnerEnvironment: "!self-hosted"}, gitlabSigner, Facts{}, "runner environment"},
		{"gitlab identity regexp", Identity{Shorthands: gl, SubjectRegexp: `^https://gitlab\.com/g/p//.*$`}, gitlabSigner, Facts{}, ""},
		{"gitlab identity", Identity{Shorthands: gl, Subject: "https://gitlab.com/g/p//other.yml@refs/heads/main"}, gitlabSigner, Facts{}, "identity (certificate SAN)"},
		{"kubernetes shorthand", Identity{Issuer: gke, Shorthands: k8s}, k8sSigner, tektonFacts, ""},
		{"kubernetes other account", Identity{Issuer: gke, Shorthands: Shorthands{KubernetesNamespace: "builds", ServiceAccount: "x"}}, k8sSigner, tektonFacts, "identity (certificate SAN)"},
		{"kubernetes certificates have no build signer", Identity{Issuer: gke, Shorthands: k8s, SignerWorkflow: "o/r/.github/workflows/release.yml"}, k8sSigner, tektonFacts, "signer workflow"},
		{"kubernetes issuer regexp", Identity{IssuerRegexp: `^https://container\.googleapis\.com/.*$`, Shorthands: k8s}, k8sSigner, tektonFacts, ""},
		{"kubernetes: the provenance's repository is no identity", Identity{Issuer: gke, Shorthands: k8s, SourceRepository: "https://github.com/o/r"}, k8sSigner, tektonFacts, "source repository"},
		{"kubernetes other repository", Identity{Issuer: gke, Shorthands: k8s, SourceRepository: "https://github.com/o/x"}, k8sSigner, tektonFacts, "source repository"},
		{"kubernetes has no runner environment", Identity{Issuer: gke, Shorthands: k8s, RunnerEnvironment: "!self-hosted"}, k8sSigner, tektonFacts, "runner environment"},
		{"kubernetes has no ref anywhere", Identity{Issuer: gke, Shorthands: k8s, SourceRef: "main"}, k8sSigner, tektonFacts, "source ref"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := compile(t, tt.id, Provenance{}).matchIdentity(tt.signer)
			switch {
			case tt.field == "" && f != nil:
				t.Errorf("rejected: %v", f)
			case tt.field != "" && f == nil:
				t.Errorf("accepted, want a %s failure", tt.field)
			case tt.field != "" && f.Field != tt.field:
				t.Errorf("failed on %q (%v), want %q", f.Field, f, tt.field)
			}
		})
	}
}

// summaryOf is the certificate summary a Signer was read from.
func summaryOf(s Signer) certificate.Summary {
	return certificate.Summary{SubjectAlternativeName: s.Identity, Extensions: certificate.Extensions{
		Issuer: s.Issuer, SourceRepositoryURI: s.SourceRepository, SourceRepositoryRef: s.SourceRef,
		SourceRepositoryDigest: s.SourceDigest, BuildSignerURI: s.SignerWorkflow, RunnerEnvironment: s.RunnerEnvironment,
		BuildTrigger: s.Trigger, RunInvocationURI: s.RunInvocation}}
}

func TestMatchConsistency(t *testing.T) {
	t.Parallel()
	good := Facts{Platform: "github", SourceRepo: "https://github.com/o/r", Commit: githubSigner.SourceDigest, Ref: "refs/tags/v1.2.0",
		BuilderID: githubSigner.SignerWorkflow, InvocationID: githubSigner.RunInvocation, Trigger: "push", RunnerEnvironment: "github-hosted"}
	tests := []struct {
		name   string
		signer Signer
		edit   func(*Facts)
		field  string
	}{
		{"agrees", githubSigner, func(*Facts) {}, ""},
		{"repository spelled with .git", githubSigner, func(f *Facts) { f.SourceRepo += ".git" }, ""},
		{"other repository", githubSigner, func(f *Facts) { f.SourceRepo = "https://github.com/o/x" }, "source repository"},
		{"other commit", githubSigner, func(f *Facts) { f.Commit = "ffff" }, "source digest"},
		{"other ref", githubSigner, func(f *Facts) { f.Ref = "refs/heads/main" }, "source ref"},
		{"other builder", githubSigner, func(f *Facts) { f.BuilderID = "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1.2.0" }, "builder id"},
		{"other invocation", githubSigner, func(f *Facts) { f.InvocationID = "https://github.com/o/r/actions/runs/13/attempts/1" }, "invocation id"},
		{"other trigger", githubSigner, func(f *Facts) { f.Trigger = "workflow_dispatch" }, "trigger"},
		{"other runner", githubSigner, func(f *Facts) { f.RunnerEnvironment = "self-hosted" }, "runner environment"},
		{"a CI fact the certificate lacks", githubSigner, func(f *Facts) { f.BuildConfigURI = "https://github.com/o/r/.github/workflows/x.yml@main" }, "build config"},
		{"missing facts are no contradiction", githubSigner, func(f *Facts) { *f = Facts{} }, ""},
		{"kubernetes builder is the service account", k8sSigner, func(f *Facts) { *f = tektonFacts }, ""},
		{"kubernetes other builder", k8sSigner, func(f *Facts) { *f = tektonFacts; f.BuilderID = "https://kubernetes.io/namespaces/x/serviceaccounts/y" }, "builder id"},
		{"email certificates fix no builder", Signer{Identity: "a@example.com"}, func(f *Facts) { *f = Facts{Platform: "local", BuilderID: "https://signet/local"} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := good
			tt.edit(&f)
			got := matchConsistency(summaryOf(tt.signer), f)
			switch {
			case tt.field == "" && got != nil:
				t.Errorf("rejected: %v", got)
			case tt.field != "" && (got == nil || got.Field != tt.field):
				t.Errorf("got %v, want a %s failure", got, tt.field)
			}
		})
	}
}

func TestMatchProvenance(t *testing.T) {
	t.Parallel()
	facts := Facts{BuilderID: "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1", BuildType: "https://actions.github.io/buildtypes/workflow/v1"}
	tests := []struct {
		name  string
		prov  Provenance
		field string
	}{
		{"no requirement", Provenance{}, ""},
		{"builder glob", Provenance{BuilderID: "https://github.com/o/r/.github/workflows/release.yml@refs/tags/*"}, ""},
		{"other builder", Provenance{BuilderID: "https://github.com/o/r/.github/workflows/ci.yml@*"}, "builder id"},
		{"build type", Provenance{BuildType: "https://actions.github.io/buildtypes/workflow/v1"}, ""},
		{"other build type", Provenance{BuildType: "https://tekton.dev/chains/v2/slsa"}, "build type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := compile(t, Identity{Shorthands: Shorthands{GitHub: "o/r"}}, tt.prov).matchProvenance(facts)
			switch {
			case tt.field == "" && got != nil:
				t.Errorf("rejected: %v", got)
			case tt.field != "" && (got == nil || got.Field != tt.field):
				t.Errorf("got %v, want a %s failure", got, tt.field)
			}
		})
	}
}

func TestFailureError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    Failure
		want string
	}{
		{Failure{Check: CheckIdentity, Field: "source ref", Expected: "refs/tags/v*", Found: "refs/heads/main", Reason: "value from the certificate"},
			`identity: source ref: expected "refs/tags/v*", found "refs/heads/main" (value from the certificate)`},
		{Failure{Check: CheckBundle, Reason: "not JSON"}, "bundle: not JSON"},
	}
	for _, tt := range tests {
		if got := tt.f.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

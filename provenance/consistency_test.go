package provenance

import (
	"errors"
	"strings"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// fixturePredicate builds the predicate of one golden fixture and the claims of its token.
func fixturePredicate(t *testing.T, ti *testIssuer, platform Platform, name string) (core.Predicate, *Claims) {
	t.Helper()
	for _, g := range loadFixtures(t) {
		if g.platform != platform || g.name != name {
			continue
		}
		var claims *Claims
		if platform != Local {
			claims = verifiedClaims(t, ti, g.fx.Claims)
		}
		bc, err := buildContext(t, g, claims)
		if err != nil {
			t.Fatal(err)
		}
		pred, err := bc.Provenance(t.Context(), core.Run{})
		if err != nil {
			t.Fatal(err)
		}
		return pred, claims
	}
	t.Fatalf("no fixture %s/%s", platform, name)
	return core.Predicate{}, nil
}

func TestCheckConsistency(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	gh, ghClaims := fixturePredicate(t, ti, GitHub, "reusable-workflow-release")
	gl, glClaims := fixturePredicate(t, ti, GitLab, "push-branch")
	tk, tkClaims := fixturePredicate(t, ti, Tekton, "pipelinerun-gke")
	local, _ := fixturePredicate(t, ti, Local, "remote-with-credentials")
	ghExt, glExt, tkExt := ExpectedExtensions(ghClaims), ExpectedExtensions(glClaims), ExpectedExtensions(tkClaims)
	mutate := func(e certificate.Extensions, f func(*certificate.Extensions)) certificate.Extensions {
		f(&e)
		return e
	}
	tests := []struct {
		name string
		pred core.Predicate
		ext  certificate.Extensions
		want []string // substrings of the error; none means consistent
	}{
		{name: "github as certified", pred: gh, ext: ghExt},
		{name: "gitlab as certified", pred: gl, ext: glExt},
		{name: "tekton with its kubernetes certificate", pred: tk, ext: tkExt},
		{name: "github other repository", pred: gh, ext: mutate(ghExt, func(e *certificate.Extensions) { e.SourceRepositoryURI = "https://github.com/evil/fork" }),
			want: []string{`predicate source repository is "https://github.com/acme-corp/payments-api" but the certificate's Source Repository URI (1.3.6.1.4.1.57264.1.12) is "https://github.com/evil/fork"`}},
		{name: "github other commit and ref", pred: gh, ext: mutate(ghExt, func(e *certificate.Extensions) {
			e.SourceRepositoryDigest, e.SourceRepositoryRef = strings.Repeat("0", 40), "refs/heads/main"
		}), want: []string{"Source Repository Digest (1.3.6.1.4.1.57264.1.13)", `predicate source ref is "refs/tags/v1.4.0" but the certificate's Source Repository Ref (1.3.6.1.4.1.57264.1.14) is "refs/heads/main"`}},
		{name: "github other signer", pred: gh, ext: mutate(ghExt, func(e *certificate.Extensions) {
			e.BuildSignerURI = "https://github.com/acme-corp/payments-api/.github/workflows/release.yml@refs/tags/v1.4.0"
		}),
			want: []string{"predicate builder id is \"https://github.com/acme-corp/reusable-workflows/.github/workflows/slsa-build.yml@refs/tags/v2.1.0\" but the certificate's Build Signer URI"}},
		{name: "github other run", pred: gh, ext: mutate(ghExt, func(e *certificate.Extensions) { e.RunInvocationURI += "0" }), want: []string{"Run Invocation URI (1.3.6.1.4.1.57264.1.21)"}},
		{name: "github other trigger and runner", pred: gh, ext: mutate(ghExt, func(e *certificate.Extensions) { e.BuildTrigger, e.RunnerEnvironment = "push", "github-hosted" }),
			want: []string{`predicate trigger is "release" but the certificate's Build Trigger`, `predicate runner environment is "self-hosted"`}},
		{name: "github other build config", pred: gh, ext: mutate(ghExt, func(e *certificate.Extensions) {
			e.BuildConfigURI = "https://github.com/x/y/.github/workflows/z.yml@refs/heads/main"
		}),
			want: []string{"Build Config URI (1.3.6.1.4.1.57264.1.18)"}},
		{name: "github certificate without CI extensions", pred: gh, ext: certificate.Extensions{Issuer: "https://token.actions.githubusercontent.com"},
			want: []string{"the certificate has no Source Repository URI extension", "the certificate has no Build Signer URI extension"}},
		{name: "gitlab other config digest", pred: gl, ext: mutate(glExt, func(e *certificate.Extensions) { e.BuildConfigDigest = strings.Repeat("1", 40) }),
			want: []string{"Build Config Digest (1.3.6.1.4.1.57264.1.19)"}},
		{name: "gitlab other project id", pred: gl, ext: mutate(glExt, func(e *certificate.Extensions) { e.SourceRepositoryIdentifier = "1" }),
			want: []string{`predicate source repository id is "58123456" but the certificate's Source Repository Identifier`}},
		{name: "tekton predicate under a github certificate", pred: tk, ext: ghExt,
			want: []string{`predicate source commit is "9682ca9ff05614cc88b56dba806b6668186864ab" but the certificate's Source Repository Digest (1.3.6.1.4.1.57264.1.13) is "4cb987dfc65d2d4b70af5a36ae43c42b3d46fa3b"`}},
		{name: "local predicate under a matching github certificate", pred: local, ext: certificate.Extensions{
			SourceRepositoryURI: "https://github.com/signet-ci/signet", SourceRepositoryRef: "refs/heads/main", BuildSignerURI: "https://github.com/signet-ci/signet/.github/workflows/x.yml@refs/heads/main"}},
		{name: "local predicate under another repository's certificate", pred: local, ext: certificate.Extensions{SourceRepositoryURI: "https://github.com/other/repo"},
			want: []string{`predicate source repository is "https://github.com/signet-ci/signet" but`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckConsistency(tt.pred, tt.ext)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckConsistency: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInconsistent) {
				t.Fatalf("error = %v, want ErrInconsistent", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not say %q", err, w)
				}
			}
		})
	}
}

func TestCheckConsistencyRejectsOtherPredicates(t *testing.T) {
	t.Parallel()
	err := CheckConsistency(core.Predicate{Type: core.SPDXPredicateType, JSON: []byte(`{}`)}, certificate.Extensions{})
	if !errors.Is(err, ErrNotProvenance) {
		t.Errorf("error = %v, want ErrNotProvenance", err)
	}
}

func TestExpectedExtensionsFulcioStringification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		claims string
		want   certificate.Extensions
	}{
		{name: "gitlab null config ref renders as Fulcio would", claims: `{"iss":"https://gitlab.com","project_path":"g/p","pipeline_id":"1","ci_config_ref_uri":null,"ref":"v1","ref_type":"tag","job_id":"7"}`,
			want: certificate.Extensions{Issuer: "https://gitlab.com", BuildSignerURI: "https://<nil>", BuildConfigURI: "https://<nil>",
				SourceRepositoryURI: "https://gitlab.com/g/p", SourceRepositoryRef: "refs/tags/v1", RunInvocationURI: "https://gitlab.com/g/p/-/jobs/7"}},
		{name: "numeric ids as Fulcio prints floats", claims: `{"iss":"https://gitlab.com","project_path":"g/p","pipeline_id":1,"project_id":12270859,"namespace_id":42}`,
			want: certificate.Extensions{Issuer: "https://gitlab.com", SourceRepositoryURI: "https://gitlab.com/g/p",
				SourceRepositoryIdentifier: "1.2270859e+07", SourceRepositoryOwnerIdentifier: "42"}},
		{name: "kubernetes token: issuer only", claims: `{"iss":"https://kubernetes.default.svc","kubernetes.io":{"namespace":"a"}}`,
			want: certificate.Extensions{Issuer: "https://kubernetes.default.svc"}},
		{name: "email token: issuer only", claims: `{"iss":"https://accounts.google.com","email":"a@b.c"}`,
			want: certificate.Extensions{Issuer: "https://accounts.google.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseClaims([]byte(tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			if got := ExpectedExtensions(c); got != tt.want {
				t.Errorf("ExpectedExtensions =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

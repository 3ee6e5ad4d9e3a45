package verify

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Identity
		want Identity
		err  error
	}{
		{"github sets the real issuer and repository",
			Identity{Shorthands: Shorthands{GitHub: "o/r"}},
			Identity{Issuer: GitHubIssuer, SourceRepository: "https://github.com/o/r", Shorthands: Shorthands{GitHub: "o/r"}}, nil},
		{"an explicit issuer overrides the shorthand's",
			Identity{Issuer: "http://127.0.0.1:1/oidc/github", Shorthands: Shorthands{GitHub: "o/r"}},
			Identity{Issuer: "http://127.0.0.1:1/oidc/github", SourceRepository: "https://github.com/o/r", Shorthands: Shorthands{GitHub: "o/r"}}, nil},
		{"an issuer regexp overrides the shorthand's too",
			Identity{IssuerRegexp: "^x$", Shorthands: Shorthands{GitHub: "o/r"}},
			Identity{IssuerRegexp: "^x$", SourceRepository: "https://github.com/o/r", Shorthands: Shorthands{GitHub: "o/r"}}, nil},
		{"gitlab defaults to gitlab.com",
			Identity{Shorthands: Shorthands{GitLab: "g/sub/p"}},
			Identity{Issuer: GitLabURL, SourceRepository: "https://gitlab.com/g/sub/p", Shorthands: Shorthands{GitLab: "g/sub/p"}}, nil},
		{"gitlab on a self-managed instance",
			Identity{Shorthands: Shorthands{GitLab: "g/p", GitLabURL: "https://gitlab.example.com/"}},
			Identity{Issuer: "https://gitlab.example.com", SourceRepository: "https://gitlab.example.com/g/p",
				Shorthands: Shorthands{GitLab: "g/p", GitLabURL: "https://gitlab.example.com/"}}, nil},
		{"kubernetes names the service account",
			Identity{Shorthands: Shorthands{KubernetesNamespace: "ns", ServiceAccount: "sa"}},
			Identity{Subject: "https://kubernetes.io/namespaces/ns/serviceaccounts/sa", Shorthands: Shorthands{KubernetesNamespace: "ns", ServiceAccount: "sa"}}, nil},
		{"kubernetes needs both names", Identity{Shorthands: Shorthands{KubernetesNamespace: "ns"}}, Identity{}, ErrInvalidPolicy},
		{"github and gitlab exclude each other", Identity{Shorthands: Shorthands{GitHub: "o/r", GitLab: "g/p"}}, Identity{}, ErrInvalidPolicy},
		{"github needs OWNER/REPO", Identity{Shorthands: Shorthands{GitHub: "o"}}, Identity{}, ErrInvalidPolicy},
		{"gitlab URL needs a project", Identity{Shorthands: Shorthands{GitLabURL: "https://gitlab.example.com"}}, Identity{}, ErrInvalidPolicy},
		{"gitlab URL must be a URL", Identity{Shorthands: Shorthands{GitLab: "g/p", GitLabURL: "gitlab.example.com"}}, Identity{}, ErrInvalidPolicy},
		{"a contradicting repository", Identity{SourceRepository: "https://github.com/o/other", Shorthands: Shorthands{GitHub: "o/r"}}, Identity{}, ErrInvalidPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.in.Expand()
			if !errors.Is(err, tt.err) {
				t.Fatalf("Expand() error = %v, want %v", err, tt.err)
			}
			if tt.err != nil {
				return
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Expand() (-want +got):\n%s", d)
			}
		})
	}
}

func TestCompileFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Policy
		err  error
	}{
		{"nothing", Policy{}, ErrNoIdentityPolicy},
		{"an issuer alone", Policy{Identity: Identity{Issuer: GitHubIssuer}}, ErrNoIdentityPolicy},
		{"an identity alone", Policy{Identity: Identity{Subject: "a@example.com"}}, ErrNoIdentityPolicy},
		{"kubernetes without an issuer", Policy{Identity: Identity{Shorthands: Shorthands{KubernetesNamespace: "ns", ServiceAccount: "sa"}}}, ErrNoIdentityPolicy},
		{"issuer and issuer regexp", Policy{Identity: Identity{Issuer: "a", IssuerRegexp: "b", Subject: "c"}}, ErrInvalidPolicy},
		{"identity and identity regexp", Policy{Identity: Identity{Issuer: "a", Subject: "c", SubjectRegexp: "d"}}, ErrInvalidPolicy},
		{"a bad regexp", Policy{Identity: Identity{Issuer: "a", SubjectRegexp: "("}}, ErrInvalidPolicy},
		{"a bad glob", Policy{Identity: Identity{Shorthands: Shorthands{GitHub: "o/r"}, SourceRef: "refs/tags/["}}, ErrInvalidPolicy},
		{"a bare !", Policy{Identity: Identity{Shorthands: Shorthands{GitHub: "o/r"}, RunnerEnvironment: "!"}}, ErrInvalidPolicy},
		{"an unknown version", Policy{Version: 2, Identity: Identity{Shorthands: Shorthands{GitHub: "o/r"}}}, ErrInvalidPolicy},
		{"github is enough", Policy{Identity: Identity{Shorthands: Shorthands{GitHub: "o/r"}}}, nil},
		{"issuer and signer workflow are enough", Policy{Identity: Identity{Issuer: GitLabURL, SignerWorkflow: "g/p//.gitlab-ci.yml"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tt.in.Compile()
			if !errors.Is(err, tt.err) {
				t.Fatalf("Compile() error = %v, want %v", err, tt.err)
			}
			if err == nil && c.Policy.Provenance.PredicateType != "https://slsa.dev/provenance/v1" {
				t.Errorf("default predicate type = %q", c.Policy.Provenance.PredicateType)
			}
		})
	}
}

func TestCompileWithDefaultIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         Identity
		wantIssuer string
		wantRegexp string
		wantSubj   string
	}{
		{"nothing given: any local identity", Identity{}, "", LocalIssuerRegexp, `^.+$`},
		{"kubernetes: the local issuer", Identity{Shorthands: Shorthands{KubernetesNamespace: "ns", ServiceAccount: "sa"}}, "", LocalIssuerRegexp, ""},
		{"github keeps the real issuer", Identity{Shorthands: Shorthands{GitHub: "o/r"}}, GitHubIssuer, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Policy{Identity: tt.in}.Compile(WithDefaultIdentity(LocalDefault()))
			if err != nil {
				t.Fatal(err)
			}
			id := c.Policy.Identity
			if id.Issuer != tt.wantIssuer || id.IssuerRegexp != tt.wantRegexp || id.SubjectRegexp != tt.wantSubj {
				t.Errorf("issuer %q, issuer regexp %q, identity regexp %q; want %q, %q, %q",
					id.Issuer, id.IssuerRegexp, id.SubjectRegexp, tt.wantIssuer, tt.wantRegexp, tt.wantSubj)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	file := Policy{Identity: Identity{IssuerRegexp: "^x$", Subject: "a", SourceRef: "refs/tags/*"},
		Provenance: Provenance{BuilderID: "b"}, RequireTlog: true}
	flags := Policy{Identity: Identity{Issuer: "https://i", SubjectRegexp: "^s$", Trigger: "push"}}
	want := Policy{Identity: Identity{Issuer: "https://i", SubjectRegexp: "^s$", SourceRef: "refs/tags/*", Trigger: "push"},
		Provenance: Provenance{BuilderID: "b"}, RequireTlog: true}
	if d := cmp.Diff(want, file.Merge(flags), cmpopts.EquateEmpty()); d != "" {
		t.Errorf("Merge (-want +got):\n%s", d)
	}
}

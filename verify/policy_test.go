package verify

import (
	"errors"
	"strings"
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

func TestCompileSigner(t *testing.T) {
	t.Parallel()
	const gh = "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1"
	const gl = "https://gitlab.com/g/p//.gitlab-ci.yml@refs/heads/main"
	tests := []struct {
		name, pattern, repo string
		gitlab              bool
		uri                 string
		match, binds        bool
		err                 error
	}{
		{"relative in the repository", ".github/workflows/release.yml", "o/r", false, gh, true, true, nil},
		{"relative, workflow of another repository", ".github/workflows/release.yml", "o/r", false,
			"https://github.com/x/tools/.github/workflows/release.yml@refs/tags/v1", false, true, nil},
		{"relative, suffix of another file", "release.yml", "o/r", false, "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1", false, true, nil},
		{"relative without a repository", ".github/workflows/release.yml", "", false, gh, false, false, ErrNoIdentityPolicy},
		{"whole path", "o/r/.github/workflows/release.yml", "", false, gh, true, true, nil},
		{"whole path of a reusable workflow", "x/tools/.github/workflows/release.yml", "o/r", false, gh, false, true, nil},
		{"whole path, owner case", "O/r/.github/workflows/release.yml", "", false, gh, false, true, nil},
		{"whole path with a ref glob", "o/r/.github/workflows/release.yml@refs/tags/v*", "", false, gh, true, true, nil},
		{"whole path with a branch", "o/r/.github/workflows/release.yml@main", "", false, gh, false, true, nil},
		{"whole path, glob owner", "*/r/.github/workflows/release.yml", "", false, gh, true, false, nil},
		{"URI", "https://github.com/o/r/.github/workflows/release.yml", "", false, gh, true, true, nil},
		{"URI on another host", "https://github.com.evil/o/r/.github/workflows/release.yml", "", false, gh, false, true, nil},
		{"URI with a glob host", "https://*/o/r/.github/workflows/release.yml", "", false, gh, false, false, ErrInvalidPolicy},
		{"gitlab relative", ".gitlab-ci.yml", "g/p", true, gl, true, true, nil},
		{"gitlab whole", "g/p//.gitlab-ci.yml", "", false, gl, true, true, nil},
		{"gitlab single slash is no whole path", "g/p/.gitlab-ci.yml", "", false, gl, false, false, ErrNoIdentityPolicy},
		{"gitlab single slash in the repository", "g/p/.gitlab-ci.yml", "g/p", true, gl, false, true, nil},
		{"gitlab relative never matches a deeper project", ".gitlab-ci.yml", "g", true, gl, false, true, nil},
		{"leading slash", "/o/r/x.yml", "", false, gh, false, false, ErrInvalidPolicy},
		{"short ref glob", "o/r/.github/workflows/release.yml@v*", "", false, gh, false, false, ErrInvalidPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := compileSigner(tt.pattern, tt.repo, tt.gitlab, false)
			if !errors.Is(err, tt.err) {
				t.Fatalf("compileSigner(%q, %q) error = %v, want %v", tt.pattern, tt.repo, err, tt.err)
			}
			if err != nil {
				return
			}
			if got := s.match(tt.uri); got != tt.match {
				t.Errorf("%s matches %s = %v, want %v", s, tt.uri, got, tt.match)
			}
			if s.bindsRepository() != tt.binds {
				t.Errorf("%s binds a repository = %v, want %v", s, s.bindsRepository(), tt.binds)
			}
		})
	}
}

func TestCompileAnchored(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, field, expr string
		matches, misses   []string
		err               bool
	}{
		{"literal issuer", "issuer", `^https://token\.actions\.githubusercontent\.com$`,
			[]string{GitHubIssuer}, []string{GitHubIssuer + ".evil", GitHubIssuer + "/", "http://token.actions.githubusercontent.com"}, false},
		{"issuer with a port", "issuer", LocalIssuerRegexp, []string{"http://127.0.0.1:80/oidc/github"}, []string{"http://127.0.0.1:80/oidc/github/x"}, false},
		{"issuer open after the host", "issuer", `^https://token\.actions\.githubusercontent\.com.*$`, nil, nil, true},
		{"issuer with an unescaped dot", "issuer", `^https://token.actions\.githubusercontent\.com/$`, nil, nil, true},
		{"issuer alternation", "issuer", `^https://a\.example/$|^https://b\.example/$`, nil, nil, true},
		{"issuer without scheme", "issuer", `^token\.actions\.githubusercontent\.com$`, nil, nil, true},
		{"unanchored", "identity", `a@example\.com`, nil, nil, true},
		{"escaped dollar is no anchor", "identity", `^a\$`, nil, nil, true},
		{"escaped backslash then anchor", "identity", `^a\\$`, []string{`a\`}, []string{`a\b`}, false},
		{"alternation stays inside the anchors", "identity", `^a|b$`, []string{"a", "b"}, []string{"ab", "xb", "ax"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			re, err := compileAnchored(tt.field, tt.expr)
			if err == nil && tt.field == "issuer" {
				err = checkIssuerRegexp(tt.expr)
			}
			if (err != nil) != tt.err {
				t.Fatalf("error = %v, want error %v", err, tt.err)
			}
			for _, s := range tt.matches {
				if !re.MatchString(s) {
					t.Errorf("%s does not match %q", tt.expr, s)
				}
			}
			for _, s := range tt.misses {
				if re.MatchString(s) {
					t.Errorf("%s matches %q", tt.expr, s)
				}
			}
		})
	}
}

func TestCompileRef(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"main": "refs/heads/main", "release/1.x": "refs/heads/release/1.x", "refs/tags/v*": "refs/tags/v*",
		"refs/pull/*/merge": "refs/pull/*/merge", "v*": "", "tags/v1": "", "heads/main": "", "/main": "", "refs/": "", "ma in": "",
	} {
		got, err := compileRef("ref", in)
		if want == "" && err == nil || want != "" && got != want {
			t.Errorf("compileRef(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestCheckSubjectRegexp: an identity regexp must fix the signer as an exact identity would,
// so that with any issuer it cannot accept every signer the issuer certifies.
func TestCheckSubjectRegexp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		ok   bool
	}{
		{`^https://github\.com/signet-ci/signet-demo/\.github/workflows/release\.yml@refs/tags/v.*$`, true},
		{`^https://github\.com/signet-ci/.*$`, true},
		{`^https://gitlab\.com/group/project//\.gitlab-ci\.yml@.*$`, true},
		{`^https://kubernetes\.io/namespaces/prod/serviceaccounts/.*$`, true},
		{`^.*@example\.com$`, true},
		{`^[a-z]+@example\.com$`, true},
		{`^alice@example\.com$`, true},
		{`^.*$`, false},
		{`^.+$`, false},
		{`^https://.*$`, false},
		{`^https://github\.com/.*$`, false},
		{`^https://github\.com/signet-ci.*$`, false},          // signet-ci-evil
		{`^https://github\.com//.*$`, false},                  // empty owner
		{`^https://github.com/signet-ci/.*$`, false},          // '.' is a wildcard: the host is not literal
		{`^https://kubernetes\.io/namespaces/.*$`, false},     // any namespace
		{`^https://kubernetes\.io/namespaces/prod.*$`, false}, // prod-evil
		{`^.*@.*$`, false},
		{`^.*@.*\.com$`, false},
		{`^.*example\.com$`, false},      // evilexample.com, and no '@'
		{`^.*@example\.com|.*$`, false},  // alternation escapes the suffix
		{`^(?i).*@example\.com$`, false}, // case-folded: not literal
		{`^.*@example\.$`, false},
		{`^https://github\.com/a/x$|^.*$`, false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			err := checkSubjectRegexp(tt.expr)
			if (err == nil) != tt.ok {
				t.Fatalf("checkSubjectRegexp(%q) = %v, want ok %v", tt.expr, err, tt.ok)
			}
			if err != nil && (!errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), "does not fix the signer")) {
				t.Errorf("error %q: want ErrInvalidPolicy saying the signer is not fixed", err)
			}
			// Compile applies the rule to a policy's own regexp, with an exact issuer.
			_, err = Policy{Identity: Identity{Issuer: GitHubIssuer, SubjectRegexp: tt.expr}}.Compile()
			if (err == nil) != tt.ok {
				t.Errorf("Compile with identity regexp %q = %v, want ok %v", tt.expr, err, tt.ok)
			}
		})
	}
}

package verify

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/internal/golden"
)

// goldenReport is a fixed run: one artifact verified, one modified after signing, one refused
// by the policy after a second bundle was also tried.
func goldenReport(t *testing.T) *Report {
	t.Helper()
	c, err := Policy{Identity: Identity{Shorthands: Shorthands{GitHub: "signet-ci/signet-demo"}, SourceRef: "refs/tags/v*",
		RunnerEnvironment: "!self-hosted"}, RequireTlog: true}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	signer := &Signer{Issuer: GitHubIssuer,
		Identity:         "https://github.com/signet-ci/signet-demo/.github/workflows/release.yml@refs/tags/v1.2.0",
		SourceRepository: "https://github.com/signet-ci/signet-demo", SourceRef: "refs/tags/v1.2.0",
		SourceDigest:      "5d3c6e0f2b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
		SignerWorkflow:    "https://github.com/signet-ci/signet-demo/.github/workflows/release.yml@refs/tags/v1.2.0",
		RunnerEnvironment: "github-hosted", Trigger: "push",
		RunInvocation: "https://github.com/signet-ci/signet-demo/actions/runs/12873459021/attempts/1"}
	hex := func(c string) string { return core.SHA256 + ":" + repeat(c, 64) }
	return newReport(c.Policy, []*Result{
		{Name: "dist/app.tar.gz", Digest: hex("a"), Verified: true, Bundle: "attestations/provenance.sigstore.json",
			BundleDigest: hex("b"), Signer: signer,
			Provenance: &Facts{Platform: "github", BuildType: "https://actions.github.io/buildtypes/workflow/v1", BuilderID: signer.SignerWorkflow},
			Timestamps: []Timestamp{{Kind: sigstore.TimestampAuthority, URI: "https://timestamp.example", Time: at},
				{Kind: sigstore.TransparencyLog, URI: "https://rekor.example", Time: at.Add(time.Second)}},
			LogEntries: []LogEntry{{URL: "https://rekor.example", Index: 4711, ID: "c0ffee", IntegratedTime: at.Add(time.Second)}}},
		{Name: "dist/app-linux-amd64", Digest: hex("c"), Bundle: "attestations/provenance.sigstore.json",
			Failure: mismatch(CheckSubject, "digest of dist/app-linux-amd64", hex("d"), hex("c"),
				"the artifact differs from the one signed: it was modified or replaced after signing")},
		{Name: "ghcr.io/signet-ci/app", Digest: hex("e"), Bundle: "attestations/provenance-0001.sigstore.json",
			Failure: mismatch(CheckIdentity, "source ref", "refs/tags/v*", "refs/heads/main", "value from the certificate"),
			Rejected: []Rejection{{Bundle: "attestations/old.sigstore.json",
				Failure: &Failure{Check: CheckTimestamp, Reason: "the bundle has no signed timestamp and no transparency-log entry"}}}},
	})
}

func repeat(s string, n int) string { return string(bytes.Repeat([]byte(s), n)) }

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	r := goldenReport(t)
	for _, tt := range []struct {
		format Format
		file   string
	}{{FormatText, "report.txt"}, {FormatJSON, "report.json"}, {FormatMarkdown, "report.md"}} {
		t.Run(string(tt.format), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Render(&buf, r, tt.format); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "golden", tt.file), buf.Bytes())
		})
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in  string
		err error
	}{{"text", nil}, {"json", nil}, {"markdown", nil}, {"html", ErrUnknownFormat}, {"", ErrUnknownFormat}} {
		if _, err := ParseFormat(tt.in); !errors.Is(err, tt.err) {
			t.Errorf("ParseFormat(%q) = %v, want %v", tt.in, err, tt.err)
		}
	}
}

// TestSourceWithoutCertificateSource: a signer whose certificate binds no source (email,
// Kubernetes) has its provenance's source shown as its own claim, never as the certificate's.
func TestSourceWithoutCertificateSource(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		signer Signer
		want   string
	}{
		{"kubernetes", Signer{Issuer: "https://kubernetes.default.svc", Identity: KubernetesSubject("ci", "builder")},
			"https://github.com/org/repo @ refs/heads/main (the signer's own claim in its provenance: the certificate binds no source)"},
		{"github", Signer{Issuer: GitHubIssuer, Identity: "https://github.com/org/repo/.github/workflows/r.yml@refs/heads/main",
			SourceRepository: "https://github.com/org/repo", SourceRef: "refs/heads/main"}, "https://github.com/org/repo @ refs/heads/main"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := &Result{Verified: true, Signer: &tc.signer,
				Provenance: &Facts{SourceRepo: "https://github.com/org/repo", Ref: "refs/heads/main"}}
			var got string
			for _, l := range detailLines(a) {
				if l[0] == "source" {
					got = l[1]
				}
			}
			if got != tc.want {
				t.Errorf("source line %q, want %q", got, tc.want)
			}
		})
	}
}

package sigstore_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
)

func githubPolicy(s *localsigstore.Sigstore) sigstore.IdentityPolicy {
	c := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	return sigstore.IdentityPolicy{
		Issuer: s.Issuer(localsigstore.PresetGitHub),
		SAN:    "https://github.com/" + c["job_workflow_ref"].(string),
		Extensions: certificate.Extensions{
			SourceRepositoryURI: "https://github.com/" + c["repository"].(string),
			SourceRepositoryRef: c["ref"].(string),
		},
	}
}

func TestKeylessOneCertificatePerRun(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	ctx := t.Context()
	signer, err := sigstore.NewKeylessSigner(ctx, mat, localToken(t, s, localsigstore.PresetGitHub))
	if err != nil {
		t.Fatal(err)
	}
	arts := []artifact{appBin, appTar, other}
	sts := make([][]byte, len(arts))
	for i, a := range arts {
		sts[i] = statement(t, a)
	}
	fulcio0, tsa0 := s.Requests(localsigstore.ServiceFulcio), s.Requests(localsigstore.ServiceTSA)
	bundles := make([]*core.Bundle, len(arts))
	var g errgroup.Group
	for i := range arts {
		g.Go(func() (err error) {
			bundles[i], err = signer.SignStatement(ctx, sts[i])
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("SignStatement: %v", err)
	}
	if n := s.Requests(localsigstore.ServiceFulcio) - fulcio0; n != 1 {
		t.Errorf("Fulcio requests = %d, want exactly 1 for %d statements", n, len(arts))
	}
	if n := s.Requests(localsigstore.ServiceTSA) - tsa0; n != int64(len(arts)) {
		t.Errorf("TSA requests = %d, want %d", n, len(arts))
	}
	policy := githubPolicy(s)
	want := core.Identity{Subject: policy.SAN, Issuer: policy.Issuer}
	if diff := cmpDiff(want, signer.Identity()); diff != "" {
		t.Errorf("Identity() (-want +got):\n%s", diff)
	}
	if d := signer.TlogDecision(); d.Used {
		t.Errorf("TlogDecision = %+v, want unused (no log in the local signing config)", d)
	}
	v, err := sigstore.NewVerifier(mat.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bundles {
		checkSigned(t, b)
		res, err := v.Verify(ctx, b.JSON, "sha256", arts[i].digest(), policy)
		if err != nil {
			t.Fatalf("Verify %s: %v", arts[i].name, err)
		}
		if res.PredicateType != core.ProvenancePredicateType || len(res.Subjects) != 1 || res.Subjects[0].Name != arts[i].name {
			t.Errorf("Verify %s: predicate %q subjects %+v", arts[i].name, res.PredicateType, res.Subjects)
		}
		if len(res.Timestamps) != 1 || res.Timestamps[0].Kind != sigstore.TimestampAuthority {
			t.Errorf("Verify %s: timestamps %+v, want one from the timestamp authority", arts[i].name, res.Timestamps)
		}
		if string(res.Statement) != string(sts[i]) {
			t.Errorf("Verify %s: statement differs from the signed one", arts[i].name)
		}
	}
}

// checkSigned checks what a keyless bundle from the local Sigstore reports about itself.
func checkSigned(t *testing.T, b *core.Bundle) {
	t.Helper()
	if !strings.Contains(string(b.JSON), sigstore.BundleMediaType) {
		t.Errorf("bundle JSON lacks media type %s", sigstore.BundleMediaType)
	}
	if b.LogEntry != nil {
		t.Errorf("LogEntry = %+v, want nil (no log)", b.LogEntry)
	}
	if len(b.Timestamps) != 1 || time.Since(b.Timestamps[0]) > time.Minute || time.Since(b.Timestamps[0]) < -time.Minute {
		t.Errorf("Timestamps = %v, want one signed time close to now", b.Timestamps)
	}
}

func TestKeylessTokenRefused(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	tests := []struct {
		name   string
		preset localsigstore.Preset
		opts   []localsigstore.TokenOption
		want   error
		says   string
		fulcio int64 // requests Fulcio gets
	}{
		// What the token itself shows is refused before Fulcio is asked, with core's sentinels.
		{"expired", localsigstore.PresetGitHub, []localsigstore.TokenOption{localsigstore.WithExpiry(-time.Minute)},
			core.ErrTokenExpired, "the identity token expired at", 0},
		{"wrong audience", localsigstore.PresetEmail, []localsigstore.TokenOption{localsigstore.WithAudience("not-sigstore")},
			core.ErrTokenAudience, `the identity token is for audience ["not-sigstore"]`, 0},
		// What only Fulcio knows is Fulcio's refusal.
		{"missing claim", localsigstore.PresetGitHub, []localsigstore.TokenOption{localsigstore.WithoutClaims("repository_id")},
			sigstore.ErrFulcio, "fulcio at " + s.URL(), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, err := s.Token(tc.preset, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			tok := rawSource(raw) // unchecked, so the signer's own check is what refuses
			signer, err := sigstore.NewKeylessSigner(t.Context(), mat, tok, sigstore.WithRetries(0))
			if err != nil {
				t.Fatal(err)
			}
			fulcio0 := s.Requests(localsigstore.ServiceFulcio)
			_, err = signer.SignStatement(t.Context(), statement(t, appBin))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.want, tc.says)
			}
			if n := s.Requests(localsigstore.ServiceFulcio) - fulcio0; n != tc.fulcio {
				t.Errorf("Fulcio got %d request(s), want %d", n, tc.fulcio)
			}
			mustNotContain(t, err, string(tok))
			if got := signer.Identity(); got != (core.Identity{}) {
				t.Errorf("Identity() = %+v after a refused certificate, want empty", got)
			}
		})
	}
}

func TestKeylessBadTokenSource(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	missing := t.TempDir() + "/token"
	tests := []struct {
		name   string
		tokens core.TokenSource
		says   string
		want   error
	}{
		{"not a JWT", sigstore.StaticToken("s3cret-not-a-jwt"), "expected 3 (header.payload.signature)", core.ErrTokenMalformed},
		{"missing file", sigstore.FileToken(missing), missing, core.ErrNoToken},
		{"a source that fails", failingSource{errors.New("metadata server down")}, "metadata server down", core.ErrNoToken},
		{"a source giving garbage", rawSource("s3cret-not-a-jwt"), "the identity token: OIDC identity token is not a JWT", core.ErrTokenMalformed},
		{"a source giving an expired token", rawSource(jwt(`{"aud":"sigstore","exp":1700000000,"s":"s3cret"}`)), "the identity token expired", core.ErrTokenExpired},
		{"a source giving another audience", rawSource(jwt(`{"aud":"vault","s":"s3cret"}`)), "the identity token is for audience", core.ErrTokenAudience},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			signer, err := sigstore.NewKeylessSigner(t.Context(), mat, tc.tokens)
			if err != nil {
				t.Fatal(err)
			}
			fulcio0 := s.Requests(localsigstore.ServiceFulcio)
			_, err = signer.SignStatement(t.Context(), statement(t, appBin))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.want, tc.says)
			}
			mustNotContain(t, err, "s3cret")
			if n := s.Requests(localsigstore.ServiceFulcio) - fulcio0; n != 0 {
				t.Errorf("Fulcio was called %d times without a token", n)
			}
		})
	}
}

func TestKeylessCertificateExpiry(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	signer, err := sigstore.NewKeylessSigner(t.Context(), localMaterial(t, s), localToken(t, s, localsigstore.PresetEmail),
		sigstore.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signer.SignStatement(t.Context(), statement(t, appBin)); err != nil {
		t.Fatal(err)
	}
	skew.Store(int64(11 * time.Minute))
	_, err = signer.SignStatement(t.Context(), statement(t, appTar))
	if !errors.Is(err, sigstore.ErrFulcio) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("err = %v, want ErrFulcio saying the certificate expired", err)
	}
}

func TestNewKeylessSignerRefuses(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	tok := localToken(t, s, localsigstore.PresetEmail)
	trOnly, err := sigstore.ParseMaterial(mat.TrustedRootJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	noTSA := editConfig(t, mat, func(sc *root.SigningConfig) *root.SigningConfig { return sc.WithTimestampAuthorityURLs() })
	v2Only := editConfig(t, noTSA, func(sc *root.SigningConfig) *root.SigningConfig {
		return sc.WithRekorLogURLs(service("http://127.0.0.1:1", 2))
	})
	v1NoTSA := editConfig(t, noTSA, func(sc *root.SigningConfig) *root.SigningConfig {
		return sc.WithRekorLogURLs(service("http://127.0.0.1:1", 1))
	})
	tests := []struct {
		name   string
		mat    *sigstore.Material
		tokens core.TokenSource
		opts   []sigstore.SignerOption
		want   error
		says   string
	}{
		{"nil material", nil, tok, nil, sigstore.ErrTrust, "signing_config.json"},
		{"trusted root only", trOnly, tok, nil, sigstore.ErrTrust, "signing_config.json"},
		{"no token source", mat, nil, nil, core.ErrNoToken, "no token source"},
		{"log required, none listed", mat, tok, []sigstore.SignerOption{sigstore.WithTransparencyLog(true)}, sigstore.ErrTrust, "rekorTlogUrls"},
		{"no TSA, no log", noTSA, tok, nil, sigstore.ErrTrust, "no timestamp authority"},
		{"no TSA, Rekor v2 only", v2Only, tok, nil, sigstore.ErrTrust, "no timestamp authority"},
		{"no TSA, Rekor v1 turned off", v1NoTSA, tok, []sigstore.SignerOption{sigstore.WithTransparencyLog(false)}, sigstore.ErrTrust, "no timestamp authority"},
		{"negative retries", mat, tok, []sigstore.SignerOption{sigstore.WithRetries(-1)}, nil, "retries -1"},
		{"zero timeout", mat, tok, []sigstore.SignerOption{sigstore.WithHTTPTimeout(0)}, nil, "HTTP timeout"},
		{"inverted backoff", mat, tok, []sigstore.SignerOption{sigstore.WithBackoff(time.Second, time.Millisecond)}, nil, "backoff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sigstore.NewKeylessSigner(t.Context(), tc.mat, tc.tokens, tc.opts...)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.want, tc.says)
			}
		})
	}
}

func TestKeylessTlogDecision(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	withLog := editConfig(t, localMaterial(t, s), func(sc *root.SigningConfig) *root.SigningConfig {
		return sc.WithRekorLogURLs(service("http://127.0.0.1:1", 1))
	})
	tests := []struct {
		name string
		opts []sigstore.SignerOption
		want core.TlogDecision
	}{
		{"as configured", nil, core.TlogDecision{Used: true, Reason: "rekor v1 at http://127.0.0.1:1"}},
		{"turned off", []sigstore.SignerOption{sigstore.WithTransparencyLog(false)}, core.TlogDecision{Reason: "transparency log turned off: timestamped only"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			signer, err := sigstore.NewKeylessSigner(t.Context(), withLog, localToken(t, s, localsigstore.PresetEmail), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmpDiff(tc.want, signer.TlogDecision()); diff != "" {
				t.Errorf("TlogDecision (-want +got):\n%s", diff)
			}
		})
	}
	if !withLog.HasTlog() || localMaterial(t, s).HasTlog() {
		t.Errorf("HasTlog: with log %v, local %v; want true, false", withLog.HasTlog(), localMaterial(t, s).HasTlog())
	}
}

func TestVerifyLocalRejects(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	foreign := startLocal(t)
	mat := localMaterial(t, s)
	signer, err := sigstore.NewKeylessSigner(t.Context(), mat, localToken(t, s, localsigstore.PresetGitHub))
	if err != nil {
		t.Fatal(err)
	}
	b, err := signer.SignStatement(t.Context(), statement(t, appBin))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		trusted *sigstore.Material
		digest  string
		policy  func(p *sigstore.IdentityPolicy)
		want    error
	}{
		{"as signed", mat, appBin.digest(), nil, nil},
		{"SAN regexp", mat, appBin.digest(), func(p *sigstore.IdentityPolicy) {
			p.SAN, p.SANRegexp = "", `^https://github\.com/signet-ci/signet-demo/\.github/workflows/release\.yml@refs/heads/main$`
		}, nil},
		{"other workflow", mat, appBin.digest(), func(p *sigstore.IdentityPolicy) {
			p.SAN = "https://github.com/signet-ci/signet-demo/.github/workflows/evil.yml@refs/heads/main"
		}, sigstore.ErrIdentity},
		{"other issuer", mat, appBin.digest(), func(p *sigstore.IdentityPolicy) { p.Issuer = s.Issuer(localsigstore.PresetGitLab) }, sigstore.ErrIdentity},
		{"other repository", mat, appBin.digest(), func(p *sigstore.IdentityPolicy) {
			p.Extensions.SourceRepositoryURI = "https://github.com/signet-ci/other"
		}, sigstore.ErrIdentity},
		{"modified artifact", mat, appTar.digest(), nil, sigstore.ErrDigest},
		{"another sigstore's trust", localMaterial(t, foreign), appBin.digest(), nil, sigstore.ErrTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := sigstore.NewVerifier(tc.trusted.TrustedRoot)
			if err != nil {
				t.Fatal(err)
			}
			policy := githubPolicy(s)
			if tc.policy != nil {
				tc.policy(&policy)
			}
			_, err = v.Verify(t.Context(), b.JSON, "sha256", tc.digest, policy)
			if (tc.want == nil && err != nil) || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// rawSource hands out its token unchecked, as a TokenSource of another package might.
type rawSource string

func (r rawSource) Token(context.Context) (string, error) { return string(r), nil }

// failingSource fails as a platform's token endpoint might.
type failingSource struct{ err error }

func (f failingSource) Token(context.Context) (string, error) { return "", f.err }

package localsigstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// normalize replaces an instance's random base URL with a stable one, for golden files.
func normalize(s *Sigstore, text string) string {
	return strings.ReplaceAll(text, s.URL(), "http://127.0.0.1:PORT")
}

// TestSignAndVerify signs a DSSE statement with each preset's token and checks the verified
// certificate's identity and CI extensions against golden summaries.
func TestSignAndVerify(t *testing.T) {
	t.Parallel()
	s := start(t)
	tests := []struct {
		preset Preset
		san    string
		// extensions every verifier of that platform matches on (also in the golden file)
		want certificate.Extensions
	}{
		{preset: PresetEmail, san: "signet@example.com"},
		{
			preset: PresetGitHub,
			san:    "https://github.com/signet-ci/signet-demo/.github/workflows/release.yml@refs/heads/main",
			want: certificate.Extensions{
				SourceRepositoryURI:    "https://github.com/signet-ci/signet-demo",
				SourceRepositoryDigest: DefaultSHA,
				SourceRepositoryRef:    "refs/heads/main",
				BuildSignerURI:         "https://github.com/signet-ci/signet-demo/.github/workflows/release.yml@refs/heads/main",
				RunInvocationURI:       "https://github.com/signet-ci/signet-demo/actions/runs/12873459021/attempts/1",
			},
		},
		{
			preset: PresetGitLab,
			san:    "https://gitlab.com/signet-ci/signet-demo//.gitlab-ci.yml@refs/heads/main",
			want: certificate.Extensions{
				SourceRepositoryURI:    "https://gitlab.com/signet-ci/signet-demo",
				SourceRepositoryDigest: DefaultSHA,
				SourceRepositoryRef:    "refs/heads/main",
				BuildSignerURI:         "https://gitlab.com/signet-ci/signet-demo//.gitlab-ci.yml@refs/heads/main",
				RunInvocationURI:       "https://gitlab.com/signet-ci/signet-demo/-/jobs/9012345678",
			},
		},
		{preset: PresetKubernetes, san: "https://kubernetes.io/namespaces/signet-builds/serviceaccounts/signet"},
	}
	for _, tt := range tests {
		t.Run(string(tt.preset), func(t *testing.T) {
			t.Parallel()
			tok, err := s.Token(tt.preset)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			b, err := signWith(t, s, tok)
			if err != nil {
				t.Fatalf("signing: %v", err)
			}
			sum, err := verifyWith(t, s.TrustedRoot(), b)
			if err != nil {
				t.Fatalf("verifying: %v", err)
			}
			if sum.SubjectAlternativeName != tt.san || sum.Issuer != s.Issuer(tt.preset) {
				t.Errorf("identity = %q from %q, want %q from %q", sum.SubjectAlternativeName, sum.Issuer, tt.san, s.Issuer(tt.preset))
			}
			if err := certificate.CompareExtensions(tt.want, sum.Extensions); err != nil {
				t.Errorf("extensions: %v", err)
			}
			sum.Issuer = normalize(s, sum.Issuer)
			goldenJSON(t, "certificate-"+string(tt.preset)+".json", sum)
		})
	}
}

func TestDefaultClaims(t *testing.T) {
	t.Parallel()
	for _, p := range Presets() {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			goldenJSON(t, "claims-"+string(p)+".json", DefaultClaims(p))
		})
	}
	if got := DefaultClaims("jenkins"); got != nil {
		t.Errorf("DefaultClaims(jenkins) = %v, want nil", got)
	}
}

// TestTokenClaims checks what each option puts in the token.
func TestTokenClaims(t *testing.T) {
	t.Parallel()
	s := start(t)
	issued := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		preset Preset
		opts   []TokenOption
		want   map[string]any // claims that must be present with these values
		absent []string
	}{
		{
			name:   "defaults",
			preset: PresetGitHub,
			want:   map[string]any{"aud": "sigstore", "iss": s.Issuer(PresetGitHub), "repository_id": "871049302", "run_attempt": "1"},
		},
		{
			name:   "audience expiry and issued-at",
			preset: PresetEmail,
			opts:   []TokenOption{WithAudience("other"), WithIssuedAt(issued), WithExpiry(-time.Minute)},
			want: map[string]any{"aud": "other", "iat": json.Number("1793534400"), "nbf": json.Number("1793534395"),
				"exp": json.Number("1793534340")},
		},
		{
			name:   "gitlab null config ref and numeric runner",
			preset: PresetGitLab,
			opts:   []TokenOption{WithClaims(map[string]any{"ci_config_ref_uri": nil})},
			want:   map[string]any{"ci_config_ref_uri": nil, "runner_id": json.Number("32976645")},
		},
		{
			name:   "override and remove",
			preset: PresetKubernetes,
			opts: []TokenOption{
				WithClaims(map[string]any{"sub": "system:serviceaccount:other:sa"}),
				WithoutClaims("kubernetes.io"),
			},
			want:   map[string]any{"sub": "system:serviceaccount:other:sa"},
			absent: []string{"kubernetes.io"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := s.Token(tt.preset, tt.opts...)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			claims := tokenClaims(t, tok)
			for k, v := range tt.want {
				got, ok := claims[k]
				if !ok {
					t.Errorf("claim %q missing", k)
					continue
				}
				if diff := cmp.Diff(v, got); diff != "" {
					t.Errorf("claim %q (-want +got):\n%s", k, diff)
				}
			}
			for _, k := range tt.absent {
				if _, ok := claims[k]; ok {
					t.Errorf("claim %q present, want it removed", k)
				}
			}
		})
	}
}

// TestFulcioRejects checks that Fulcio itself refuses bad tokens (asked directly: sigstore-go's
// client already refuses some of them, such as an unverified email, before calling Fulcio).
func TestFulcioRejects(t *testing.T) {
	t.Parallel()
	const badToken = "There was an error processing the identity token"
	s := start(t)
	tests := []struct {
		name   string
		preset Preset
		opts   []TokenOption
		reason string // in Fulcio's answer
	}{
		{"expired", PresetEmail, []TokenOption{WithExpiry(-time.Minute)}, badToken},
		{"wrong audience", PresetGitHub, []TokenOption{WithAudience("https://github.com/signet-ci")}, badToken},
		{"github without repository_id", PresetGitHub, []TokenOption{WithoutClaims("repository_id")}, "repository_id"},
		{"gitlab without project_path", PresetGitLab, []TokenOption{WithoutClaims("project_path")}, "project_path"},
		{"unverified email", PresetEmail, []TokenOption{WithClaims(map[string]any{"email_verified": false})}, badToken},
		{"unknown issuer", PresetKubernetes, []TokenOption{WithClaims(map[string]any{"iss": "http://127.0.0.1:1/oidc/nowhere"})}, badToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := s.Token(tt.preset, tt.opts...)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			code, body := requestCertificate(t, s, tok)
			if code != http.StatusBadRequest || !strings.Contains(body, tt.reason) {
				t.Fatalf("Fulcio answered %d %s, want 400 naming %q", code, body, tt.reason)
			}
		})
	}
}

// TestGitLabNullConfigRef shows what Fulcio does with GitLab's null ci_config_ref_uri (pipeline
// definition outside the project): it issues a certificate naming "https://<nil>".
func TestGitLabNullConfigRef(t *testing.T) {
	t.Parallel()
	s := start(t)
	tok, err := s.Token(PresetGitLab, WithClaims(map[string]any{"ci_config_ref_uri": nil, "ci_config_sha": nil}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := signWith(t, s, tok)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	sum, err := verifyWith(t, s.TrustedRoot(), b)
	if err != nil {
		t.Fatalf("verifying: %v", err)
	}
	want := certificate.Extensions{BuildSignerURI: "https://<nil>", BuildSignerDigest: "<nil>", BuildConfigURI: "https://<nil>"}
	if sum.SubjectAlternativeName != "https://<nil>" {
		t.Errorf("SAN = %q, want https://<nil>", sum.SubjectAlternativeName)
	}
	if err := certificate.CompareExtensions(want, sum.Extensions); err != nil {
		t.Error(err)
	}
}

// TestRequests checks the per-service counters: one sign is one Fulcio and one TSA request.
func TestRequests(t *testing.T) {
	t.Parallel()
	s := start(t)
	oidcAtStart := s.Requests(ServiceOIDC)
	if oidcAtStart < int64(len(Presets())) { // Fulcio looked every issuer up at start
		t.Errorf("oidc requests at start = %d, want >= %d", oidcAtStart, len(Presets()))
	}
	tok, err := s.Token(PresetGitHub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signWith(t, s, tok); err != nil {
		t.Fatalf("signing: %v", err)
	}
	got := map[string]int64{}
	for _, svc := range []string{ServiceFulcio, ServiceTSA, "rekor"} {
		got[svc] = s.Requests(svc)
	}
	want := map[string]int64{ServiceFulcio: 1, ServiceTSA: 1, "rekor": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if s.Requests(ServiceOIDC) <= oidcAtStart {
		t.Errorf("oidc requests did not grow after signing (Fulcio fetches the JWKS)")
	}
}

// TestStateDirPersists: a bundle made by one instance verifies with the trusted root of a later
// instance on the same state directory, and not with another instance's.
func TestStateDirPersists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := Start(t.Context(), WithStateDir(dir))
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	tok, err := first.Token(PresetEmail)
	if err != nil {
		t.Fatal(err)
	}
	b, err := signWith(t, first, tok)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	second := start(t, WithStateDir(dir))
	if _, err := verifyWith(t, second.TrustedRoot(), b); err != nil {
		t.Errorf("verifying the first instance's bundle with the second's trusted root: %v", err)
	}
	other := start(t)
	if _, err := verifyWith(t, other.TrustedRoot(), b); err == nil {
		t.Error("an unrelated instance's trusted root verified the bundle")
	}
	for _, key := range []string{filepath.Join(dir, fulcioDir, fulcioKeyFile), filepath.Join(dir, tsaDir, tsaKeyFile)} {
		fi, err := os.Stat(key)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", key, fi.Mode().Perm())
		}
	}
}

// TestInstancesKeepTheirOwnTSA: instances in one process share the timestamp-authority package
// yet each timestamps with its own key.
func TestInstancesKeepTheirOwnTSA(t *testing.T) {
	t.Parallel()
	a, b := start(t), start(t)
	for i, s := range []*Sigstore{a, b, a, b} {
		tok, err := s.Token(PresetEmail)
		if err != nil {
			t.Fatal(err)
		}
		bun, err := signWith(t, s, tok)
		if err != nil {
			t.Fatalf("signing #%d: %v", i, err)
		}
		if _, err := verifyWith(t, s.TrustedRoot(), bun); err != nil {
			t.Errorf("bundle #%d with its own trusted root: %v", i, err)
		}
		other := a
		if s == a {
			other = b
		}
		if _, err := verifyWith(t, other.TrustedRoot(), bun); err == nil {
			t.Errorf("bundle #%d verified with the other instance's trusted root", i)
		}
	}
}

// TestWriteTrustedRoot: the trusted root is written where none is, or where the file trusts
// other keys (or is not a trusted root); a file trusting the same keys under other URLs (a
// running server's, on the same state directory) is left byte for byte, and no signing
// configuration is ever written.
func TestWriteTrustedRoot(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	server := start(t, WithStateDir(state))
	run := start(t, WithStateDir(state)) // same keys, another port
	other := start(t)                    // other keys
	for _, tt := range []struct {
		name     string
		existing []byte
		want     bool
	}{
		{"missing", nil, true},
		{"same keys, other URLs", server.TrustedRoot(), false},
		{"other keys", other.TrustedRoot(), true},
		{"not a trusted root", []byte(`{"mediaType": "text/plain"}`), true},
		{"too large", bytes.Repeat([]byte(" "), maxTrustedRootSize+1), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, TrustedRootFile)
			if tt.existing != nil {
				if err := os.WriteFile(path, tt.existing, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			written, err := run.WriteTrustedRoot(dir)
			if err != nil || written != tt.want {
				t.Fatalf("WriteTrustedRoot = %v, %v; want %v, nil", written, err, tt.want)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.existing
			if tt.want {
				want = run.TrustedRoot()
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s holds %.80q..., want %.80q...", TrustedRootFile, got, want)
			}
			if _, err := os.Stat(filepath.Join(dir, SigningConfigFile)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("WriteTrustedRoot left a %s (stat: %v)", SigningConfigFile, err)
			}
		})
	}
}

// TestWriteConfig checks the written files load with sigstore-go and have the expected shape.
func TestWriteConfig(t *testing.T) {
	t.Parallel()
	s := start(t)
	dir := filepath.Join(t.TempDir(), "conf")
	if err := s.WriteConfig(dir); err != nil {
		t.Fatalf("WriteConfig: %v", err)
	}
	tr, err := root.NewTrustedRootFromPath(filepath.Join(dir, TrustedRootFile))
	if err != nil {
		t.Fatalf("loading %s: %v", TrustedRootFile, err)
	}
	shape := map[string]int{
		"fulcio CAs": len(tr.FulcioCertificateAuthorities()),
		"TSAs":       len(tr.TimestampingAuthorities()),
		"tlogs":      len(tr.RekorLogs()),
		"CT logs":    len(tr.CTLogs()),
	}
	if diff := cmp.Diff(map[string]int{"fulcio CAs": 1, "TSAs": 1, "tlogs": 0, "CT logs": 0}, shape); diff != "" {
		t.Errorf("trusted root (-want +got):\n%s", diff)
	}
	if _, err := root.NewSigningConfigFromPath(filepath.Join(dir, SigningConfigFile)); err != nil {
		t.Fatalf("loading %s: %v", SigningConfigFile, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, SigningConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	var sc map[string]any
	text := regexp.MustCompile(`"start":"[^"]*"`).ReplaceAllString(normalize(s, string(raw)), `"start":"START"`)
	if err := json.Unmarshal([]byte(text), &sc); err != nil {
		t.Fatal(err)
	}
	goldenJSON(t, "signing_config.json", sc)
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	s := start(t)
	for _, p := range Presets() {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			var doc struct {
				Issuer  string   `json:"issuer"`
				JWKSURI string   `json:"jwks_uri"`
				Algs    []string `json:"id_token_signing_alg_values_supported"`
			}
			getJSON(t, s.Issuer(p)+"/.well-known/openid-configuration", &doc)
			if doc.Issuer != s.Issuer(p) || doc.JWKSURI != s.Issuer(p)+"/keys" || !cmp.Equal(doc.Algs, []string{"ES256"}) {
				t.Errorf("discovery = %+v", doc)
			}
			var jwks struct {
				Keys []map[string]any `json:"keys"`
			}
			getJSON(t, doc.JWKSURI, &jwks)
			if len(jwks.Keys) != 1 || jwks.Keys[0]["alg"] != "ES256" || jwks.Keys[0]["d"] != nil {
				t.Errorf("jwks = %v, want one public ES256 key", jwks)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  Option
	}{
		{"empty addr", WithAddr("")},
		{"no port", WithAddr("127.0.0.1")},
		{"no host", WithAddr(":0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Start(t.Context(), tt.opt); !errors.Is(err, ErrInvalidOption) {
				t.Errorf("Start error = %v, want ErrInvalidOption", err)
			}
		})
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	s := start(t)
	tests := []struct {
		name   string
		preset Preset
		opts   []TokenOption
		want   error
	}{
		{"unknown preset", "jenkins", nil, ErrUnknownPreset},
		{"empty audience", PresetEmail, []TokenOption{WithAudience("")}, ErrInvalidOption},
		{"zero expiry", PresetEmail, []TokenOption{WithExpiry(0)}, ErrInvalidOption},
		{"zero issued-at", PresetEmail, []TokenOption{WithIssuedAt(time.Time{})}, ErrInvalidOption},
		{"empty claim name", PresetEmail, []TokenOption{WithClaims(map[string]any{"": 1})}, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := s.Token(tt.preset, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("Token error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParsePreset(t *testing.T) {
	t.Parallel()
	for _, p := range Presets() {
		if got, err := ParsePreset(string(p)); err != nil || got != p {
			t.Errorf("ParsePreset(%q) = %q, %v", p, got, err)
		}
	}
	if _, err := ParsePreset("GitHub"); !errors.Is(err, ErrUnknownPreset) {
		t.Errorf("ParsePreset(GitHub) error = %v, want ErrUnknownPreset", err)
	}
}

// TestCloseReleasesListener: after Close nothing listens on the address, and Close is idempotent.
func TestCloseReleasesListener(t *testing.T) {
	t.Parallel()
	s, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.URL(), "http://")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
}

func TestAddrInUse(t *testing.T) {
	t.Parallel()
	s := start(t)
	_, err := Start(t.Context(), WithAddr(strings.TrimPrefix(s.URL(), "http://")))
	if err == nil || !strings.Contains(err.Error(), "listening on") {
		t.Errorf("Start on a busy address: error = %v, want a listen error naming the address", err)
	}
}

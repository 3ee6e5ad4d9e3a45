package ci

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
)

func TestCommandLayout(t *testing.T) {
	t.Parallel()
	c := NewCommand("signet", "verify").Add("--index", "out dir/index.json").Add("a.tgz")
	if got, want := c.String(), "signet verify --index 'out dir/index.json' a.tgz"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := c.Lines(" \\\n  "), "signet verify \\\n  --index 'out dir/index.json' \\\n  a.tgz"; got != want {
		t.Errorf("Lines() = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"signet", "verify", "--index", "out dir/index.json", "a.tgz"}, c.Argv()); diff != "" {
		t.Errorf("Argv (-want +got):\n%s", diff)
	}
}

func TestDigestString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   map[string]string
		want string
	}{
		{map[string]string{"sha512": "bb", "sha256": "aa"}, "sha256:aa"},
		{map[string]string{"sha512": "bb", "gitCommit": "cc"}, "sha512:bb"},
		{map[string]string{"sha1": "dd", "gitCommit": "cc"}, "gitCommit:cc"},
		{nil, ""},
	} {
		if got := DigestString(tc.in); got != tc.want {
			t.Errorf("DigestString(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// outcome is a run in a temporary workspace: a.tgz is a file of it, the image is not.
func outcome(t *testing.T, sigstore string, used bool) Outcome {
	t.Helper()
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "a.tgz"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := map[string]string{core.SHA256: lowerHex}
	ix := &core.Index{
		Signer: &core.Identity{Subject: "https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main", Issuer: "https://issuer.example"},
		Tlog:   core.TlogDecision{Used: used},
		Attestations: []core.IndexAttestation{
			{Bundle: "sbom/a.tgz.spdx.sigstore.json", PredicateType: "https://spdx.dev/Document"},
			{Bundle: "provenance.sigstore.json", PredicateType: ProvenanceType,
				LogEntry: &core.LogEntry{Index: 42, URL: "https://rekor.sigstore.dev"}, Timestamps: []time.Time{time.Unix(0, 0)}},
		},
		Subjects: []core.IndexSubject{
			{Name: "a.tgz", Digest: d, Bundles: []string{"sbom/a.tgz.spdx.sigstore.json", "provenance.sigstore.json"}},
			{Name: "ghcr.io/o/app", Digest: d, Bundles: []string{"provenance.sigstore.json"}},
		},
	}
	return Outcome{Index: ix, Dir: ws, OutputDir: filepath.Join(ws, "attestations"), Sigstore: sigstore}
}

func TestOutcomeValues(t *testing.T) {
	t.Parallel()
	o := outcome(t, "public", true)
	if got := o.ProvenanceBundle(); got != "provenance.sigstore.json" {
		t.Errorf("ProvenanceBundle() = %q: an SBOM bundle listed first must not be taken for the provenance", got)
	}
	if got := o.BundleFor("a.tgz", map[string]string{core.SHA256: lowerHex}); got != "provenance.sigstore.json" {
		t.Errorf("BundleFor(a.tgz) = %q", got)
	}
	if got := o.IndexPath(); got != "attestations/index.json" {
		t.Errorf("IndexPath() = %q", got)
	}
	if got := o.Rel("/elsewhere/../x/y"); got != "/x/y" {
		t.Errorf("Rel outside the workspace = %q, want the cleaned path", got)
	}
	var args []string
	for _, a := range o.Artifacts() {
		args = append(args, a.Arg)
	}
	if diff := cmp.Diff([]string{"a.tgz", "ghcr.io/o/app@sha256:" + lowerHex}, args); diff != "" {
		t.Errorf("Artifacts (-want +got):\n%s", diff)
	}
	file, bundle, ok := o.Example()
	if !ok || file != "a.tgz" || bundle != "attestations/provenance.sigstore.json" {
		t.Errorf("Example() = %q, %q, %v", file, bundle, ok)
	}
	proofs := Proofs(o.Index.Attestations[1])
	want := []Proof{{Text: "log index 42", URL: "https://search.sigstore.dev/?logIndex=42"}, {Text: "timestamped 1970-01-01T00:00:00Z"}}
	if diff := cmp.Diff(want, proofs); diff != "" {
		t.Errorf("Proofs (-want +got):\n%s", diff)
	}
	if got := LogSearchURL(&core.LogEntry{Index: 1, URL: "https://rekor.sigstore.dev.evil.example"}); got != "" {
		t.Errorf("a look-alike log host got a search link: %q", got)
	}
	if got := TlogText(core.TlogDecision{Reason: "private repository"}); got != "not used (private repository)" {
		t.Errorf("TlogText = %q", got)
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, sigstore string
		used           bool
		verify         string
		trusted        string
		gh, cosign     string
	}{
		{
			name: "public", sigstore: "public", used: true,
			verify: "signet verify --index attestations/index.json --certificate-identity https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main " +
				"--certificate-oidc-issuer https://issuer.example a.tgz ghcr.io/o/app@sha256:" + lowerHex,
			gh: "gh attestation verify a.tgz --bundle attestations/provenance.sigstore.json --repo o/r --cert-oidc-issuer https://issuer.example",
			cosign: "cosign verify-blob-attestation --bundle attestations/provenance.sigstore.json --type https://slsa.dev/provenance/v1 " +
				"--certificate-identity https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main --certificate-oidc-issuer https://issuer.example " +
				"--use-signed-timestamps a.tgz",
		},
		{
			name: "private directory", sigstore: "SIGSTORE_DIR", used: false,
			verify: "signet verify --sigstore 'my sigstore' --index attestations/index.json --certificate-identity https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main " +
				"--certificate-oidc-issuer https://issuer.example a.tgz ghcr.io/o/app@sha256:" + lowerHex,
			trusted: "signet sigstore trusted-root --sigstore 'my sigstore' --output trusted_root.jsonl",
			gh:      "gh attestation verify a.tgz --bundle attestations/provenance.sigstore.json --repo o/r --cert-oidc-issuer https://issuer.example --custom-trusted-root trusted_root.jsonl",
			cosign: "cosign verify-blob-attestation --bundle attestations/provenance.sigstore.json --type https://slsa.dev/provenance/v1 " +
				"--certificate-identity https://github.com/o/r/.github/workflows/rel.yml@refs/heads/main --certificate-oidc-issuer https://issuer.example " +
				"--trusted-root trusted_root.jsonl --use-signed-timestamps --insecure-ignore-tlog a.tgz",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := outcome(t, tc.sigstore, tc.used)
			if tc.sigstore == "SIGSTORE_DIR" {
				o.Sigstore = filepath.Join(o.Dir, "my sigstore")
			}
			verify, more := o.VerifyCommand(20)
			if got := verify.String(); got != tc.verify || more != 0 {
				t.Errorf("VerifyCommand() = %q (%d more)\nwant %q", got, more, tc.verify)
			}
			trusted, ok := o.TrustedRootCommand()
			if ok != (tc.trusted != "") || (ok && trusted.String() != tc.trusted) {
				t.Errorf("TrustedRootCommand() = %v, %v; want %q", trusted, ok, tc.trusted)
			}
			file, bundle, _ := o.Example()
			if got := o.GhCommand(file, bundle, "o/r").String(); got != tc.gh {
				t.Errorf("GhCommand() = %q\nwant %q", got, tc.gh)
			}
			if got := o.CosignCommand(file, bundle).String(); got != tc.cosign {
				t.Errorf("CosignCommand() = %q\nwant %q", got, tc.cosign)
			}
		})
	}
}

func TestVerifyCommandCapsArtifacts(t *testing.T) {
	t.Parallel()
	o := outcome(t, "public", true)
	cmd, more := o.VerifyCommand(1)
	if more != 1 || strings.Contains(cmd.String(), "ghcr.io") {
		t.Errorf("VerifyCommand(1) = %q, %d more; want one artifact and 1 more", cmd, more)
	}
}

// jwt builds an unsigned-looking compact JWS with the claims given (signature bytes present).
func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + ".c2ln"
}

type staticSource string

func (s staticSource) Token(context.Context) (string, error) { return string(s), nil }

func TestChecked(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(time.Hour).Unix()
	past := time.Now().Add(-time.Hour).Unix()
	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{
		{"good", jwt(fmt.Sprintf(`{"aud":["x","sigstore"],"exp":%d}`, future)), nil},
		{"wrong audience", jwt(fmt.Sprintf(`{"aud":"sigstore.example","exp":%d}`, future)), core.ErrTokenAudience},
		{"case variant audience", jwt(fmt.Sprintf(`{"aud":"Sigstore","exp":%d}`, future)), core.ErrTokenAudience},
		{"expired", jwt(fmt.Sprintf(`{"aud":"sigstore","exp":%d}`, past)), core.ErrTokenExpired},
		{"not a JWT", "not-a-token", core.ErrTokenMalformed},
		{"empty", "  ", core.ErrNoToken},
		{"payload not an object", jwt(`["sigstore"]`), core.ErrTokenMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, err := Checked(staticSource(tc.token), "SIGSTORE_ID_TOKEN").Token(context.Background())
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Token() error = %v, want %v", err, tc.want)
			}
			if err != nil && (!strings.Contains(err.Error(), "SIGSTORE_ID_TOKEN") && tc.want != core.ErrNoToken) {
				t.Errorf("error %q does not name where the token came from", err)
			}
			if err != nil && strings.TrimSpace(tc.token) != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error %q contains the token", err)
			}
			if err == nil && tok != tc.token {
				t.Errorf("Token() = %q, want the source's token", tok)
			}
		})
	}
}

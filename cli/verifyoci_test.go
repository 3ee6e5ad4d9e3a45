package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/internal/registrytest"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/oci"
)

// TestVerifyOCI verifies images straight from a registry, with and without its referrers API:
// a pushed attestation passes under the identity policy, and fails closed for another
// identity, for an image with no attestation, and for an image whose only referrer is a
// bundle signing another image.
func TestVerifyOCI(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	email := localsigstore.DefaultClaims(localsigstore.PresetEmail)["email"].(string)
	for _, mode := range []struct {
		name string
		opts []registrytest.Option
	}{{"tag-schema", nil}, {"referrers-api", []registrytest.Option{registrytest.WithReferrers()}}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, mode.opts...)
			app, _ := reg.Image(t, "org/app", "v1")
			bare, _ := reg.Image(t, "org/bare", "v1")
			stolen, _ := reg.Image(t, "org/stolen", "v1")
			dir := workspace(t)
			if o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail),
				"--image", reg.Host+"/org/app:v1", "--push-to-registry"); c != 0 {
				t.Fatalf("attest exit %d: %s%s", c, o, e)
			}
			// The app's bundle attached to another image: it signs app's digest, not stolen's.
			b, err := os.ReadFile(filepath.Join(dir, "attestations", "provenance.sigstore.json"))
			if err != nil {
				t.Fatal(err)
			}
			h, _ := oci.Hash(stolen.DigestStr())
			if _, err := mustRegistryClient(t).Attach(context.Background(), reg.Host+"/org/stolen", h, oci.Attachment{Bundle: b, PredicateType: "https://slsa.dev/provenance/v1"}); err != nil {
				t.Fatal(err)
			}
			policy := []string{"verify", "--sigstore", ss.Dir, "--certificate-identity", email, "--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetEmail)}

			o, e, c := run(t, dir, nil, append(policy, "oci://"+reg.Host+"/org/app:v1")...)
			if c != 0 {
				t.Fatalf("verify oci:// exit %d: %s%s", c, o, e)
			}
			if !strings.Contains(o, reg.Host+"/org/app@sha256:") || !strings.Contains(o, strings.TrimPrefix(app.DigestStr(), "sha256:")[:12]) {
				t.Errorf("report does not name the image and its attestation:\n%s", o)
			}
			if _, _, c := run(t, dir, nil, append(policy, "--format", "json", "oci://"+app.String())...); c != 0 {
				t.Errorf("verify oci://repo@digest exit %d", c)
			}

			for _, tc := range []struct {
				name string
				args []string
				want []string
			}{
				{"another identity", []string{"verify", "--sigstore", ss.Dir, "--certificate-identity", "someone@example.com", "--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetEmail), "oci://" + reg.Host + "/org/app:v1"}, []string{"someone@example.com"}},
				{"no attestation", append(policy, "oci://"+reg.Host+"/org/bare:v1"), []string{"no bundle with this predicate type names " + bare.DigestStr()}},
				{"bundle of another image", append(policy, "oci://"+reg.Host+"/org/stolen:v1"), []string{reg.Host + "/org/stolen", "is not among the 1 subject(s) the bundle's statement signs"}},
			} {
				o, e, c := run(t, dir, nil, tc.args...)
				if c != 1 {
					t.Errorf("%s: exit %d, want 1: %s%s", tc.name, c, o, e)
					continue
				}
				for _, w := range tc.want {
					if !strings.Contains(o+e, w) {
						t.Errorf("%s: output does not name %q:\n%s%s", tc.name, w, o, e)
					}
				}
			}
		})
	}
}

func TestVerifyOCIUsage(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	for _, args := range [][]string{
		{"verify", "--sigstore", "local", "--state-dir", t.TempDir(), "oci://example.invalid/org/app:v1", "dist/app.tar.gz"},
		{"verify", "--sigstore", "local", "--state-dir", t.TempDir(), "--bundle", "x", "oci://example.invalid/org/app:v1"},
		{"verify", "--sigstore", "local", "--state-dir", t.TempDir(), "--index", "x", "oci://example.invalid/org/app:v1"},
		{"verify", "--sigstore", "local", "--state-dir", t.TempDir(), "--digest", "sha256:" + strings.Repeat("a", 64), "oci://example.invalid/org/app:v1"},
	} {
		if o, e, c := run(t, dir, nil, args...); c != 2 || !strings.Contains(e, "oci://") {
			t.Errorf("%v: exit %d, want 2 naming oci://: %s%s", args, c, o, e)
		}
	}
}

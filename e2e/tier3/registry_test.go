//go:build tier3

package tier3

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// registry is the distribution registry scripts/tier3.sh started, with htpasswd basic auth.
type registry struct{ Host, User, Password string }

func loadRegistry(t testing.TB) registry {
	t.Helper()
	r := registry{os.Getenv("SIGNET_TIER3_REGISTRY"), os.Getenv("SIGNET_TIER3_REGISTRY_USER"), os.Getenv("SIGNET_TIER3_REGISTRY_PASSWORD")}
	if r.Host == "" || r.User == "" || r.Password == "" {
		t.Fatal("tier-3 tests need SIGNET_TIER3_REGISTRY, SIGNET_TIER3_REGISTRY_USER and SIGNET_TIER3_REGISTRY_PASSWORD: run scripts/tier3.sh")
	}
	return r
}

// dockerConfig writes a Docker config.json holding user:password for the registry and returns
// its directory, for DOCKER_CONFIG.
func (r registry) dockerConfig(t testing.TB, password string) string {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(r.User + ":" + password))
	b, _ := json.Marshal(map[string]any{"auths": map[string]any{r.Host: map[string]string{"auth": auth}}})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRegistryCosign pushes an image to the distribution registry (no referrers API: signet
// keeps the sha256-<hex> tag), attests it with --push-to-registry, and has cosign v3.1.3
// verify-attestation find and verify the attestation there with the same trusted root; signet
// verify oci:// passes it too. A wrong password fails with the 401 naming the registry, the
// repository and the Docker config, never the password.
func TestRegistryCosign(t *testing.T) {
	t.Parallel()
	s := loadStack(t)
	reg := loadRegistry(t)
	ctx := t.Context()
	tr := writeTrust(ctx, t, s)
	tok, claims := mintToken(ctx, t, s, "email")
	iss, san := str(claims, "iss"), str(claims, "email")

	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(reg.Host+"/tier3/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, remote.WithAuth(&authn.Basic{Username: reg.User, Password: reg.Password}), remote.WithContext(ctx)); err != nil {
		t.Fatalf("pushing the test image: %v", err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Host + "/tier3/app@" + d.String()
	env := []string{"DOCKER_CONFIG=" + reg.dockerConfig(t, reg.Password)}
	work := t.TempDir()

	run(ctx, t, work, env, s.Signet, "attest", "--sigstore", tr.Dir, "--identity-token-file", tok, "--platform", "local",
		"--image", tag.String(), "--push-to-registry").mustSucceed(t, "signet attest --image --push-to-registry")

	cosign := run(ctx, t, work, env, s.Cosign, "verify-attestation", "--trusted-root", filepath.Join(tr.Dir, trustedRootFile),
		"--certificate-oidc-issuer", iss, "--certificate-identity-regexp", "^"+regexp.QuoteMeta(san)+"$",
		"--insecure-ignore-sct", "--use-signed-timestamps", "--allow-http-registry",
		"--type", slsaProvenance, ref)
	cosign.mustSucceed(t, "cosign verify-attestation of what signet pushed")
	if !strings.Contains(cosign.Stdout, `"payloadType":"application/vnd.in-toto+json"`) {
		t.Errorf("cosign verify-attestation exited 0 without printing the verified attestation:\n%s", cosign.Stdout)
	}
	run(ctx, t, work, env, s.Cosign, "verify-attestation", "--trusted-root", filepath.Join(tr.Dir, trustedRootFile),
		"--certificate-oidc-issuer", iss, "--certificate-identity-regexp", "^someone-else@example\\.com$",
		"--insecure-ignore-sct", "--use-signed-timestamps", "--allow-http-registry",
		"--type", slsaProvenance, ref).mustFail(t, "cosign verify-attestation for another identity", "no matching CertificateIdentity found")

	run(ctx, t, work, env, s.Signet, "verify", "--sigstore", tr.Dir, "--certificate-identity", san,
		"--certificate-oidc-issuer", iss, "oci://"+tag.String()).mustSucceed(t, "signet verify oci://")

	const wrong = "not-the-registry-password"
	bad := []string{"DOCKER_CONFIG=" + reg.dockerConfig(t, wrong)}
	r := run(ctx, t, work, bad, s.Signet, "attest", "--sigstore", tr.Dir, "--identity-token-file", tok, "--platform", "local",
		"--output-dir", "again", "--image", tag.String(), "--push-to-registry")
	r.mustFail(t, "signet attest with a wrong registry password", "HTTP 401")
	for _, want := range []string{"registry " + reg.Host, "repository " + reg.Host + "/tier3/app", "Docker config"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("the 401 error does not name %q:\n%s", want, r.Stderr)
		}
	}
	if strings.Contains(r.Stdout+r.Stderr, wrong) || strings.Contains(r.Stdout+r.Stderr, reg.Password) {
		t.Errorf("a password was printed:\n%s", r.Stderr)
	}
}

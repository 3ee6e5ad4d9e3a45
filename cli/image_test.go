package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/internal/registrytest"
	"github.com/signet-ci/signet/localsigstore"
)

// TestAttestImage signs a single-platform image by tag, a two-platform index with each
// platform, and a file, in one run with one certificate; the statements carry the digests
// the registry serves, named by repository without tag.
func TestAttestImage(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	reg := registrytest.Start(t)
	app, _ := reg.Image(t, "org/app", "v1")
	multi, ix := reg.Index(t, "org/multi", "v2")
	im, err := ix.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	dir := workspace(t)
	before := ss.Requests("fulcio")
	if o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail),
		"--image", reg.Host+"/org/app:v1", "--image", multi.String(), "--image-platforms", "all", "dist/app.tar.gz"); c != 0 {
		t.Fatalf("attest exit %d: %s%s", c, o, e)
	}
	if n := ss.Requests("fulcio") - before; n != 1 {
		t.Errorf("%d Fulcio requests, want 1", n)
	}
	got := map[string]string{}
	for _, s := range readIndex(t, dir).Subjects {
		got[s.Name] = s.Digest["sha256"]
	}
	hex := func(d string) string { return strings.TrimPrefix(d, "sha256:") }
	want := map[string]string{
		"dist/app.tar.gz":                        got["dist/app.tar.gz"],
		reg.Host + "/org/app":                    hex(app.DigestStr()),
		reg.Host + "/org/multi":                  hex(multi.DigestStr()),
		reg.Host + "/org/multi (linux/amd64)":    im.Manifests[0].Digest.Hex,
		reg.Host + "/org/multi (linux/arm64/v8)": im.Manifests[1].Digest.Hex,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("subjects (-want +got):\n%s", d)
	}
	email := localsigstore.DefaultClaims(localsigstore.PresetEmail)["email"].(string)
	if o, e, c := run(t, dir, nil, "verify", "--sigstore", ss.Dir, "--index", "attestations/index.json",
		"--certificate-identity", email, "--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetEmail),
		app.String(), multi.String()); c != 0 {
		t.Fatalf("verify exit %d: %s%s", c, o, e)
	}
}

func TestAttestImageRefusals(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t)
	reg.Image(t, "org/app", "v1")
	reg.Image(t, "org/app", "v2")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing tag", []string{"--image", reg.Host + "/org/app:nope"}, []string{"--image", reg.Host + "/org/app:nope", "404"}},
		{"look-alike repository", []string{"--image", reg.Host + "/org/ap:v1"}, []string{"--image", reg.Host + "/org/ap"}},
		{"bad reference", []string{"--image", "HTTP://x"}, []string{"--image", "HTTP://x"}},
		{"bad platforms", []string{"--image", reg.Host + "/org/app:v1", "--image-platforms", "linux/amd64"}, []string{"--image-platforms", "linux/amd64", "expected all"}},
		{"platforms without images", []string{"--image-platforms", "all", "dist"}, []string{"--image-platforms all", "--image"}},
		{"one repository two digests", []string{"--image", reg.Host + "/org/app:v1", "--image", reg.Host + "/org/app:v2"}, []string{"conflicting digests", `--image "` + reg.Host + `/org/app:v1"`, `--image "` + reg.Host + `/org/app:v2"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := workspace(t)
			args := append([]string{"attest", "--sigstore", "local", "--state-dir", t.TempDir()}, tc.args...)
			o, e, c := run(t, dir, nil, args...)
			if c == 0 {
				t.Fatalf("attest %v succeeded: %s", tc.args, o)
			}
			for _, w := range tc.want {
				if !strings.Contains(e, w) {
					t.Errorf("error %q does not contain %q", e, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "attestations")); !os.IsNotExist(err) {
				t.Errorf("a refused run made the output directory (%v)", err)
			}
		})
	}
}

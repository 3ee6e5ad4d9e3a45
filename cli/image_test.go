package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/internal/registrytest"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/oci"
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

// TestAttestPushToRegistry pushes the provenance bundle to each image, in a registry with and
// without the referrers API, records where in the index, and finds the same bytes again.
func TestAttestPushToRegistry(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	for _, mode := range []struct {
		name   string
		opts   []registrytest.Option
		method string
	}{{"tag-schema", nil, "referrers-tag"}, {"referrers-api", []registrytest.Option{registrytest.WithReferrers()}, "referrers-api"}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, mode.opts...)
			app, _ := reg.Image(t, "org/app", "v1")
			other, _ := reg.Image(t, "org/other", "v1")
			dir := workspace(t)
			o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail),
				"--image", reg.Host+"/org/app:v1", "--subject", other.String(), "--push-to-registry", "dist/app.tar.gz")
			if c != 0 {
				t.Fatalf("attest exit %d: %s%s", c, o, e)
			}
			ix := readIndex(t, dir)
			if len(ix.Attestations) != 1 {
				t.Fatalf("%d attestations", len(ix.Attestations))
			}
			a := ix.Attestations[0]
			var got []string
			for _, p := range a.Pushed {
				got = append(got, p.Subject+" "+p.SubjectDigest+" "+p.Repository+" "+p.Method)
			}
			want := []string{
				reg.Host + "/org/app " + app.DigestStr() + " " + reg.Host + "/org/app " + mode.method,
				reg.Host + "/org/other " + other.DigestStr() + " " + reg.Host + "/org/other " + mode.method,
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("pushed records (-want +got):\n%s", d)
			}
			if !strings.Contains(o, "pushed to "+reg.Host+"/org/app@"+a.Pushed[0].Manifest) {
				t.Errorf("report does not say where it pushed:\n%s", o)
			}
			local, err := os.ReadFile(filepath.Join(dir, "attestations", a.Bundle))
			if err != nil {
				t.Fatal(err)
			}
			c2 := mustRegistryClient(t)
			h, _ := oci.Hash(app.DigestStr())
			refs, err := c2.Referrers(context.Background(), reg.Host+"/org/app", h)
			if err != nil || len(refs) != 1 || refs[0].Manifest.Digest.String() != a.Pushed[0].Manifest {
				t.Fatalf("Referrers = %+v, %v; want the pushed manifest", refs, err)
			}
			remoteBundle, err := c2.Bundle(context.Background(), reg.Host+"/org/app", h, refs[0])
			if err != nil || !bytes.Equal(remoteBundle, local) {
				t.Fatalf("the registry's bundle differs from the local file (%v)", err)
			}
		})
	}
}

func mustRegistryClient(t *testing.T) *oci.Client {
	t.Helper()
	c, err := registryClient(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A push that fails still writes the run, and says which registry, repository, digest and
// HTTP status; a run with nothing to push is refused before signing.
func TestAttestPushFailures(t *testing.T) {
	t.Parallel()
	var lock atomic.Bool
	reg := registrytest.Start(t, registrytest.WithHandler(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if lock.Load() && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/org/locked/manifests/") {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	reg.Image(t, "org/app", "v1")
	locked, _ := reg.Image(t, "org/locked", "v1")
	lock.Store(true)
	ss := startSigstore(t)
	dir := workspace(t)
	o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail),
		"--image", reg.Host+"/org/app:v1", "--image", locked.String(), "--push-to-registry")
	if c == 0 {
		t.Fatalf("attest with a refused push succeeded: %s", o)
	}
	for _, w := range []string{"registry " + reg.Host, "repository " + reg.Host + "/org/locked", "digest " + locked.DigestStr(), "HTTP 403", "written to"} {
		if !strings.Contains(e, w) {
			t.Errorf("error %q does not contain %q", e, w)
		}
	}
	ix := readIndex(t, dir)
	if len(ix.Attestations) != 1 || len(ix.Attestations[0].Pushed) != 1 || ix.Attestations[0].Pushed[0].Repository != reg.Host+"/org/app" {
		t.Errorf("index after a partial push: %+v", ix.Attestations)
	}

	dir = workspace(t)
	_, e, c = run(t, dir, nil, "attest", "--sigstore", "local", "--state-dir", t.TempDir(), "--push-to-registry", "dist")
	if c == 0 || !strings.Contains(e, "--push-to-registry: no subject is an image") {
		t.Errorf("push with no image: exit %d, %s", c, e)
	}
	if _, err := os.Stat(filepath.Join(dir, "attestations")); !os.IsNotExist(err) {
		t.Errorf("a refused run made the output directory (%v)", err)
	}
}

func TestRegistryRepositoryNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"ghcr.io/org/app": true, "localhost/app": true, "127.0.0.1:5000/org/app": true,
		"dist/app": false, "app": false, "ghcr.io/Org/App": false, "ghcr.io/org/app:v1": false,
		"ghcr.io/org/app@sha256:" + strings.Repeat("a", 64): false, "./ghcr.io/org/app": false,
	} {
		if _, got := oci.RepositoryName(name); got != want {
			t.Errorf("RepositoryName(%q) = %t, want %t", name, got, want)
		}
	}
}

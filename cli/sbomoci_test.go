package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/internal/registrytest"
	"github.com/signet-ci/signet/localsigstore"
)

// TestSBOMOCI catalogs images pulled through a registry: a single image, every platform of
// an index, one platform with --platform, within the archive limits.
func TestSBOMOCI(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t)
	app, _ := reg.Image(t, "org/app", "v1")
	multi, ix := reg.Index(t, "org/multi", "v2")
	im, err := ix.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	amd, arm, attestation := im.Manifests[0].Digest.String(), im.Manifests[1].Digest.String(), im.Manifests[2].Digest.String()
	dir := t.TempDir()

	o, e, c := run(t, dir, nil, "sbom", "oci://"+reg.Host+"/org/app:v1")
	if c != 0 {
		t.Fatalf("sbom exit %d: %s", c, e)
	}
	if !strings.Contains(o, strings.TrimPrefix(app.DigestStr(), "sha256:")) || !json.Valid([]byte(o)) {
		t.Errorf("SPDX of the image does not name its digest %s", app.DigestStr())
	}
	o, e, c = run(t, dir, nil, "sbom", "--format", "cyclonedx-json", "oci://"+multi.String())
	if c != 0 {
		t.Fatalf("sbom index exit %d: %s", c, e)
	}
	for _, d := range []string{amd, arm} {
		if !strings.Contains(o, d) {
			t.Errorf("index SBOM does not list platform image %s", d)
		}
	}
	if strings.Contains(o, attestation) {
		t.Errorf("index SBOM catalogs the attestation manifest %s", attestation)
	}
	o, e, c = run(t, dir, nil, "sbom", "--platform", "linux/arm64/v8", "oci://"+reg.Host+"/org/multi:v2")
	if c != 0 {
		t.Fatalf("sbom --platform exit %d: %s", c, e)
	}
	if !strings.Contains(o, arm) || strings.Contains(o, amd) {
		t.Errorf("--platform linux/arm64/v8 SBOM lists the wrong images")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sbom", "--platform", "linux/s390x", "oci://" + reg.Host + "/org/multi:v2"}, "has no such platform; it has linux/amd64, linux/arm64/v8"},
		{[]string{"sbom", "--platform", "linux/amd64", "oci://" + reg.Host + "/org/app:v1"}, "single-platform image"},
		{[]string{"sbom", "--platform", "linux/amd64", "dist"}, "--platform selects a platform of an oci://IMAGE"},
		{[]string{"sbom", "--max-expanded-bytes", "100", "oci://" + reg.Host + "/org/app:v1"}, "100"},
		{[]string{"sbom", "oci://" + reg.Host + "/org/nothere:v1"}, reg.Host + "/org/nothere"},
	} {
		if _, e, c := run(t, dir, nil, tc.args...); c == 0 || !strings.Contains(e, tc.want) {
			t.Errorf("%v: exit %d, error %q does not contain %q", tc.args, c, e, tc.want)
		}
	}
}

// attest --sbom catalogs image subjects from their registry and pushes the SBOM attestation
// beside the provenance.
func TestAttestImageSBOM(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	reg := registrytest.Start(t, registrytest.WithReferrers())
	app, _ := reg.Image(t, "org/app", "v1")
	dir := workspace(t)
	if o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", ss.tokenFile(t, localsigstore.PresetEmail),
		"--image", reg.Host+"/org/app:v1", "--sbom", "spdx-json", "--push-to-registry", "dist/app.tar.gz"); c != 0 {
		t.Fatalf("attest exit %d: %s%s", c, o, e)
	}
	ix := readIndex(t, dir)
	var imageDoc string
	pushedTypes := map[string]bool{}
	for _, a := range ix.Attestations {
		for _, p := range a.Pushed {
			pushedTypes[a.PredicateType] = true
			if a.Document != "" && p.SubjectDigest == app.DigestStr() {
				imageDoc = a.Document
			}
		}
	}
	if imageDoc == "" || !pushedTypes["https://spdx.dev/Document/v2.3"] || !pushedTypes["https://slsa.dev/provenance/v1"] {
		t.Fatalf("index does not push the image's SBOM and provenance: %+v", ix.Attestations)
	}
	b, err := os.ReadFile(filepath.Join(dir, "attestations", imageDoc))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), strings.TrimPrefix(app.DigestStr(), "sha256:")) {
		t.Errorf("the image SBOM %s does not name the image digest", imageDoc)
	}
}

package release_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/release"
)

// pinned are the repository files that hold pins, copied by pinRoot.
var pinned = []string{"action.yml", "templates/attest.yml", "tekton/task/signet/0.1/signet.yaml",
	"tekton/stepaction/signet/0.1/signet.yaml"}

// TestPinsAgree is the consistency test: action.yml, the GitLab component and the Tekton Task
// name the same version and, once released, the same image digest and every binary's SHA-256.
func TestPinsAgree(t *testing.T) {
	t.Parallel()
	p, err := release.ReadPins(checkout.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := release.CheckVersion(p.Version); err != nil {
		t.Error(err)
	}
	t.Logf("pinned: %s, %d binaries, image %s", p.Version, len(p.Sums), p.Image())
}

// pinRoot copies the pinned files of the repository into a new root, edited by edit.
func pinRoot(t *testing.T, edit func(file, content string) string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range pinned {
		b := string(checkout.Read(t, f))
		if edit != nil {
			b = edit(f, b)
		}
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// released returns the pins of a whole release, with SHA-256s computed from six distinct
// test contents and the image digest of a seventh.
func released(version string) release.Pins {
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	p := release.Pins{Version: version, Sums: map[string]string{}, ImageDigest: "sha256:" + sum("image "+version)}
	for _, tg := range release.Targets {
		p.Sums[tg.Binary()] = sum(tg.Binary() + " " + version)
	}
	return p
}

// TestWritePins writes a release's pins into a copy of the repository and reads them back:
// each file then names the release, the image by digest.
func TestWritePins(t *testing.T) {
	t.Parallel()
	root := pinRoot(t, nil)
	want := released("v0.1.3")
	if err := release.WritePins(root, want); err != nil {
		t.Fatal(err)
	}
	got, err := release.ReadPins(root)
	if err != nil {
		t.Fatal(err)
	}
	if got.SumsText() != want.SumsText() || got.Image() != want.Image() || got.Version != want.Version {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	for _, f := range pinned[1:] {
		b, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if !strings.Contains(string(b), "default: "+want.Image()+"\n") {
			t.Errorf("%s does not default to %s", f, want.Image())
		}
	}
	a, _ := os.ReadFile(filepath.Join(root, "action.yml"))
	if !strings.Contains(string(a), "SIGNET_VERSION: v0.1.3\n") {
		t.Errorf("action.yml does not pin v0.1.3")
	}
	// Writing again changes nothing.
	before := string(a)
	if err := release.WritePins(root, want); err != nil {
		t.Fatal(err)
	}
	if a, _ = os.ReadFile(filepath.Join(root, "action.yml")); string(a) != before {
		t.Error("writing the same pins twice changed action.yml")
	}
}

// TestPinsDisagree makes the files disagree one way at a time; ReadPins must name the file.
func TestPinsDisagree(t *testing.T) {
	t.Parallel()
	rel := released("v0.1.3")
	otherDigest := released("v0.1.4").ImageDigest
	tests := []struct {
		name  string
		pins  *release.Pins
		edit  func(file, content string) string
		wants string
	}{
		{name: "the Tekton Task at another version", edit: only("tekton/task/", "signet:v0.1.0", "signet:v0.1.1"), wants: "tekton/task/signet/0.1/signet.yaml"},
		{name: "the StepAction at another version", edit: only("tekton/stepaction/", "signet:v0.1.0", "signet:v0.1.1"), wants: "tekton/stepaction/signet/0.1/signet.yaml"},
		{name: "the component at another version", edit: only("templates/", "signet:v0.1.0", "signet:v0.2.0"), wants: "templates/attest.yml"},
		{name: "action.yml at another version", edit: only("action.yml", "SIGNET_VERSION: v0.1.0", "SIGNET_VERSION: v0.1.9"), wants: "is not the release image of version v0.1.9"},
		{name: "another registry", edit: only("tekton/task/", "ghcr.io/signet-ci/signet:", "ghcr.io/signet-ci/signet-evil:"), wants: "tekton/task/signet/0.1/signet.yaml"},
		{name: "the Tekton Task pins another digest", pins: &rel, edit: only("tekton/task/", rel.ImageDigest, otherDigest), wants: "disagrees"},
		{name: "the component drops the digest", pins: &rel, edit: only("templates/", "@"+rel.ImageDigest, ""), wants: "templates/attest.yml"},
		{name: "a binary's sum missing", pins: &rel, edit: only("action.yml", rel.Sums["signet-windows-arm64.exe"]+`  signet-windows-arm64.exe\n`, ""), wants: "no SHA-256 pinned for signet-windows-arm64.exe"},
		{name: "sums without an image digest", pins: &rel, edit: func(f, c string) string { return strings.ReplaceAll(c, "@"+rel.ImageDigest, "") }, wants: "image digest"},
		{name: "an upper-case digest", pins: &rel, edit: func(f, c string) string {
			return strings.ReplaceAll(c, rel.ImageDigest, strings.ToUpper(rel.ImageDigest))
		}, wants: "image"},
		{name: "a look-alike binary name", pins: &rel, edit: only("action.yml", "signet-linux-amd64\\n", "signet-linux-amd64.sh\\n"), wants: `"signet-linux-amd64.sh", which is not a release binary`},
		{name: "the component's marker removed", edit: only("templates/", "# signet-release-pin: image\n", ""), wants: "templates/attest.yml has no # signet-release-pin"},
		{name: "a marker above a comment", edit: only("tekton/task/", "# signet-release-pin: image\n", "# signet-release-pin: image\n# moved\n"), wants: "KEY: VALUE"},
		{name: "an unknown pin kind", edit: only("templates/", "pin: image", "pin: imagex"), wants: `pin kind "imagex"`},
		{name: "a second version pin", edit: only("tekton/task/", "# signet-release-pin: image", "# signet-release-pin: version\n      v: v0.1.0\n      # signet-release-pin: image"), wants: "a version pin belongs in action.yml"},
		{name: "not a version", edit: func(f, c string) string { return strings.ReplaceAll(c, "v0.1.0", "latest") }, wants: `version "latest"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := pinRoot(t, nil)
			if tt.pins != nil {
				if err := release.WritePins(root, *tt.pins); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range pinned {
				p := filepath.Join(root, filepath.FromSlash(f))
				b, _ := os.ReadFile(p)
				after := tt.edit(f, string(b))
				if err := os.WriteFile(p, []byte(after), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := release.ReadPins(root); err == nil || !strings.Contains(err.Error(), tt.wants) {
				t.Errorf("ReadPins: %v, want an error containing %q", err, tt.wants)
			}
		})
	}
}

// only returns an edit replacing old with new in the files whose path starts with prefix,
// failing loudly (by an impossible marker) when old is not there, so no case passes unedited.
func only(prefix, old, new string) func(file, content string) string {
	return func(file, content string) string {
		if !strings.HasPrefix(file, prefix) {
			return content
		}
		if !strings.Contains(content, old) {
			return content + "\n# signet-release-pin: the-edit-found-nothing\n"
		}
		return strings.ReplaceAll(content, old, new)
	}
}

func TestRefusesIncompletePins(t *testing.T) {
	t.Parallel()
	p := released("v1.0.0")
	delete(p.Sums, "signet-darwin-arm64")
	if err := release.WritePins(pinRoot(t, nil), p); err == nil || !strings.Contains(err.Error(), "signet-darwin-arm64") {
		t.Errorf("WritePins with five sums: %v", err)
	}
	if err := release.WritePins(pinRoot(t, nil), release.Pins{Version: "1.0.0"}); err == nil {
		t.Error("WritePins accepted a version without v")
	}
}

// TestTektonPlatformsAreTheImage checks that the Tekton Task and StepAction declare exactly the
// platforms the release image is built for (tektoncd/catalog's tekton.dev/platforms).
func TestTektonPlatformsAreTheImage(t *testing.T) {
	t.Parallel()
	var want []string
	for _, p := range release.ImagePlatforms {
		want = append(want, p.OS+"/"+p.Arch)
	}
	for _, f := range []string{"tekton/task/signet/0.1/signet.yaml", "tekton/stepaction/signet/0.1/signet.yaml"} {
		b := checkout.Read(t, f)
		var got string
		for l := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "tekton.dev/platforms:"); ok {
				got = strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
		if got != strings.Join(want, ",") {
			t.Errorf("%s: tekton.dev/platforms %q, want the release image's %q", f, got, strings.Join(want, ","))
		}
	}
}

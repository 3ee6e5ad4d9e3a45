package release_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/release"
	"github.com/signet-ci/signet/localsigstore"
)

const testVersion = "v0.1.0"

var (
	amd64 = release.Target{OS: "linux", Arch: "amd64"}
	arm64 = release.Target{OS: "linux", Arch: "arm64"}
)

// TestReleaseEndToEnd runs the release build the way tools/release does, into an in-process
// registry: the binaries of two builds of the same sources (in two directories) are
// byte-identical, the image index has both platforms and each image holds its platform's
// binary, and signet verify, the release's own binary, accepts the release's own
// attestations. To stay affordable on a small machine it builds linux/amd64 twice and
// linux/arm64 once (the other four targets use the same command with another GOOS).
func TestReleaseEndToEnd(t *testing.T) {
	ctx := context.Background()
	root := checkout.Root(t)
	out := t.TempDir()
	assets, err := release.BuildBinaries(ctx, root, out, testVersion, []release.Target{amd64, arm64}, os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	sums := map[release.Target]string{}
	for _, a := range assets {
		sums[a.Target] = a.SHA256
		checkStaticELF(t, filepath.Join(out, a.Name), a.Target)
		checkBuildSettings(t, filepath.Join(out, a.Name))
	}
	if got := readFile(t, filepath.Join(out, "SHA256SUMS")); got != string(release.Sums(assets)) {
		t.Errorf("SHA256SUMS:\n%s", got)
	}
	bin := filepath.Join(out, amd64.Binary())
	if v, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(v), "signet "+testVersion+" ") {
		t.Errorf("%s version = %q (%v), want signet %s …", amd64.Binary(), v, err, testVersion)
	}

	t.Run("reproducible", func(t *testing.T) {
		src := copySources(t, root)
		out2 := t.TempDir()
		again, err := release.BuildBinaries(ctx, src, out2, testVersion, []release.Target{amd64}, os.Environ())
		if err != nil {
			t.Fatal(err)
		}
		if again[0].SHA256 != sums[amd64] {
			t.Errorf("two builds of the same sources differ: %s in %s, %s in %s", sums[amd64], root, again[0].SHA256, src)
		}
	})

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	base := pushBase(t, host+"/library/busybox:musl", map[release.Target]string{amd64: "bin/sh", arm64: "bin/sh"})
	created := time.Unix(1764720000, 0).UTC()
	cfg := release.ImageConfig{Base: base, CABundle: writeCA(t), Created: created,
		Binaries: map[release.Target]string{amd64: bin, arm64: filepath.Join(out, arm64.Binary())}}
	idx, err := release.BuildImage(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.ParseReference(host + "/signet-ci/signet:" + testVersion)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := release.PushImage(ctx, tag, idx)
	if err != nil {
		t.Fatal(err)
	}
	imageRef := host + "/signet-ci/signet@" + digest.String()

	t.Run("image", func(t *testing.T) {
		again, err := release.BuildImage(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := again.Digest(); d != digest {
			t.Errorf("two image builds differ: %s, %s", digest, d)
		}
		ref, err := name.ParseReference(imageRef)
		if err != nil {
			t.Fatal(err)
		}
		pulled, err := remote.Index(ref)
		if err != nil {
			t.Fatal(err)
		}
		m, err := pulled.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Manifests) != 2 {
			t.Fatalf("index has %d manifests, want linux/amd64 and linux/arm64", len(m.Manifests))
		}
		for i, p := range release.ImagePlatforms {
			d := m.Manifests[i]
			if d.Platform == nil || d.Platform.OS != p.OS || d.Platform.Architecture != p.Arch {
				t.Fatalf("manifest %d has platform %v, want %s", i, d.Platform, p)
			}
			img, err := pulled.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			files := imageFiles(t, img)
			if got := files["signet"]; got.sum != sums[p] || got.mode != 0o555 {
				t.Errorf("%s: /signet has SHA-256 %s mode %o, want %s (the %s binary) mode 555", p, got.sum, got.mode, sums[p], p.Binary())
			}
			if files["bin/sh"].sum == "" || files["etc/ssl/certs/ca-certificates.crt"].mode != 0o444 || files["tmp"].mode != 0o1777 {
				t.Errorf("%s: want /bin/sh from the base, the CA bundle 0444 and /tmp 1777: %v", p, files)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/signet" || !cf.Created.Time.Equal(created) || cf.Config.User != "" {
				t.Errorf("%s: config entrypoint %q created %s user %q", p, cf.Config.Entrypoint, cf.Created, cf.Config.User)
			}
		}
	})

	t.Run("refuses a base without a shell or a platform", func(t *testing.T) {
		for _, tt := range []struct {
			files map[release.Target]string
			says  string
		}{
			{map[release.Target]string{amd64: "bin/sh", arm64: "usr/bin/sh"}, "has no /bin/sh"},
			{map[release.Target]string{amd64: "bin/sh"}, "no manifest for linux/arm64"},
			{map[release.Target]string{amd64: "bin/shell", arm64: "bin/sh"}, "has no /bin/sh"},
		} {
			c := cfg
			c.Base = pushBase(t, host+"/bad/base:"+strings.ReplaceAll(tt.says, " ", "-")[:6]+fmtLen(tt.files), tt.files)
			if _, err := release.BuildImage(ctx, c); err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("base %v: error %v, want %q", tt.files, err, tt.says)
			}
		}
		c := cfg
		c.CABundle = filepath.Join(t.TempDir(), "ca.der")
		if err := os.WriteFile(c.CABundle, []byte{0x30, 0x82, 0x01, 0x0a}, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := release.BuildImage(ctx, c); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
			t.Errorf("a binary as the CA bundle: %v", err)
		}
	})

	t.Run("signs itself and verifies", func(t *testing.T) {
		ss, err := localsigstore.Start(ctx, localsigstore.WithStateDir(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ss.Close() })
		trust := t.TempDir()
		if err := ss.WriteConfig(trust); err != nil {
			t.Fatal(err)
		}
		tok, err := ss.Token(localsigstore.PresetGitHub, localsigstore.WithAudience("sigstore"))
		if err != nil {
			t.Fatal(err)
		}
		tokFile := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(tokFile, []byte(tok), 0o600); err != nil {
			t.Fatal(err)
		}
		if msg, err := release.Attest(ctx, bin, out, assets, imageRef, true, []string{"--sigstore", trust, "--identity-token-file", tokFile}); err != nil {
			t.Fatalf("%v\n%s", err, msg)
		}
		claims := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
		identity := "https://github.com/" + claims["job_workflow_ref"].(string)
		verify := func(id string, subjects ...string) ([]byte, error) {
			args := append([]string{"verify", "--sigstore", trust, "--index", "attestations/index.json",
				"--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetGitHub), "--certificate-identity", id}, subjects...)
			cmd := exec.Command(bin, args...)
			cmd.Dir = out
			cmd.Env = []string{"HOME=" + t.TempDir()}
			return cmd.CombinedOutput()
		}
		if b, err := verify(identity, amd64.Binary(), arm64.Binary(), "--digest", digest.String()); err != nil {
			t.Errorf("signet verify refuses the release's own attestations: %v\n%s", err, b)
		}
		if b, err := verify("https://github.com/evil/signet/.github/workflows/release.yml@refs/tags/"+testVersion, amd64.Binary()); err == nil {
			t.Errorf("signet verify accepted another identity:\n%s", b)
		}
		// The image has its own SBOMs (pulled from the registry and cataloged), beside its
		// provenance: three bundles name the image index's digest.
		ix, err := core.ReadIndex(filepath.Join(out, "attestations", core.IndexFile))
		if err != nil {
			t.Fatal(err)
		}
		imageBundles := -1
		for _, s := range ix.Subjects {
			if "sha256:"+s.Digest[core.SHA256] == digest.String() {
				imageBundles = len(s.Bundles)
			}
		}
		if imageBundles != 3 {
			t.Errorf("the image index is named by %d bundles, want 3 (provenance, SPDX, CycloneDX)", imageBundles)
		}
		// The image's provenance was pushed next to it: a verifier with only the image's
		// reference finds it in the registry (signet verify oci://, as cosign and gh do).
		fromRegistry := func(id string) ([]byte, error) {
			cmd := exec.Command(bin, "verify", "--sigstore", trust, "--certificate-oidc-issuer", ss.Issuer(localsigstore.PresetGitHub),
				"--certificate-identity", id, "oci://"+imageRef)
			cmd.Env = []string{"HOME=" + t.TempDir()}
			return cmd.CombinedOutput()
		}
		if b, err := fromRegistry(identity); err != nil {
			t.Errorf("signet verify oci:// refuses the release image's pushed attestation: %v\n%s", err, b)
		}
		if b, err := fromRegistry("https://github.com/evil/signet/.github/workflows/release.yml@refs/tags/" + testVersion); err == nil {
			t.Errorf("signet verify oci:// accepted another identity:\n%s", b)
		}
		for _, f := range []string{"spdx", "cdx"} {
			m, _ := filepath.Glob(filepath.Join(out, "attestations", "*"+f+"*"))
			if len(m) < 2 {
				t.Errorf("attestations/ has %d %s files, want one per binary at least", len(m), f)
			}
		}
	})
}

func fmtLen(m map[release.Target]string) string { return strings.Repeat("x", len(m)) }

// checkStaticELF fails unless bin is a static ELF executable for t.
func checkStaticELF(t *testing.T, bin string, target release.Target) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	defer f.Close()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[target.Arch]
	if f.Machine != want {
		t.Errorf("%s is for %s, want %s", bin, f.Machine, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("%s has a %s program header: not static", bin, p.Type)
		}
	}
}

// checkBuildSettings fails unless bin records the release build's settings: no cgo, paths
// trimmed, and the nolocalsigstore tag (the embedded Fulcio/TSA code left out).
func checkBuildSettings(t *testing.T, bin string) {
	t.Helper()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	got := map[string]string{}
	for _, s := range info.Settings {
		got[s.Key] = s.Value
	}
	for k, want := range map[string]string{"-tags": "nolocalsigstore", "CGO_ENABLED": "0", "-trimpath": "true"} {
		if got[k] != want {
			t.Errorf("%s was built with %s=%q, want %q", bin, k, got[k], want)
		}
	}
}

// pushBase pushes a two-platform base index whose images hold the given shell file.
func pushBase(t *testing.T, ref string, shells map[release.Target]string) name.Reference {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range []release.Target{amd64, arm64} {
		sh, ok := shells[p]
		if !ok {
			continue
		}
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		body := []byte("static shell for " + p.String())
		tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755})
		tw.WriteHeader(&tar.Header{Name: sh, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(body))})
		tw.Write(body)
		tw.Close()
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b.Bytes())), nil })
		if err != nil {
			t.Fatal(err)
		}
		img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), l)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		cf.OS, cf.Architecture = p.OS, p.Arch
		cf.Config.Env = []string{"PATH=/bin"}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Arch}}})
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	pinned, err := name.ParseReference(r.Context().String() + "@" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	return pinned
}

type fileInfo struct {
	sum  string
	mode int64
}

// imageFiles returns the flattened file system of img: SHA-256 and mode by path.
func imageFiles(t *testing.T, img v1.Image) map[string]fileInfo {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	files := map[string]fileInfo{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		h2 := sha256.New()
		io.Copy(h2, tr)
		sum := ""
		if h.Typeflag == tar.TypeReg {
			sum = hex.EncodeToString(h2.Sum(nil))
		}
		files[strings.TrimSuffix(strings.TrimPrefix(h.Name, "/"), "/")] = fileInfo{sum: sum, mode: h.Mode}
	}
}

// writeCA writes a PEM CA bundle (the local Sigstore's is not needed: any PEM certificate).
func writeCA(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.crt")
	pem := "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUAQ==\n-----END CERTIFICATE-----\n"
	if err := os.WriteFile(p, []byte(pem), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// copySources copies the module at root, without .git, to a new directory: a second checkout
// at another path.
func copySources(t *testing.T, root string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "other-checkout")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(root, p)
		if d.Name() == ".git" { // a directory in a clone, a file in a worktree
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, r)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package release_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/release"
	"github.com/signet-ci/signet/internal/shellwords"
)

// This file holds the Dockerfile to the release image's layout. There is no Docker daemon in
// the tests, so a tiny, strict Dockerfile reader builds the Dockerfile's image with
// go-containerregistry: it knows ARG, FROM, COPY (--chmod only) and ENTRYPOINT (exec form),
// and refuses everything else, so that a Dockerfile it accepts means here what it means to
// BuildKit.

// instruction is one Dockerfile instruction.
type instruction struct {
	line  int
	cmd   string            // upper-case
	flags map[string]string // --name=value
	args  []string          // words; ENTRYPOINT: the exec-form array
}

var (
	argNameRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	chmodRE     = regexp.MustCompile(`^0?[0-7]{3}$`)
	directiveRE = regexp.MustCompile(`^#\s*[A-Za-z]+\s*=`)
)

// parseDockerfile reads the Dockerfile subset the release image needs.
func parseDockerfile(src string) ([]instruction, error) {
	var out []instruction
	var cur strings.Builder
	start, froms := 0, 0
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			if len(out) == 0 && cur.Len() == 0 && directiveRE.MatchString(trimmed) {
				return nil, fmt.Errorf("line %d: parser directive %q: not known to this reader", n, trimmed)
			}
			continue
		}
		if cur.Len() == 0 {
			if trimmed == "" {
				continue
			}
			start = n
		}
		if body, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(line)
		in, err := parseInstruction(start, strings.TrimSpace(cur.String()))
		cur.Reset()
		if err != nil {
			return nil, err
		}
		if in.cmd == "FROM" {
			froms++
		} else if in.cmd != "ARG" && froms == 0 {
			return nil, fmt.Errorf("line %d: %s before FROM", in.line, in.cmd)
		}
		out = append(out, in)
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("line %d: the file ends in a line continuation", start)
	}
	if froms != 1 {
		return nil, fmt.Errorf("%d FROM instructions, want exactly one: the image is one stage on the base", froms)
	}
	return out, nil
}

// parseInstruction parses one instruction with its continuation lines joined.
func parseInstruction(n int, s string) (instruction, error) {
	cmd, rest, _ := strings.Cut(s, " ")
	in := instruction{line: n, cmd: strings.ToUpper(cmd), flags: map[string]string{}}
	rest = strings.TrimSpace(rest)
	fail := func(format string, a ...any) (instruction, error) {
		return instruction{}, fmt.Errorf("line %d: %s: %s", n, in.cmd, fmt.Sprintf(format, a...))
	}
	switch in.cmd {
	case "ENTRYPOINT":
		if err := json.Unmarshal([]byte(rest), &in.args); err != nil || len(in.args) == 0 {
			return fail("want the exec form, a JSON array of strings, not %q", rest)
		}
		return in, nil
	case "ARG", "FROM", "COPY":
	default:
		return instruction{}, fmt.Errorf("line %d: instruction %s is not known to this reader: the release image has only ARG, FROM, COPY and ENTRYPOINT", n, in.cmd)
	}
	if strings.ContainsAny(rest, "\"'[<") {
		return fail("quotes, JSON arrays and here-documents are not known to this reader: %q", rest)
	}
	for _, w := range strings.Fields(rest) {
		if f, ok := strings.CutPrefix(w, "--"); ok && len(in.args) == 0 {
			k, v, _ := strings.Cut(f, "=")
			if in.cmd != "COPY" || k != "chmod" || !chmodRE.MatchString(v) {
				return fail("flag %s: only COPY --chmod=OCTAL (no special bits) is known to this reader", w)
			}
			if _, dup := in.flags[k]; dup {
				return fail("flag --%s given twice", k)
			}
			in.flags[k] = v
			continue
		}
		in.args = append(in.args, w)
	}
	switch {
	case in.cmd == "ARG" && (len(in.args) != 1 || !argNameRE.MatchString(strings.SplitN(in.args[0], "=", 2)[0])):
		return fail("want one NAME or NAME=default, got %q", rest)
	case in.cmd == "FROM" && len(in.args) != 1:
		return fail("want one image (no stage name, no --platform), got %q", rest)
	case in.cmd == "COPY" && len(in.args) != 2:
		return fail("want one source and one destination, got %q", rest)
	}
	return in, nil
}

// expand replaces each ${NAME} in s by its value in vars; any other use of $ is refused.
func expand(s string, vars map[string]string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			return b.String() + s, nil
		}
		b.WriteString(s[:i])
		rest, ok := strings.CutPrefix(s[i:], "${")
		end := strings.IndexByte(rest, '}')
		if !ok || end < 0 || !argNameRE.MatchString(rest[:end]) {
			return "", fmt.Errorf("%q: only ${NAME} is known to this reader", s)
		}
		v, ok := vars[rest[:end]]
		if !ok {
			return "", fmt.Errorf("%q: ${%s} is not a declared ARG with a value", s, rest[:end])
		}
		b.WriteString(v)
		s = rest[end+1:]
	}
}

// dockerignore is the subset of .dockerignore this reader knows: "*" and "!NAME" lines.
type dockerignore []string

func parseDockerignore(src string) (dockerignore, error) {
	var rules dockerignore
	for n, l := range strings.Split(src, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if name, ok := strings.CutPrefix(l, "!"); l != "*" && (!ok || strings.ContainsAny(name, "*?[\\") || !fs.ValidPath(name)) {
			return nil, fmt.Errorf("line %d: %q: only * and !NAME are known to this reader", n+1, l)
		}
		rules = append(rules, l)
	}
	return rules, nil
}

// sends reports whether the build context holds rel (slash-separated): the last rule matching
// it or a directory above it decides.
func (d dockerignore) sends(rel string) bool {
	send := true
	for _, r := range d {
		if r == "*" {
			send = false
		} else if name := r[1:]; rel == name || strings.HasPrefix(rel, name+"/") {
			send = true
		}
	}
	return send
}

// dockerBuild builds the image the Dockerfile instructions describe for platform p, from the
// build context dir (with the ignore rules) and the build arguments, the way BuildKit does.
func dockerBuild(ins []instruction, buildArgs map[string]string, p release.Target, dir string, ignore dockerignore, opts ...remote.Option) (v1.Image, error) {
	declared := map[string]bool{}
	for _, in := range ins {
		if in.cmd == "ARG" {
			declared[strings.SplitN(in.args[0], "=", 2)[0]] = true
		}
	}
	for k := range buildArgs { // BuildKit only warns; here a documented --build-arg must count
		if !declared[k] {
			return nil, fmt.Errorf("--build-arg %s: no ARG %s in the Dockerfile", k, k)
		}
	}
	vars := map[string]string{}
	auto := map[string]string{"TARGETOS": p.OS, "TARGETARCH": p.Arch, "TARGETPLATFORM": p.String()}
	declare := func(in instruction, auto map[string]string) {
		k, def, _ := strings.Cut(in.args[0], "=") // declared without a value: empty
		if v, ok := buildArgs[k]; ok {
			vars[k] = v
		} else if v, ok := auto[k]; ok {
			vars[k] = v
		} else {
			vars[k] = def
		}
	}
	var img v1.Image
	var files map[string]bool // paths in the image so far
	for _, in := range ins {
		switch in.cmd {
		case "ARG":
			if img == nil {
				declare(in, nil) // before FROM: only FROM sees it
			} else {
				declare(in, auto)
			}
		case "FROM":
			ref, err := expand(in.args[0], vars)
			if err != nil {
				return nil, fmt.Errorf("line %d: FROM %w", in.line, err)
			}
			if ref == "" {
				return nil, fmt.Errorf("line %d: FROM %s: base name should not be blank", in.line, in.args[0])
			}
			r, err := name.ParseReference(ref)
			if err != nil {
				return nil, fmt.Errorf("line %d: FROM %s: %w", in.line, ref, err)
			}
			if img, err = remote.Image(r, append(opts, remote.WithPlatform(v1.Platform{OS: p.OS, Architecture: p.Arch}))...); err != nil {
				return nil, fmt.Errorf("line %d: FROM %s: %w", in.line, ref, err)
			}
			if files, err = imagePaths(img); err != nil {
				return nil, err
			}
			vars = map[string]string{} // a stage sees only the ARGs it declares
		case "COPY":
			layer, err := copyLayer(in, vars, dir, ignore, files)
			if err != nil {
				return nil, fmt.Errorf("line %d: COPY %w", in.line, err)
			}
			if img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer}); err != nil {
				return nil, err
			}
		case "ENTRYPOINT":
			cf, err := img.ConfigFile()
			if err != nil {
				return nil, err
			}
			cf = cf.DeepCopy()
			cf.Config.Entrypoint, cf.Config.Cmd = in.args, nil // ENTRYPOINT resets the base's CMD
			if img, err = mutate.ConfigFile(img, cf); err != nil {
				return nil, err
			}
		}
	}
	return img, nil
}

// copyLayer returns the layer of one COPY: the file, or the contents of the directory, src of
// the context at dst, with the context's modes (or --chmod's), owned by root.
func copyLayer(in instruction, vars map[string]string, dir string, ignore dockerignore, files map[string]bool) (v1.Layer, error) {
	src, err := expand(in.args[0], vars)
	if err != nil {
		return nil, err
	}
	dst, err := expand(in.args[1], vars)
	if err != nil {
		return nil, err
	}
	rel := path.Clean(src)
	if !fs.ValidPath(rel) || !path.IsAbs(dst) {
		return nil, fmt.Errorf("%s %s: want a source inside the context and an absolute destination", src, dst)
	}
	if !ignore.sends(rel) {
		return nil, fmt.Errorf("%s: not in the build context (the .dockerignore leaves it out)", src)
	}
	fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("%s: not in the build context: %w", src, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(target string, p string, fi fs.FileInfo) error {
		h := &tar.Header{Name: strings.TrimPrefix(target, "/"), Format: tar.FormatPAX, ModTime: fi.ModTime(), Mode: unixMode(fi.Mode())}
		if m, ok := in.flags["chmod"]; ok {
			v, _ := strconv.ParseInt(m, 8, 64)
			h.Mode = v
		}
		var data []byte
		switch {
		case fi.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case fi.Mode().IsRegular():
			if data, err = os.ReadFile(p); err != nil {
				return err
			}
			h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
		default:
			return fmt.Errorf("%s: neither a file nor a directory", p)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if !fi.IsDir() {
		// BuildKit creates missing parents of the destination with a mode of its choosing
		// (the --chmod mode, in some versions): the release image's parents come from rootfs/.
		if parent := path.Dir(dst); !files[parent] {
			return nil, fmt.Errorf("%s %s: the destination's directory %s is not in the image yet", src, dst, parent)
		}
		if strings.HasSuffix(dst, "/") {
			dst = path.Join(dst, path.Base(rel))
		}
		if err := add(dst, filepath.Join(dir, filepath.FromSlash(rel)), fi); err != nil {
			return nil, err
		}
	} else {
		if !files[path.Clean(dst)] {
			return nil, fmt.Errorf("%s %s: the destination directory is not in the image yet", src, dst)
		}
		root := filepath.Join(dir, filepath.FromSlash(rel))
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return err
			}
			r, _ := filepath.Rel(root, p)
			if !ignore.sends(path.Join(rel, filepath.ToSlash(r))) {
				return nil
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			return add(path.Join(dst, filepath.ToSlash(r)), p, fi)
		})
		if err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	for _, h := range tarNames(b) {
		files["/"+strings.TrimSuffix(h, "/")] = true
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer))
}

// unixMode returns the Unix permission and special bits of m, as a tar header holds them.
func unixMode(m fs.FileMode) int64 {
	v := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

// tarNames lists the entry names of an uncompressed tar.
func tarNames(b []byte) []string {
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err != nil {
			return names
		}
		names = append(names, h.Name)
	}
}

// imagePaths returns the absolute paths of img's flattened file system, with "/".
func imagePaths(img v1.Image) (map[string]bool, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	paths := map[string]bool{"/": true}
	for _, n := range tarNames(b) {
		paths[path.Clean("/"+n)] = true
	}
	return paths, nil
}

// entry is one path of an image's flattened file system, as the image's users see it.
type entry struct {
	Type     byte
	Mode     string // octal, with the special bits
	UID, GID int
	SHA256   string // of a regular file's content
}

// flatten returns img's flattened file system by path.
func flatten(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]entry{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		e := entry{Type: h.Typeflag, Mode: strconv.FormatInt(h.Mode, 8), UID: h.Uid, GID: h.Gid}
		if h.Typeflag == tar.TypeReg {
			s := sha256.New()
			io.Copy(s, tr)
			e.SHA256 = hex.EncodeToString(s.Sum(nil))
		}
		out[path.Clean("/"+h.Name)] = e
	}
}

// dockerfileFixture is a registry with a base image, a release output directory (fake
// binaries, rootfs/ from release.WriteRootFS) and the release image built from them.
type dockerfileFixture struct {
	base    name.Reference
	dist    string
	index   v1.ImageIndex
	ignore  dockerignore
	buildOf func(t *testing.T, dockerfile string, p release.Target) (v1.Image, error)
}

func newDockerfileFixture(t *testing.T) *dockerfileFixture {
	t.Helper()
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	f := &dockerfileFixture{dist: t.TempDir()}
	f.base = pushBase(t, host+"/library/busybox:musl", map[release.Target]string{amd64: "bin/sh", arm64: "bin/sh"})
	created := time.Unix(1764720000, 0).UTC()
	bins := map[release.Target]string{}
	for _, tg := range release.Targets { // every binary of a release; the ignore file picks
		p := filepath.Join(f.dist, tg.Binary())
		if err := os.WriteFile(p, []byte("\x7fELF signet for "+tg.String()), 0o755); err != nil {
			t.Fatal(err)
		}
		bins[tg] = p
	}
	ca := writeCA(t)
	if err := release.WriteRootFS(f.dist, ca, created); err != nil {
		t.Fatal(err)
	}
	idx, err := release.BuildImage(context.Background(), release.ImageConfig{Base: f.base, CABundle: ca, Created: created,
		Binaries: map[release.Target]string{amd64: bins[amd64], arm64: bins[arm64]}})
	if err != nil {
		t.Fatal(err)
	}
	f.index = idx
	if f.ignore, err = parseDockerignore(string(checkout.Read(t, "Dockerfile.dockerignore"))); err != nil {
		t.Fatalf("Dockerfile.dockerignore: %v", err)
	}
	f.buildOf = func(t *testing.T, dockerfile string, p release.Target) (v1.Image, error) {
		ins, err := parseDockerfile(dockerfile)
		if err != nil {
			return nil, err
		}
		return dockerBuild(ins, map[string]string{"BASE": f.base.String()}, p, f.dist, f.ignore)
	}
	return f
}

// releaseImage returns the release index's image for p.
func (f *dockerfileFixture) releaseImage(t *testing.T, p release.Target) v1.Image {
	t.Helper()
	m, err := f.index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.OS == p.OS && d.Platform.Architecture == p.Arch {
			img, err := f.index.Image(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			return img
		}
	}
	t.Fatalf("no %s image in the release index", p)
	return nil
}

// layoutDiff returns the differences between two images' file systems and run configs.
func layoutDiff(t *testing.T, want, got v1.Image) string {
	t.Helper()
	wc, err := want.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	gc, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cmp.Diff(flatten(t, want), flatten(t, got)) + cmp.Diff(wc.Config, gc.Config)
}

// TestDockerfileBuildsTheReleaseLayout builds the Dockerfile's image for each platform of the
// release image, from a release output directory and the same base, and compares it with
// BuildImage's: the same paths, types, modes, owners and contents (the platform's binary at
// /signet, the CA bundle, /tmp 1777, the base's /bin/sh), the same entrypoint, command, user,
// working directory and environment. Changed Dockerfiles show that the comparison can fail.
func TestDockerfileBuildsTheReleaseLayout(t *testing.T) {
	t.Parallel()
	f := newDockerfileFixture(t)
	dockerfile := string(checkout.Read(t, "Dockerfile"))
	for _, p := range release.ImagePlatforms {
		got, err := f.buildOf(t, dockerfile, p)
		if err != nil {
			t.Fatalf("Dockerfile for %s: %v", p, err)
		}
		want := f.releaseImage(t, p)
		if d := layoutDiff(t, want, got); d != "" {
			t.Errorf("%s: the Dockerfile's image differs from the release image (-release +Dockerfile):\n%s", p, d)
		}
		files := flatten(t, got)
		bin := readFile(t, filepath.Join(f.dist, p.Binary()))
		if s := sha256.Sum256([]byte(bin)); files[release.ImageBinary].SHA256 != hex.EncodeToString(s[:]) {
			t.Errorf("%s: %s is not %s", p, release.ImageBinary, p.Binary())
		}
		if files["/tmp"].Mode != "1777" || files[release.ImageCABundle].Mode != "444" || files["/bin/sh"].Type != tar.TypeReg {
			t.Errorf("%s: /tmp %s, CA bundle %s, /bin/sh %v", p, files["/tmp"].Mode, files[release.ImageCABundle].Mode, files["/bin/sh"])
		}
	}

	mutants := []struct{ name, from, to string }{
		{"binary mode", "--chmod=0555", "--chmod=0755"},
		{"no rootfs", "COPY rootfs/ /\n", ""},
		{"other platform's binary", "signet-linux-${TARGETARCH}", "signet-linux-amd64"},
		{"entrypoint", `ENTRYPOINT ["/signet"]`, `ENTRYPOINT ["/signet", "attest"]`},
	}
	for _, m := range mutants {
		if !strings.Contains(dockerfile, m.from) {
			t.Fatalf("mutant %s: the Dockerfile has no %q", m.name, m.from)
		}
		changed := strings.Replace(dockerfile, m.from, m.to, 1)
		got, err := f.buildOf(t, changed, arm64)
		if err != nil {
			t.Fatalf("mutant %s: %v", m.name, err)
		}
		if layoutDiff(t, f.releaseImage(t, arm64), got) == "" {
			t.Errorf("mutant %s: the comparison sees no difference", m.name)
		}
	}
}

// TestDockerfileReaderRefuses: the reader refuses what it does not know, and the build what
// BuildKit would not do as the release image does.
func TestDockerfileReaderRefuses(t *testing.T) {
	t.Parallel()
	f := newDockerfileFixture(t)
	good := "ARG BASE\nFROM ${BASE}\nARG TARGETARCH\nCOPY rootfs/ /\nCOPY --chmod=0555 signet-linux-${TARGETARCH} /signet\nENTRYPOINT [\"/signet\"]\n"
	if _, err := f.buildOf(t, good, amd64); err != nil {
		t.Fatalf("the reference Dockerfile: %v", err)
	}
	tests := []struct{ name, dockerfile, says string }{
		{"RUN", "ARG BASE\nFROM ${BASE}\nRUN chmod 1777 /tmp\n", "instruction RUN is not known"},
		{"lower-case run", "ARG BASE\nFROM ${BASE}\nrun true\n", "instruction RUN is not known"},
		{"ADD", "ARG BASE\nFROM ${BASE}\nADD rootfs.tar /\n", "instruction ADD is not known"},
		{"USER", "ARG BASE\nFROM ${BASE}\nUSER 1000\n", "instruction USER is not known"},
		{"WORKDIR", "ARG BASE\nFROM ${BASE}\nWORKDIR /w\n", "instruction WORKDIR is not known"},
		{"ENV", "ARG BASE\nFROM ${BASE}\nENV A=b\n", "instruction ENV is not known"},
		{"escape directive", "# escape=`\nARG BASE\nFROM ${BASE}\n", "parser directive"},
		{"syntax directive", "#syntax=docker/dockerfile:1\nARG BASE\nFROM ${BASE}\n", "parser directive"},
		{"shell-form entrypoint", "ARG BASE\nFROM ${BASE}\nENTRYPOINT /signet\n", "exec form"},
		{"copy --from", "ARG BASE\nFROM ${BASE}\nCOPY --from=x /a /b\n", "flag --from=x"},
		{"copy --chmod special bits", "ARG BASE\nFROM ${BASE}\nCOPY --chmod=1777 rootfs/tmp /tmp\n", "flag --chmod=1777"},
		{"copy --chmod twice", "ARG BASE\nFROM ${BASE}\nCOPY --chmod=0555 --chmod=0555 a /a\n", "given twice"},
		{"copy here-document", "ARG BASE\nFROM ${BASE}\nCOPY <<EOF /a\n", "here-documents"},
		{"copy JSON form", "ARG BASE\nFROM ${BASE}\nCOPY [\"a\", \"/a\"]\n", "JSON arrays"},
		{"two stages", "ARG BASE\nFROM ${BASE}\nFROM ${BASE}\n", "2 FROM instructions"},
		{"stage name", "ARG BASE\nFROM ${BASE} AS x\n", "want one image"},
		{"FROM --platform", "ARG BASE\nFROM --platform=linux/amd64 ${BASE}\n", "flag --platform"},
		{"continuation at the end", "ARG BASE\nFROM ${BASE}\nENTRYPOINT [\"/signet\"] \\", "line continuation"},
		{"no FROM", "ARG BASE\n", "0 FROM"},
		{"COPY before FROM", "COPY a /a\nARG BASE\nFROM ${BASE}\n", "COPY before FROM"},
		{"bare $VAR", "ARG BASE\nFROM $BASE\n", "only ${NAME}"},
		{"default expansion", "ARG BASE\nFROM ${BASE:-busybox}\n", "only ${NAME}"},
		{"undeclared arg", "ARG BASE\nFROM ${BASE}${TAG}\n", "not a declared ARG"},
		{"global arg in a stage", "ARG BASE\nFROM ${BASE}\nCOPY signet-linux-${BASE} /signet\n", "not a declared ARG"},
		{"blank base", "ARG NOBASE\nARG BASE\nFROM ${NOBASE}\n", "should not be blank"},
		{"global arg only", "ARG BASE\nARG ARCH=amd64\nFROM ${BASE}\nCOPY signet-linux-${ARCH} /signet\n", "${ARCH} is not a declared ARG"},
		{"unused build arg", "ARG B\nFROM ${B}\n", "--build-arg BASE"},
		{"ignored binary", strings.Replace(good, "${TARGETARCH}", "${TARGETARCH}.exe", 1), "not in the build context"},
		{"darwin binary left out by the ignore file", strings.Replace(good, "signet-linux-${TARGETARCH}", "signet-darwin-arm64", 1), "leaves it out"},
		{"escape the context", strings.Replace(good, "rootfs/ /", "../ /", 1), "inside the context"},
		{"CA bundle with new parents", strings.Replace(good, "COPY rootfs/ /", "COPY --chmod=0444 rootfs/etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt", 1), "directory /etc/ssl/certs is not in the image yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.buildOf(t, tt.dockerfile, amd64)
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("%q: %v, want an error saying %q", tt.dockerfile, err, tt.says)
			}
		})
	}
	if err := release.WriteRootFS(f.dist, writeCA(t), time.Unix(0, 0)); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("WriteRootFS over an existing rootfs: %v", err)
	}
	if err := release.WriteRootFS(t.TempDir(), filepath.Join(f.dist, amd64.Binary()), time.Unix(0, 0)); !errors.Is(err, release.ErrCABundle) {
		t.Errorf("WriteRootFS with a binary as the CA bundle: %v, want ErrCABundle", err)
	}
	for _, bad := range []string{"signet-*", "!../x", "!a/*", "dist"} {
		if _, err := parseDockerignore("*\n" + bad + "\n"); err == nil {
			t.Errorf("the ignore reader accepts %q", bad)
		}
	}
}

// TestDockerfileDocumented: docs/release.md says how to build the Dockerfile after the release
// build, with the command the Dockerfile's header shows: the release image's platforms, every
// ARG without a default given, and the release build's output directory as the context.
func TestDockerfileDocumented(t *testing.T) {
	t.Parallel()
	doc := string(checkout.Read(t, "docs/release.md"))
	dockerfile := string(checkout.Read(t, "Dockerfile"))
	var docker, tool []string
	for _, l := range strings.Split(doc, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "docker buildx build ") {
			if tool == nil {
				t.Errorf("docs/release.md runs docker buildx build before the release build writes its context: %s", l)
			}
			if !strings.Contains(dockerfile, "#   "+l+"\n") {
				t.Errorf("the Dockerfile's header does not show the command of docs/release.md: %s", l)
			}
			docker = words(t, l)
		}
		if strings.HasPrefix(l, "go run ./tools/release ") && strings.Contains(l, "-targets linux/") {
			tool = words(t, l)
		}
	}
	if docker == nil || tool == nil {
		t.Fatalf("docs/release.md lacks a `go run ./tools/release … -targets linux/…` line or a `docker buildx build` line")
	}
	flag := func(args []string, name string) []string {
		var vals []string
		for i, a := range args {
			if a == name && i+1 < len(args) {
				vals = append(vals, args[i+1])
			}
		}
		return vals
	}
	var plats []string
	for _, p := range release.ImagePlatforms {
		plats = append(plats, p.String())
	}
	if got := flag(docker, "--platform"); !slices.Equal(got, []string{strings.Join(plats, ",")}) {
		t.Errorf("docker buildx build --platform %q, want the release image's %q", got, strings.Join(plats, ","))
	}
	if got := flag(tool, "-targets"); !slices.Equal(got, []string{strings.Join(plats, ",")}) {
		t.Errorf("tools/release -targets %q, want the image's platforms %q", got, strings.Join(plats, ","))
	}
	if got := flag(docker, "-f"); !slices.Equal(got, []string{"Dockerfile"}) {
		t.Errorf("docker buildx build -f %q, want Dockerfile", got)
	}
	out := flag(tool, "-out")
	if len(out) != 1 || path.Clean(docker[len(docker)-1]) != path.Clean(out[0]) {
		t.Errorf("the build context %q is not the release build's -out %q", docker[len(docker)-1], out)
	}
	ins, err := parseDockerfile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	given := flag(docker, "--build-arg")
	for _, in := range ins {
		if in.cmd == "ARG" && !strings.Contains(in.args[0], "=") && !strings.HasPrefix(in.args[0], "TARGET") &&
			!slices.ContainsFunc(given, func(a string) bool { return strings.HasPrefix(a, in.args[0]+"=") }) {
			t.Errorf("docker buildx build gives no --build-arg %s=…, which the Dockerfile needs", in.args[0])
		}
	}
}

// words splits a documented command line as a shell would.
func words(t *testing.T, s string) []string {
	t.Helper()
	w, err := shellwords.Split(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return w
}

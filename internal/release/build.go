// Package release builds signet's release: static, reproducible binaries for every supported
// platform with their SHA256SUMS, the multi-platform image built without a Docker daemon, the
// release's own attestations, and the pins (version and digests) written into action.yml, the
// GitLab component and the Tekton Task. tools/release is its command; the tests run it end to
// end.
package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Target is one platform signet is released for.
type Target struct {
	OS, Arch string
}

// String returns the target as GOOS/GOARCH.
func (t Target) String() string { return t.OS + "/" + t.Arch }

// Binary returns the release asset name of the target's binary: signet-GOOS-GOARCH, with .exe
// on Windows.
func (t Target) Binary() string {
	name := "signet-" + t.OS + "-" + t.Arch
	if t.OS == "windows" {
		name += ".exe"
	}
	return name
}

// Targets are all platforms signet is released for, in release order.
var Targets = []Target{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// ParseTargets parses a comma list of GOOS/GOARCH pairs, each one of Targets.
func ParseTargets(list string) ([]Target, error) {
	var out []Target
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		i := slices.IndexFunc(Targets, func(t Target) bool { return t.String() == s })
		if i < 0 {
			return nil, fmt.Errorf("target %q: want one of %s", s, targetList())
		}
		if slices.Contains(out, Targets[i]) {
			return nil, fmt.Errorf("target %q given twice", s)
		}
		out = append(out, Targets[i])
	}
	return out, nil
}

func targetList() string {
	var s []string
	for _, t := range Targets {
		s = append(s, t.String())
	}
	return strings.Join(s, ", ")
}

// versionRE is a release version: a v-prefixed semantic version.
var versionRE = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$`)

// CheckVersion fails unless v is a release version, vMAJOR.MINOR.PATCH[-PRERELEASE].
func CheckVersion(v string) error {
	if !versionRE.MatchString(v) {
		return fmt.Errorf("version %q: want vMAJOR.MINOR.PATCH[-PRERELEASE], such as v0.1.0 (the git tag)", v)
	}
	return nil
}

// VersionVar is the variable the release build sets to the version with -X.
const VersionVar = "github.com/signet-ci/signet/cli.buildVersion"

// BuildArgs returns the environment and go command line that build target's binary into out
// from the module at the working directory: static (CGO_ENABLED=0), without the embedded
// Sigstore server code (nolocalsigstore), paths trimmed, no VCS stamp and the version set, so
// that the same commit gives the same bytes on any machine with the same Go toolchain.
func BuildArgs(t Target, version, out string) (env, args []string) {
	env = []string{"CGO_ENABLED=0", "GOOS=" + t.OS, "GOARCH=" + t.Arch, "GOAMD64=v1", "GOARM64=v8.0",
		"GOFLAGS=-mod=readonly", "GOEXPERIMENT="}
	args = []string{"go", "build", "-trimpath", "-buildvcs=false", "-tags", "nolocalsigstore",
		"-ldflags", "-s -w -X " + VersionVar + "=" + version, "-o", out, "."}
	return env, args
}

// Asset is one built file of the release and its SHA-256.
type Asset struct {
	Target Target
	Name   string // file name in the output directory
	SHA256 string // hex
}

// BuildBinaries builds the binaries of targets from the module at root into dir, one after
// the other (a build uses every core), and writes dir/SHA256SUMS. environ is the environment
// the go command starts from (PATH, HOME, GOCACHE…; BuildArgs' variables override it). It
// refuses a dir that already holds a file it would write.
func BuildBinaries(ctx context.Context, root, dir, version string, targets []Target, environ []string) ([]Asset, error) {
	if err := CheckVersion(version); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		return nil, errors.New("no targets to build")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the output directory: %w", err)
	}
	var assets []Asset
	for _, t := range targets {
		out := filepath.Join(dir, t.Binary())
		if _, err := os.Lstat(out); err == nil {
			return nil, fmt.Errorf("%s already exists: give an empty output directory", out)
		}
		env, args := BuildArgs(t, version, out)
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Dir = root
		cmd.Env = append(slices.Clone(environ), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s: %s %s: %w\n%s", t, strings.Join(env, " "), strings.Join(args, " "), err, b)
		}
		sum, err := FileSHA256(out)
		if err != nil {
			return nil, err
		}
		assets = append(assets, Asset{Target: t, Name: t.Binary(), SHA256: sum})
	}
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), Sums(assets), 0o644); err != nil {
		return nil, fmt.Errorf("writing SHA256SUMS: %w", err)
	}
	return assets, nil
}

// Sums returns the sha256sum-format lines of assets ("HEX  NAME"), in the given order.
func Sums(assets []Asset) []byte {
	var b bytes.Buffer
	for _, a := range assets {
		fmt.Fprintf(&b, "%s  %s\n", a.SHA256, a.Name)
	}
	return b.Bytes()
}

// FileSHA256 returns the hex SHA-256 of the file at path.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

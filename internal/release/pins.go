package release

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// PinMarker starts the comment line that stands above every line the release step rewrites:
// "# signet-release-pin: KIND", where KIND is version or sums (action.yml) or image (the GitLab
// component and the Tekton Task and StepAction). The line below it is "KEY: VALUE"; only VALUE
// changes.
const PinMarker = "# signet-release-pin: "

// ImageRepository is where the release image is pushed.
const ImageRepository = "ghcr.io/signet-ci/signet"

// PinFiles are the repository files holding pins, relative to the root, as globs: action.yml,
// the GitLab component and every Tekton Task or StepAction version.
var PinFiles = []string{"action.yml", "templates/*.yml", "tekton/*/*/*/*.yaml"}

// Pins are the version and digests of one release, as the release step writes them.
type Pins struct {
	// Version is the release version, vMAJOR.MINOR.PATCH.
	Version string
	// Sums are the hex SHA-256s of the release binaries by asset name; empty before the
	// version is released (the action then refuses to run).
	Sums map[string]string
	// ImageDigest is the image index digest, sha256:HEX; empty before the release.
	ImageDigest string
}

// Image returns the image reference the GitLab component and the Tekton Task default to:
// the repository at the version's tag, and by digest once released.
func (p Pins) Image() string {
	ref := ImageRepository + ":" + p.Version
	if p.ImageDigest != "" {
		ref += "@" + p.ImageDigest
	}
	return ref
}

// SumsText returns the sums as sha256sum lines in the order of Targets.
func (p Pins) SumsText() string {
	var b strings.Builder
	for _, t := range Targets {
		if h, ok := p.Sums[t.Binary()]; ok {
			fmt.Fprintf(&b, "%s  %s\n", h, t.Binary())
		}
	}
	return b.String()
}

var (
	hexRE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// Check fails unless the pins are a whole release (every target's sum and the image digest)
// or an unreleased version (neither).
func (p Pins) Check() error {
	if err := CheckVersion(p.Version); err != nil {
		return err
	}
	if len(p.Sums) == 0 && p.ImageDigest == "" {
		return nil
	}
	if !digestRE.MatchString(p.ImageDigest) {
		return fmt.Errorf("image digest %q: want sha256:<64 lowercase hex digits>", p.ImageDigest)
	}
	for _, t := range Targets {
		h, ok := p.Sums[t.Binary()]
		if !ok {
			return fmt.Errorf("no SHA-256 pinned for %s", t.Binary())
		}
		if !hexRE.MatchString(h) {
			return fmt.Errorf("SHA-256 of %s %q: want 64 lowercase hex digits", t.Binary(), h)
		}
	}
	if len(p.Sums) != len(Targets) {
		return fmt.Errorf("%d SHA-256s pinned, want one for each of the %d targets", len(p.Sums), len(Targets))
	}
	return nil
}

// ParseSums parses sha256sum lines naming release binaries.
func ParseSums(text string) (map[string]string, error) {
	sums := map[string]string{}
	for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if line == "" {
			continue
		}
		h, n, ok := strings.Cut(line, "  ")
		if !ok || !hexRE.MatchString(h) {
			return nil, fmt.Errorf("SHA256SUMS line %d %q: want \"<64 hex>  <name>\"", i+1, line)
		}
		if !slices.ContainsFunc(Targets, func(t Target) bool { return t.Binary() == n }) {
			return nil, fmt.Errorf("SHA256SUMS line %d names %q, which is not a release binary", i+1, n)
		}
		if _, dup := sums[n]; dup {
			return nil, fmt.Errorf("SHA256SUMS names %s twice", n)
		}
		sums[n] = h
	}
	return sums, nil
}

// pin is one marked line of a file.
type pin struct {
	file, kind, key, value string
	line                   int // 1-based line of the value
}

// pinFiles lists the files of root that PinFiles match.
func pinFiles(root string) ([]string, error) {
	var out []string
	for _, g := range PinFiles {
		m, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(g)))
		if err != nil {
			return nil, err
		}
		out = append(out, m...)
	}
	slices.Sort(out)
	return out, nil
}

// scanPins returns the marked lines of the file's content.
func scanPins(file string, b []byte) ([]pin, error) {
	lines := strings.Split(string(b), "\n")
	var pins []pin
	for i, l := range lines {
		kind, ok := strings.CutPrefix(strings.TrimSpace(l), PinMarker)
		if !ok {
			continue
		}
		kind = strings.TrimSpace(kind)
		if kind != "version" && kind != "sums" && kind != "image" {
			return nil, fmt.Errorf("%s:%d: pin kind %q: want version, sums or image", file, i+1, kind)
		}
		if i+1 >= len(lines) {
			return nil, fmt.Errorf("%s:%d: a pin marker with no line below it", file, i+1)
		}
		key, val, ok := strings.Cut(strings.TrimSpace(lines[i+1]), ":")
		if !ok || key == "" || strings.Contains(val, " #") {
			return nil, fmt.Errorf("%s:%d: the line below a pin marker must be KEY: VALUE with no comment", file, i+2)
		}
		val = strings.TrimSpace(val)
		if strings.HasPrefix(val, `"`) {
			uq, err := strconv.Unquote(val)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: pin value %s: %w", file, i+2, val, err)
			}
			val = uq
		}
		pins = append(pins, pin{file: file, kind: kind, key: key, value: val, line: i + 2})
	}
	return pins, nil
}

// ReadPins reads the pins of every pin file under root and checks that they agree: one
// version, action.yml's sums and one image for the component and every Tekton file, the image
// at the version's tag and, once released, by digest.
func ReadPins(root string) (Pins, error) {
	files, err := pinFiles(root)
	if err != nil {
		return Pins{}, err
	}
	var all []pin
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return Pins{}, err
		}
		ps, err := scanPins(rel(root, f), b)
		if err != nil {
			return Pins{}, err
		}
		all = append(all, ps...)
	}
	need := map[string]bool{"action.yml": false, "templates/attest.yml": false}
	var p Pins
	var versionAt, imageAt string
	var sumsSeen bool
	for _, x := range all {
		switch x.kind {
		case "version":
			if x.file != "action.yml" {
				return Pins{}, fmt.Errorf("%s:%d: a version pin belongs in action.yml", x.file, x.line)
			}
			if versionAt != "" {
				return Pins{}, fmt.Errorf("%s:%d: a second version pin (the first is at %s)", x.file, x.line, versionAt)
			}
			p.Version, versionAt = x.value, fmt.Sprintf("%s:%d", x.file, x.line)
		case "sums":
			if x.file != "action.yml" || sumsSeen {
				return Pins{}, fmt.Errorf("%s:%d: action.yml holds the one sums pin", x.file, x.line)
			}
			sumsSeen = true
			if p.Sums, err = ParseSums(x.value); err != nil {
				return Pins{}, fmt.Errorf("%s:%d: %w", x.file, x.line, err)
			}
		case "image":
			if imageAt == "" {
				ref, dig, _ := strings.Cut(x.value, "@")
				p.ImageDigest = dig
				imageAt = fmt.Sprintf("%s:%d", x.file, x.line)
				if want := ImageRepository + ":" + p.Version; versionAt != "" && ref != want {
					return Pins{}, fmt.Errorf("%s: image %q is not the release image of version %s (%s)", imageAt, x.value, p.Version, want)
				}
			}
			if x.value != p.Image() {
				return Pins{}, fmt.Errorf("%s:%d: image %q disagrees with %s, which pins %q", x.file, x.line, x.value, imageAt, p.Image())
			}
		}
		need[x.file] = true
	}
	for f, ok := range need {
		if !ok {
			return Pins{}, fmt.Errorf("%s has no %s line", f, PinMarker)
		}
	}
	if versionAt == "" || !sumsSeen {
		return Pins{}, errors.New("action.yml needs a version and a sums pin")
	}
	if imageAt == "" {
		return Pins{}, errors.New("no image pin in templates/ or tekton/")
	}
	if err := p.Check(); err != nil {
		return Pins{}, fmt.Errorf("the pins in %s: %w", root, err)
	}
	return p, nil
}

// WritePins rewrites every pin line under root with p, in place, and checks the result with
// ReadPins.
func WritePins(root string, p Pins) error {
	if err := p.Check(); err != nil {
		return err
	}
	files, err := pinFiles(root)
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		ps, err := scanPins(rel(root, f), b)
		if err != nil || len(ps) == 0 {
			if err != nil {
				return err
			}
			continue
		}
		out := rewrite(b, ps, p)
		if bytes.Equal(out, b) {
			continue
		}
		if err := os.WriteFile(f, out, 0o644); err != nil {
			return err
		}
	}
	got, err := ReadPins(root)
	if err != nil {
		return fmt.Errorf("the pins just written do not read back: %w", err)
	}
	if got.Image() != p.Image() || got.SumsText() != p.SumsText() {
		return errors.New("the pins just written read back differently")
	}
	return nil
}

// RewritePins returns the content b of file with every pin line set to p, without checking
// that p is a whole release (tests pin a binary or two; WritePins checks).
func RewritePins(file string, b []byte, p Pins) ([]byte, error) {
	ps, err := scanPins(file, b)
	if err != nil {
		return nil, err
	}
	return rewrite(b, ps, p), nil
}

// rewrite sets the value of each pin line of ps in b.
func rewrite(b []byte, ps []pin, p Pins) []byte {
	lines := strings.Split(string(b), "\n")
	for _, x := range ps {
		var v string
		switch x.kind {
		case "version":
			v = p.Version
		case "sums":
			v = strconv.Quote(p.SumsText())
		case "image":
			v = p.Image()
		}
		l := lines[x.line-1]
		indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
		lines[x.line-1] = indent + x.key + ": " + v
	}
	return []byte(strings.Join(lines, "\n"))
}

func rel(root, f string) string {
	r, err := filepath.Rel(root, f)
	if err != nil {
		return f
	}
	return filepath.ToSlash(r)
}

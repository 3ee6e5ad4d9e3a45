package sbom

import (
	"bytes"
	"debug/buildinfo"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime/debug"
	"strings"
)

// goBinary is a Go executable found in a tree, with its build information.
type goBinary struct {
	path string
	info *debug.BuildInfo
}

var buildInfoMagic = []byte("\xff Go buildinf:")

// maxBuildInfo bounds the module information read after a build-info header.
const maxBuildInfo = 8 << 20

// scanBuildInfo streams an executable looking for the Go build-information header (16-byte
// aligned, inline-string format of Go 1.18 and later) and parses what follows. It returns
// nil for an executable that is not a Go program (or predates Go 1.18).
func scanBuildInfo(r io.Reader) (*debug.BuildInfo, error) {
	const chunk = 1 << 20
	var (
		buf []byte
		off int64 // offset of buf[0] in the stream
		eof bool
		tmp = make([]byte, chunk)
	)
	for {
		bi, pending := findBuildInfo(buf, off, eof)
		if bi != nil {
			return bi, nil
		}
		if eof {
			return nil, nil
		}
		// drop what can no longer hold a header: all but a pending candidate or a short tail
		keep := len(buildInfoMagic) - 1
		if pending >= 0 {
			keep = len(buf) - pending
		}
		if drop := len(buf) - keep; drop > 0 {
			off += int64(drop)
			buf = append(buf[:0], buf[drop:]...)
		}
		n, err := io.ReadFull(r, tmp)
		buf = append(buf, tmp[:n]...)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			eof = true
		} else if err != nil {
			return nil, err
		}
	}
}

// findBuildInfo searches buf (at stream offset off) for a build-information header. It
// returns the parsed information, or the index of a candidate that needs more bytes (-1 if none).
func findBuildInfo(buf []byte, off int64, eof bool) (*debug.BuildInfo, int) {
	for from := 0; ; {
		i := bytes.Index(buf[from:], buildInfoMagic)
		if i < 0 {
			return nil, -1
		}
		at := from + i
		from = at + 1
		if (off+int64(at))%16 != 0 {
			continue
		}
		bi, more := parseBuildInfo(buf[at:])
		if bi != nil {
			return bi, -1
		}
		if more && !eof && len(buf)-at < maxBuildInfo {
			return nil, at
		}
	}
}

// parseBuildInfo parses the build information at b (starting with the magic). more is true
// when b is too short to tell.
func parseBuildInfo(b []byte) (bi *debug.BuildInfo, more bool) {
	const headerSize = 32
	if len(b) < headerSize {
		return nil, true
	}
	if b[15]&2 == 0 {
		return nil, false // pointer-based format (before Go 1.18): needs the whole binary
	}
	vers, rest, more := uvarintString(b[headerSize:])
	if vers == "" {
		return nil, more
	}
	mod, _, more := uvarintString(rest)
	if more {
		return nil, true
	}
	if !strings.HasPrefix(vers, "go") && !strings.HasPrefix(vers, "devel") {
		return nil, false
	}
	return buildInfoFrom(vers, mod), false
}

func buildInfoFrom(vers, mod string) *debug.BuildInfo {
	if len(mod) >= 33 && mod[len(mod)-17] == '\n' {
		mod = mod[16 : len(mod)-16] // strip the sentinel framing the module information
	} else {
		mod = ""
	}
	bi, err := debug.ParseBuildInfo(mod)
	if err != nil {
		return nil
	}
	bi.GoVersion = vers
	return bi
}

// uvarintString decodes a length-prefixed string; more is true when b ends too early.
func uvarintString(b []byte) (s string, rest []byte, more bool) {
	n, w := binary.Uvarint(b)
	if w == 0 {
		return "", nil, true
	}
	if w < 0 || n > maxBuildInfo {
		return "", nil, false
	}
	if uint64(len(b)-w) < n {
		return "", nil, true
	}
	return string(b[w : w+int(n)]), b[w+int(n):], false
}

// readBuildInfo reads the build information of the executable at p; nil when it is not a
// Go program.
func readBuildInfo(f io.ReaderAt, p string) (*debug.BuildInfo, error) {
	bi, err := buildinfo.Read(f)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("reading Go build information of %q: %w", p, err)
		}
		return nil, nil // not a Go binary, or one without build information
	}
	return bi, nil
}

// goSettings are the build settings recorded as properties (never -ldflags: it can carry values).
var goSettings = []string{"GOOS", "GOARCH", "GOAMD64", "GOARM", "GOARM64", "CGO_ENABLED", "-buildmode",
	"-compiler", "-trimpath", "-tags", "vcs", "vcs.revision", "vcs.time", "vcs.modified"}

// catalogGo adds the main package, its modules and the standard library of b; it returns
// the main package's key.
func (t *tree) catalogGo(b goBinary) string {
	inv, bi := t.s.inv, b.info
	main := goMain(b, t.loc+b.path)
	mainKey := inv.add(main)
	if std := goStdlib(bi.GoVersion); std != nil {
		inv.link(mainKey, inv.add(std), relDependsOn)
	}
	for _, d := range bi.Deps {
		if d == nil || cleanModPath(d.Path) == "" || d.Replace != nil && cleanModPath(d.Replace.Path) == "" {
			continue // names no module: nothing a purl can identify
		}
		inv.link(mainKey, inv.add(goModule(d, t.loc+b.path)), relDependsOn)
	}
	return mainKey
}

func goMain(b goBinary, loc string) *pkg {
	bi := b.info
	mod := cleanModPath(bi.Main.Path)
	version := bi.Main.Version
	if version == "(devel)" {
		version = "" // the build had no version: "(devel)" is not one
	}
	name := bi.Path
	if name == "" {
		name = path.Base(b.path)
	}
	p := &pkg{name: name, version: version, typ: typeApplication, ecosystem: "golang",
		supplier: goSupplier(mod), locations: []string{loc}}
	if mod == "" {
		p.purl = purl("generic", "", path.Base(b.path), version, "")
	} else {
		sub := strings.TrimPrefix(strings.TrimPrefix(bi.Path, mod), "/")
		p.purl = purl("golang", path.Dir(mod), path.Base(mod), version, sub)
	}
	p.setProp("signet:go:toolchain", bi.GoVersion)
	p.setProp("signet:go:module", mod)
	for _, s := range bi.Settings {
		for _, want := range goSettings {
			if s.Key == want {
				p.setProp("signet:go:"+strings.TrimPrefix(s.Key, "-"), s.Value)
			}
		}
	}
	return p
}

// goPurl is the purl of a module path; a path without a slash has no namespace.
func goPurl(modPath, version string) string {
	ns, name := path.Split(cleanModPath(modPath))
	return purl("golang", strings.TrimSuffix(ns, "/"), name, version, "")
}

// cleanModPath drops the empty elements of a module path as build information records it
// ("example.com//x/" is example.com/x); "" when nothing is left, which names no module.
func cleanModPath(p string) string {
	return strings.Trim(path.Clean("/"+p), "/")
}

func goModule(d *debug.Module, loc string) *pkg {
	m, local := d, d.Replace != nil && d.Replace.Version == ""
	if d.Replace != nil && !local {
		m = d.Replace
	}
	version := m.Version
	if local {
		version = "" // a local directory has no version
	}
	p := &pkg{name: m.Path, version: version, purl: goPurl(m.Path, version), typ: typeLibrary, ecosystem: "golang",
		supplier: goSupplier(m.Path), locations: []string{loc}}
	p.setProp("signet:go:h1", m.Sum)
	switch {
	case local:
		p.setProp("signet:go:replaced-by", d.Replace.Path)
	case d.Replace != nil:
		p.setProp("signet:go:replaces", d.Path+"@"+d.Version)
	}
	return p
}

// goStdlib is the Go standard library the binary was built with.
func goStdlib(goVersion string) *pkg {
	v := strings.Fields(goVersion)
	if len(v) == 0 {
		return nil
	}
	return &pkg{name: "stdlib", version: v[0], purl: purl("golang", "", "stdlib", strings.TrimPrefix(v[0], "go"), ""),
		typ: typeLibrary, ecosystem: "golang", supplier: organization("golang.org"), license: "BSD-3-Clause"}
}

package sbom

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// nestedDeb walks a .deb (or other ar archive) found inside a tree.
func (t *tree) nestedDeb(ctx context.Context, name string, r io.Reader) error {
	c, err := t.child(name)
	if err != nil {
		return err
	}
	keys, err := c.walkDeb(ctx, r)
	if err != nil {
		return err
	}
	t.found = append(t.found, keys...)
	return nil
}

// arHeaderLen is the size of an ar member header.
const arHeaderLen = 60

// walkDeb reads a Debian package: the control file of control.tar.* describes the package,
// and data.tar.* is its payload, walked as a filesystem whose packages the .deb contains.
func (t *tree) walkDeb(ctx context.Context, r io.Reader) ([]string, error) {
	control, err := t.readDeb(ctx, r)
	if err != nil {
		return nil, err
	}
	inside := t.finish()
	if control == nil {
		return inside, nil // an ar archive that is not a Debian package
	}
	if control["Package"] == "" { // a package needs a name: the file's (name_version_arch.deb)
		control["Package"] = strings.SplitN(fileStem(t.selfLocation(), ".deb"), "_", 2)[0]
	}
	dp := debPackage(control, distro{}, t.selfLocation())
	if l, ok := t.meta.copyright[control["Package"]]; ok {
		dp.license, dp.licenseText = l[0], l[1]
	}
	k := t.s.inv.add(dp)
	for _, c := range inside {
		t.s.inv.link(k, c, relContains)
	}
	return []string{k}, nil
}

// readDeb walks the members of an ar archive and returns the control paragraph, if any.
func (t *tree) readDeb(ctx context.Context, r io.Reader) (paragraph, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "!<arch>\n" {
		return nil, fmt.Errorf("reading %s: not an ar archive", t.displayName())
	}
	t.rooted = true // a package payload is a filesystem rooted at /
	var control paragraph
	for {
		name, size, err := arNext(br)
		if errors.Is(err, io.EOF) {
			return control, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", t.displayName(), err)
		}
		if err := t.count(); err != nil {
			return nil, err
		}
		body := io.LimitReader(br, size)
		switch {
		case strings.HasPrefix(name, "control.tar"):
			control, err = t.debControl(body)
		case strings.HasPrefix(name, "data.tar"):
			err = t.debData(ctx, body)
		}
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(io.Discard, io.MultiReader(body, io.LimitReader(br, size%2))); err != nil {
			return nil, fmt.Errorf("reading %s: %w", t.where(name), err)
		}
	}
}

// arNext reads the next ar member header and returns the member's name and size.
func arNext(r io.Reader) (string, int64, error) {
	h := make([]byte, arHeaderLen)
	if _, err := io.ReadFull(r, h); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return "", 0, fmt.Errorf("truncated ar member header")
		}
		return "", 0, err
	}
	if string(h[58:60]) != "`\n" {
		return "", 0, fmt.Errorf("bad ar member header %q", h[:16])
	}
	size, err := strconv.ParseInt(strings.TrimSpace(string(h[48:58])), 10, 64)
	if err != nil || size < 0 {
		return "", 0, fmt.Errorf("bad ar member size %q", h[48:58])
	}
	return strings.TrimSuffix(strings.TrimSpace(string(h[:16])), "/"), size, nil
}

// debStream returns the tar stream of a (possibly compressed) control or data member.
func (t *tree) debStream(r io.Reader, where string) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(512)
	switch k := sniff(head); k {
	case kindGzip, kindZstd, kindXz, kindBzip2:
		dr, closeFn, err := decompress(k, br)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", where, err)
		}
		return &meter{r: dr, b: t.s.budget, archive: where}, closeFn, nil
	}
	return br, func() {}, nil
}

// debControl reads the control file out of control.tar.*.
func (t *tree) debControl(r io.Reader) (paragraph, error) {
	where := t.where("control.tar")
	s, closeFn, err := t.debStream(r, where)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	tr := tar.NewReader(s)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading %s: no control file", where)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", where, err)
		}
		if path.Clean(h.Name) != "control" || h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := readMeta(tr, h.Size, t.s.cfg.maxManifest, LimitManifestBytes, where+"/control")
		if err != nil {
			return nil, err
		}
		var control paragraph
		eachParagraph(data, func(p paragraph) bool {
			control = p
			return false // the first paragraph describes the package
		})
		if control == nil {
			return nil, fmt.Errorf("reading %s: empty control file", where)
		}
		return control, nil
	}
}

// debData walks the payload of data.tar.*.
func (t *tree) debData(ctx context.Context, r io.Reader) error {
	s, closeFn, err := t.debStream(r, t.where("data.tar"))
	if err != nil {
		return err
	}
	defer closeFn()
	return t.walkTar(ctx, s)
}

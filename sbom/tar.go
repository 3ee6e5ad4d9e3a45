package sbom

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
)

// walkTar walks a tar stream, refusing unsafe names and links and counting members.
func (t *tree) walkTar(ctx context.Context, r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar %s: %w", t.displayName(), err)
		}
		if err := t.tarMember(ctx, h, tr); err != nil {
			return err
		}
	}
}

func (t *tree) tarMember(ctx context.Context, h *tar.Header, r io.Reader) error {
	name, err := memberName(t.displayName(), h.Name, t.rooted)
	if err != nil {
		return err
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse:
		return t.file(ctx, name, h.Size, r)
	case tar.TypeSymlink:
		return t.link(name, h.Linkname)
	case tar.TypeLink:
		if _, err := memberName(t.displayName(), h.Linkname, t.rooted); err != nil {
			return err
		}
		return t.count()
	}
	return t.count()
}

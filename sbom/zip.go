package sbom

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"sort"
	"strings"
)

// spoolInMemory is the largest nested zip held in memory; larger ones go to a temporary file.
const spoolInMemory = 8 << 20

// nestedZip walks a zip (or jar, wheel …) found inside another archive.
func (t *tree) nestedZip(ctx context.Context, name string, size int64, r io.Reader) error {
	c, err := t.child(name)
	if err != nil {
		return err
	}
	ra, n, cleanup, err := spool(r, size, t.s.cfg.tempDir, c.displayName())
	if err != nil {
		return err
	}
	defer cleanup()
	keys, err := c.walkZipArchive(ctx, ra, n, path.Base(name))
	if err != nil {
		return err
	}
	t.found = append(t.found, keys...)
	return nil
}

// walkZipArchive walks a zip and catalogs it: a jar becomes a package holding what it contains.
func (t *tree) walkZipArchive(ctx context.Context, ra io.ReaderAt, size int64, base string) ([]string, error) {
	if err := t.walkZip(ctx, ra, size); err != nil {
		return nil, err
	}
	if isJar(base) || t.meta.isJava() {
		return t.finishJar(base), nil
	}
	return t.finish(), nil
}

// spool makes r random-access: in memory when small, else in a temporary file.
func spool(r io.Reader, size int64, dir, where string) (io.ReaderAt, int64, func(), error) {
	if size >= 0 && size <= spoolInMemory {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("reading %s: %w", where, err)
		}
		return bytes.NewReader(b), int64(len(b)), func() {}, nil
	}
	f, err := os.CreateTemp(dir, "signet-sbom-*")
	if err != nil {
		return nil, 0, nil, fmt.Errorf("spooling %s: %w", where, err)
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, r)
	if err != nil {
		cleanup()
		return nil, 0, nil, fmt.Errorf("spooling %s: %w", where, err)
	}
	return f, n, cleanup, nil
}

// walkZip walks the members of a zip: metadata files first (so a jar knows its own
// coordinates before its nested jars), then everything else, in name order.
func (t *tree) walkZip(ctx context.Context, ra io.ReaderAt, size int64) error {
	if n, ok := zipEntryCount(ra, size); ok && n > t.s.cfg.maxMembers {
		return &LimitError{Limit: LimitMembers, Max: int64(t.s.cfg.maxMembers), Where: t.displayName(),
			Detail: fmt.Sprintf("declares %d members, more than %d", n, t.s.cfg.maxMembers)}
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fmt.Errorf("reading zip %s: %w", t.displayName(), err)
	}
	if len(zr.File) > t.s.cfg.maxMembers {
		return &LimitError{Limit: LimitMembers, Max: int64(t.s.cfg.maxMembers), Where: t.displayName(),
			Detail: fmt.Sprintf("holds %d members, more than %d", len(zr.File), t.s.cfg.maxMembers)}
	}
	if err := t.zipDeclared(zr); err != nil {
		return err
	}
	files := append([]*zip.File(nil), zr.File...)
	sort.SliceStable(files, func(i, j int) bool {
		mi, mj := metaKind(files[i].Name) != metaNone, metaKind(files[j].Name) != metaNone
		if mi != mj {
			return mi
		}
		return files[i].Name < files[j].Name
	})
	for _, f := range files {
		if err := t.zipMember(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// zipDeclared spends the expanded size the zip's members declare (archive/zip never reads
// past a declared size), so a zip bomb is refused before anything is inflated.
func (t *tree) zipDeclared(zr *zip.Reader) error {
	var total uint64
	for _, f := range zr.File {
		if total+f.UncompressedSize64 < total {
			total = math.MaxUint64 // saturate: a sum that overflows is over any limit
			break
		}
		total += f.UncompressedSize64
	}
	if total > uint64(t.s.budget.max-t.s.budget.used) {
		return &LimitError{Limit: LimitExpandedBytes, Max: t.s.budget.max, Where: t.displayName(),
			Detail: fmt.Sprintf("members declare %d bytes expanded, over the %d-byte limit (a zip bomb?)", total, t.s.budget.max)}
	}
	return t.s.budget.spend(int64(total), t.displayName())
}

func (t *tree) zipMember(ctx context.Context, f *zip.File) error {
	name, err := memberName(t.displayName(), f.Name, false)
	if err != nil {
		return err
	}
	mode := f.Mode()
	switch {
	case mode.IsDir():
		return t.count()
	case mode&os.ModeSymlink != 0:
		target, err := zipText(f, 4096)
		if err != nil {
			return fmt.Errorf("reading link %s: %w", t.where(name), err)
		}
		return t.link(name, target)
	case !mode.IsRegular():
		return t.count()
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("opening %s: %w", t.where(name), err)
	}
	defer rc.Close()
	return t.file(ctx, name, int64(f.UncompressedSize64), rc)
}

func zipText(f *zip.File, max int64) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max))
	return strings.TrimSpace(string(b)), err
}

// zipEntryCount reads the entry count from the end-of-central-directory record without
// reading the directory itself; ok is false when it cannot tell (zip64, comments …).
func zipEntryCount(ra io.ReaderAt, size int64) (int, bool) {
	const eocdLen = 22
	if size < eocdLen {
		return 0, false
	}
	buf := make([]byte, eocdLen)
	if _, err := ra.ReadAt(buf, size-eocdLen); err != nil {
		return 0, false
	}
	if binary.LittleEndian.Uint32(buf) != 0x06054b50 {
		return 0, false
	}
	n := binary.LittleEndian.Uint16(buf[10:])
	if n != 0xffff {
		return int(n), true
	}
	return zip64EntryCount(ra, size-eocdLen)
}

// zip64EntryCount reads the entry count of the zip64 end-of-central-directory record whose
// locator sits just before the classic record at eocd.
func zip64EntryCount(ra io.ReaderAt, eocd int64) (int, bool) {
	const locLen, recLen = 20, 56
	if eocd < locLen {
		return 0, false
	}
	loc := make([]byte, locLen)
	if _, err := ra.ReadAt(loc, eocd-locLen); err != nil || binary.LittleEndian.Uint32(loc) != 0x07064b50 {
		return 0, false
	}
	off := int64(binary.LittleEndian.Uint64(loc[8:]))
	if off < 0 || off > eocd {
		return 0, false
	}
	rec := make([]byte, recLen)
	if _, err := ra.ReadAt(rec, off); err != nil || binary.LittleEndian.Uint32(rec) != 0x06064b50 {
		return 0, false
	}
	n := binary.LittleEndian.Uint64(rec[32:])
	if n > 1<<31 {
		return 1 << 31, true
	}
	return int(n), true
}

func isJar(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar", ".nar", ".kar", ".rar":
		return true
	}
	return false
}

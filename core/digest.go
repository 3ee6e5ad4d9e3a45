package core

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"
)

// bufSize is the read buffer per worker: large enough to amortise syscalls, small enough
// that memory stays independent of file size.
const bufSize = 1 << 20

// newHash returns a hash for alg (sha256 or sha512).
func newHash(alg string) (hash.Hash, error) {
	switch alg {
	case SHA256:
		return sha256.New(), nil
	case SHA512:
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("digest algorithm %q: expected sha256 or sha512", alg)
}

// DigestFiles digests files in parallel with at most workers at once, streaming each file
// through a fixed buffer. The result keeps the order of files.
// A file is opened without blocking (a FIFO cannot hang the run) and must be a regular file;
// when FileRef.Info is set it must be that very file.
func DigestFiles(ctx context.Context, files []FileRef, alg string, workers int) ([]Subject, error) {
	return digestFiles(ctx, files, alg, workers, openPath)
}

// digestFiles is DigestFiles with the way files are opened given.
func digestFiles(ctx context.Context, files []FileRef, alg string, workers int, open func(FileRef) (*os.File, error)) ([]Subject, error) {
	if _, err := newHash(alg); err != nil {
		return nil, err
	}
	if workers < 1 {
		workers = 1
	}
	out := make([]Subject, len(files))
	jobs := make(chan int)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(jobs)
		for i := range files {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	for range min(workers, max(len(files), 1)) {
		g.Go(func() error {
			buf := make([]byte, bufSize)
			h, _ := newHash(alg)
			for i := range jobs {
				h.Reset()
				if err := digestFile(ctx, files[i], open, h, buf); err != nil {
					return err
				}
				out[i] = Subject{Name: files[i].Name, Path: files[i].Path,
					Digest: map[string]string{alg: hex.EncodeToString(h.Sum(nil))}}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// openPath opens f.Path, following symlinks (the caller named it), without blocking.
func openPath(f FileRef) (*os.File, error) {
	return os.OpenFile(f.Path, os.O_RDONLY|nonblock, 0)
}

// openInRoot opens f by its name inside root: no path component, symlinks included, can
// leave the base directory, and the last one is opened with O_NOFOLLOW and O_NONBLOCK.
func openInRoot(root *os.Root, f FileRef) (*os.File, error) {
	return root.OpenFile(filepath.FromSlash(f.Name), os.O_RDONLY|nonblock|nofollow, 0)
}

// digestFile streams the file f into h, checking ctx between reads. The opened descriptor
// must be a regular file and, when f.Info is set, the very file the walk saw.
func digestFile(ctx context.Context, f FileRef, open func(FileRef) (*os.File, error), h hash.Hash, buf []byte) error {
	shown := QuoteName(f.Path)
	fd, err := open(f)
	if err != nil {
		return fmt.Errorf("reading subject %s: %w", shown, err)
	}
	defer fd.Close()
	fi, err := fd.Stat()
	if err != nil {
		return fmt.Errorf("reading subject %s: %w", shown, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("reading subject %s: %w (%s)", shown, ErrNotRegular, fileKind(fi.Mode()))
	}
	if f.Info != nil && !os.SameFile(f.Info, fi) {
		return fmt.Errorf("reading subject %s: %w: it is no longer the file that was found; run again on a stable tree", shown, ErrChanged)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := fd.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading subject %s: %w", shown, err)
		}
	}
}

// sha256Hex returns the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

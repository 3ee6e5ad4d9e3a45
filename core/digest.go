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
func DigestFiles(ctx context.Context, files []FileRef, alg string, workers int) ([]Subject, error) {
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
				if err := digestFile(ctx, files[i].Path, h, buf); err != nil {
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

// digestFile streams path into h, checking ctx between reads.
func digestFile(ctx context.Context, path string, h hash.Hash, buf []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading subject %q: %w", path, err)
	}
	defer f.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading subject %q: %w", path, err)
		}
	}
}

// sha256Hex returns the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

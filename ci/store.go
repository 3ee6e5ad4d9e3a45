package ci

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/signet-ci/signet/core"
)

// MaxStoredBundle bounds a bundle file read for upload to a store (GitHub takes 34 MiB).
const MaxStoredBundle = 34 << 20

// Store keeps bundles beside the run's files: GitHub's attestation store, say.
type Store interface {
	// Name names the store in the index ("github").
	Name() string
	// Upload stores one bundle and returns the store's id and the attestation's page ("" when none).
	Upload(ctx context.Context, bundle []byte) (id, url string, err error)
}

// UploadAll uploads every bundle of a written run to store in index order, records each id and
// URL in the index, and rewrites the index file in place (atomically). The run's files are
// written before: a failed upload leaves them complete, and the index records the bundles
// uploaded before the failure.
func UploadAll(ctx context.Context, store Store, out Outcome) error {
	if out.Index == nil {
		return fmt.Errorf("uploading to %s: no index", store.Name())
	}
	var upErr error
	for i := range out.Index.Attestations {
		at := &out.Index.Attestations[i]
		b, err := readBundle(filepath.Join(out.OutputDir, filepath.FromSlash(at.Bundle)))
		if err != nil {
			upErr = err
			break
		}
		id, url, err := store.Upload(ctx, b)
		if err != nil {
			upErr = fmt.Errorf("bundle %s: %w", core.PrintableName(at.Bundle), err)
			break
		}
		at.Store = &core.StoreRecord{Name: store.Name(), ID: id, URL: url}
	}
	b, err := json.MarshalIndent(out.Index, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding index: %w", err)
	}
	if err := core.WriteFileAtomic(filepath.Join(out.OutputDir, core.IndexFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return upErr
}

// readBundle reads a bundle file, refusing one larger than MaxStoredBundle.
func readBundle(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading bundle %q for upload: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxStoredBundle+1))
	if err != nil {
		return nil, fmt.Errorf("reading bundle %q for upload: %w", path, err)
	}
	if len(b) > MaxStoredBundle {
		return nil, fmt.Errorf("bundle %q is larger than %d bytes, the most an attestation store takes", path, MaxStoredBundle)
	}
	return b, nil
}

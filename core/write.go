package core

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned when an output file is already present and overwriting was not asked.
var ErrExists = errors.New("already exists")

// Output writes files into one directory atomically: each file is written to a temporary file
// in the same directory, synced, then renamed into place, so a reader never sees half a file.
type Output struct {
	dir   string
	force bool
}

// NewOutput returns an Output for dir, created if missing. With force, existing files are replaced.
func NewOutput(dir string, force bool) (*Output, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating output directory %q: %w", dir, err)
	}
	return &Output{dir: dir, force: force}, nil
}

// Dir returns the output directory.
func (o *Output) Dir() string { return o.dir }

// Check fails with ErrExists if any of names is present and force is off; it writes nothing.
func (o *Output) Check(names ...string) error {
	if o.force {
		return nil
	}
	for _, n := range names {
		p := filepath.Join(o.dir, n)
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("output file %q %w; pass --force to replace it or choose another --output-dir", p, ErrExists)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking output file %q: %w", p, err)
		}
	}
	return nil
}

// Write atomically writes data to name inside the output directory.
func (o *Output) Write(name string, data []byte) (string, error) {
	if err := o.Check(name); err != nil {
		return "", err
	}
	p := filepath.Join(o.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("creating directory for %q: %w", p, err)
	}
	return p, WriteFileAtomic(p, data, 0o644)
}

// WriteFileAtomic writes data to path through a temporary file and a rename.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	return nil
}

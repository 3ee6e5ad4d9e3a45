package core

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrExists is returned (as an *ExistsError) when an output file is already present and
// overwriting was not asked.
var ErrExists = errors.New("already exists")

// ExistsError is an output file already present when overwriting was not asked. It matches
// ErrExists with errors.Is. It gives no advice: the caller says how its user allows replacing
// (a flag, a CI input).
type ExistsError struct {
	// Path is the output file, under the output directory as the caller named it.
	Path string
}

func (e *ExistsError) Error() string { return fmt.Sprintf("output file %q %v", e.Path, ErrExists) }

// Is reports whether target is ErrExists.
func (e *ExistsError) Is(target error) bool { return target == ErrExists }

// Marks in the names of the directories a run stages its output in, beside the output
// directory: ".OUT.signet-staging-RANDOM" while a run writes, ".OUT.signet-retired-RANDOM" for
// the previous output during a publish that cannot swap directories atomically.
const (
	stagingMark = ".signet-staging-"
	retiredMark = ".signet-retired-"
)

// IsStagingName reports whether a directory name is one of the staging directories runs
// create beside their output directory. Subject walks skip them.
func IsStagingName(name string) bool {
	return strings.HasPrefix(name, ".") && (strings.Contains(name, stagingMark) || strings.Contains(name, retiredMark))
}

// Output publishes one run's files into a directory all at once. Publish builds the whole new
// directory (files of earlier runs that are not replaced are carried over as hard links) in a
// staging directory beside it, syncs it, and swaps it in with one rename (on Linux an atomic
// exchange), so a reader, or a run killed at any point, sees the old complete directory or
// the new one. index.json is written with the rest: an index is there only if its run was
// published whole.
type Output struct {
	dir       string // the output directory as the caller named it
	real      string // dir with symlinks in its existing prefix resolved: what is swapped
	force     bool
	recovered []string
}

// NewOutput returns an Output for dir; its parent is created if missing. With force, files
// already present may be replaced. Staging directories left beside dir by interrupted runs
// are removed now (Recovered names them).
func NewOutput(dir string, force bool) (*Output, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("output directory %q: %w", dir, err)
	}
	o := &Output{dir: abs, real: resolveExisting(abs), force: force}
	if err := os.MkdirAll(filepath.Dir(o.real), 0o755); err != nil {
		return nil, fmt.Errorf("creating the parent of output directory %q: %w", dir, err)
	}
	if fi, err := os.Stat(o.real); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("output directory %q: exists and is not a directory", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("output directory %q: %w", dir, err)
	}
	if err := o.recover(); err != nil {
		return nil, err
	}
	return o, nil
}

// Dir returns the output directory.
func (o *Output) Dir() string { return o.dir }

// Recovered lists the staging directories of interrupted runs that NewOutput removed, and a
// previous output it put back after an interrupted publish.
func (o *Output) Recovered() []string { return o.recovered }

// leftovers returns the staging and retired directories beside the output directory.
func (o *Output) leftovers() (staging, retired []string, err error) {
	parent, base := filepath.Split(o.real)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the parent of output directory %q: %w", o.dir, err)
	}
	for _, e := range entries {
		switch {
		case strings.HasPrefix(e.Name(), "."+base+stagingMark):
			staging = append(staging, filepath.Join(parent, e.Name()))
		case strings.HasPrefix(e.Name(), "."+base+retiredMark):
			retired = append(retired, filepath.Join(parent, e.Name()))
		}
	}
	return staging, retired, nil
}

// recover removes what interrupted runs left: a staging directory no live run holds, and a
// retired previous output (put back first when the output directory itself is missing).
func (o *Output) recover() error {
	staging, retired, err := o.leftovers()
	if err != nil {
		return err
	}
	for _, d := range retired {
		if _, err := os.Lstat(o.real); errors.Is(err, fs.ErrNotExist) {
			if err := os.Rename(d, o.real); err != nil {
				return fmt.Errorf("restoring output directory %q from %q: %w", o.dir, d, err)
			}
			o.recovered = append(o.recovered, d+" (restored as "+o.dir+")")
			continue
		}
		staging = append(staging, d)
	}
	for _, d := range staging {
		unlock, ok, err := tryLock(d)
		if err != nil || !ok {
			continue // another run is using it, or it vanished
		}
		err = os.RemoveAll(d)
		unlock()
		if err != nil {
			return fmt.Errorf("removing staging directory %q left by an interrupted run: %w", d, err)
		}
		o.recovered = append(o.recovered, d)
	}
	return nil
}

// Check fails with an *ExistsError if any of names is present and force is off; it writes nothing.
func (o *Output) Check(names ...string) error {
	if o.force {
		return nil
	}
	for _, n := range names {
		p := filepath.Join(o.real, filepath.FromSlash(n))
		if _, err := os.Lstat(p); err == nil {
			return &ExistsError{Path: filepath.Join(o.dir, filepath.FromSlash(n))}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking output file %q: %w", p, err)
		}
	}
	return nil
}

// File is one file of a run's output: a slash-separated name inside the output directory.
type File struct {
	Name string
	Data []byte
}

// Publish replaces the output directory with one holding files plus every file of the
// current directory they do not replace, all or nothing. Existing files are refused unless
// force is set (see Check).
func (o *Output) Publish(files []File) error {
	names := make([]string, len(files))
	replace := make(map[string]bool, len(files))
	for i, f := range files {
		names[i] = f.Name
		replace[filepath.FromSlash(f.Name)] = true
	}
	if err := o.Check(names...); err != nil {
		return err
	}
	parent, base := filepath.Split(o.real)
	stage, err := os.MkdirTemp(parent, "."+base+stagingMark)
	if err != nil {
		return fmt.Errorf("creating a staging directory beside %q: %w", o.dir, err)
	}
	unlock, _, err := tryLock(stage) // held so that no other run's recovery removes it
	if err != nil {
		os.RemoveAll(stage)
		return fmt.Errorf("locking staging directory %q: %w", stage, err)
	}
	defer unlock()
	if err := o.stage(stage, files, replace); err != nil {
		os.RemoveAll(stage)
		return err
	}
	if err := o.swap(stage); err != nil {
		os.RemoveAll(stage)
		return err
	}
	return nil
}

// stage fills the staging directory: carried-over files, then the new ones, all synced.
func (o *Output) stage(stage string, files []File, replace map[string]bool) error {
	mode := fs.FileMode(0o755)
	if fi, err := os.Stat(o.real); err == nil {
		mode = fi.Mode().Perm()
		if err := carryOver(o.real, stage, replace); err != nil {
			return fmt.Errorf("output directory %q: %w", o.dir, err)
		}
	}
	dirs := map[string]bool{stage: true}
	for _, f := range files {
		p := filepath.Join(stage, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("staging %q: %w", f.Name, err)
		}
		for d := filepath.Dir(p); len(d) > len(stage); d = filepath.Dir(d) {
			dirs[d] = true
		}
		if err := writeSynced(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("staging %q: %w", f.Name, err)
		}
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("syncing staging directory %q: %w", d, err)
		}
	}
	return os.Chmod(stage, mode)
}

// swap puts the staging directory in place of the output directory.
func (o *Output) swap(stage string) error {
	parent := filepath.Dir(o.real)
	if _, err := os.Lstat(o.real); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(stage, o.real); err != nil {
			return fmt.Errorf("publishing output directory %q: %w", o.dir, err)
		}
		return syncDir(parent)
	}
	swapped, err := exchange(stage, o.real)
	if errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EXDEV) {
		return fmt.Errorf("publishing output directory %q: %w: a run replaces it as a whole, which a mount point "+
			"cannot be; give a directory inside it", o.dir, err)
	}
	if err != nil {
		return fmt.Errorf("publishing output directory %q: %w", o.dir, err)
	}
	if !swapped {
		// Two renames: a kill between them leaves the previous output in the retired
		// directory, which the next run puts back.
		retired := strings.Replace(stage, stagingMark, retiredMark, 1)
		if err := os.Rename(o.real, retired); err != nil {
			return fmt.Errorf("publishing output directory %q: %w", o.dir, err)
		}
		if err := os.Rename(stage, o.real); err != nil {
			os.Rename(retired, o.real)
			return fmt.Errorf("publishing output directory %q: %w", o.dir, err)
		}
		stage = retired
	}
	if err := syncDir(parent); err != nil {
		return fmt.Errorf("syncing %q: %w", parent, err)
	}
	if err := os.RemoveAll(stage); err != nil {
		return fmt.Errorf("removing the previous output %q: %w", stage, err)
	}
	return nil
}

// carryOver recreates the tree under from in to, hard-linking files (copying where links are
// not possible) and leaving out the names in skip.
func carryOver(from, to string, skip map[string]bool) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil || rel == "." {
			return err
		}
		dst := filepath.Join(to, rel)
		switch {
		case skip[rel]:
			return nil
		case d.IsDir():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			return os.Mkdir(dst, fi.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case d.Type().IsRegular():
			if err := os.Link(p, dst); err == nil {
				return nil
			}
			return copyFile(p, dst)
		}
		return fmt.Errorf("%q is %s: the output directory holds files only", p, fileKind(d.Type()))
	})
}

// copyFile copies a regular file, synced, keeping its permissions.
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// writeSynced creates path with data and syncs it.
func writeSynced(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir syncs a directory so renames and new entries in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
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

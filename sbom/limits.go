package sbom

import (
	"fmt"
	"io"
	"path"
	"strings"
)

// budget counts the bytes all archives of one subject expand to.
type budget struct {
	max  int64
	used int64
}

// spend takes n bytes from the budget for archive, or fails with ErrLimit.
func (b *budget) spend(n int64, archive string) error {
	b.used += n
	if b.used > b.max {
		return &LimitError{Limit: LimitExpandedBytes, Max: b.max, Where: archive,
			Detail: fmt.Sprintf("expands past %d bytes in total (a decompression bomb?)", b.max)}
	}
	return nil
}

// meter wraps a decompressed stream and spends every byte read from it.
type meter struct {
	r       io.Reader
	b       *budget
	archive string
}

func (m *meter) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if n > 0 {
		if serr := m.b.spend(int64(n), m.archive); serr != nil {
			return n, serr
		}
	}
	return n, err
}

// memberName cleans an archive member name and refuses absolute names and names that climb
// out of the archive with "..". In an image filesystem absolute names are rooted at the image
// root and are accepted.
func memberName(archive, name string, rooted bool) (string, error) {
	n := strings.ReplaceAll(name, "\\", "/")
	if hasDrive(n) || (!rooted && strings.HasPrefix(n, "/")) {
		return "", fmt.Errorf("%w: %s: member %q has an absolute name; expected a path relative to the archive root",
			ErrUnsafeArchive, archive, name)
	}
	c := path.Clean("/" + n)
	if rel := path.Clean(n); rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%w: %s: member %q climbs out of the archive with \"..\"", ErrUnsafeArchive, archive, name)
	}
	return strings.TrimPrefix(c, "/"), nil
}

// linkTarget refuses a symbolic link whose target leaves the archive root. In an image
// filesystem an absolute target is rooted at the image root.
func linkTarget(archive, name, target string, rooted bool) error {
	t := strings.ReplaceAll(target, "\\", "/")
	if strings.HasPrefix(t, "/") || hasDrive(t) {
		if rooted && !hasDrive(t) {
			return nil
		}
		return fmt.Errorf("%w: %s: link %q points to absolute path %q, outside the archive", ErrUnsafeArchive, archive, name, target)
	}
	if r := path.Clean(path.Join(path.Dir(name), t)); r == ".." || strings.HasPrefix(r, "../") {
		return fmt.Errorf("%w: %s: link %q points to %q, outside the archive", ErrUnsafeArchive, archive, name, target)
	}
	return nil
}

func hasDrive(n string) bool {
	return len(n) >= 2 && n[1] == ':' && ((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z'))
}

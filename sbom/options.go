package sbom

import (
	"fmt"
	"time"
)

// Default limits for walking archives. Each can be changed with an Option.
const (
	// DefaultMaxDepth is how deeply archives may nest (an archive inside an archive is depth 2).
	DefaultMaxDepth = 6
	// DefaultMaxMembers is the number of members one archive (or one image filesystem) may hold.
	DefaultMaxMembers = 65536
	// DefaultMaxExpandedBytes is the total number of bytes all archives of one subject may
	// expand to, counted as they are decompressed and as zip members declare them.
	DefaultMaxExpandedBytes int64 = 4 << 30
	// DefaultMaxMetadataBytes is the largest metadata file (dpkg status, package.json,
	// METADATA, package-lock.json …) read into memory.
	DefaultMaxMetadataBytes int64 = 64 << 20
)

// Option configures a Generator.
type Option func(*config) error

type config struct {
	fileDigests  bool
	maxDepth     int
	maxMembers   int
	maxExpanded  int64
	maxMetadata  int64
	now          func() time.Time
	toolVersion  string
	tempDir      string
	namespaceURL string
}

func defaultConfig() config {
	return config{
		maxDepth:     DefaultMaxDepth,
		maxMembers:   DefaultMaxMembers,
		maxExpanded:  DefaultMaxExpandedBytes,
		maxMetadata:  DefaultMaxMetadataBytes,
		now:          time.Now,
		toolVersion:  "devel",
		namespaceURL: "https://github.com/signet-ci/signet/spdx",
	}
}

// WithFileDigests lists every regular file found inside the artifact with its SHA-1 and
// SHA-256. Off by default: it makes documents large.
func WithFileDigests(on bool) Option {
	return func(c *config) error {
		c.fileDigests = on
		return nil
	}
}

// WithMaxDepth sets how deeply archives may nest; n must be at least 1.
func WithMaxDepth(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("archive depth limit %d: must be at least 1", n)
		}
		c.maxDepth = n
		return nil
	}
}

// WithMaxMembers sets how many members one archive may hold; n must be at least 1.
func WithMaxMembers(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("archive member limit %d: must be at least 1", n)
		}
		c.maxMembers = n
		return nil
	}
}

// WithMaxExpandedBytes sets how many bytes the archives of one subject may expand to in
// total; n must be at least 1 MiB.
func WithMaxExpandedBytes(n int64) Option {
	return func(c *config) error {
		if n < 1<<20 {
			return fmt.Errorf("expanded size limit %d bytes: must be at least 1 MiB", n)
		}
		c.maxExpanded = n
		return nil
	}
}

// WithMaxMetadataBytes sets the largest metadata file read into memory; n must be at least 64 KiB.
func WithMaxMetadataBytes(n int64) Option {
	return func(c *config) error {
		if n < 64<<10 {
			return fmt.Errorf("metadata file limit %d bytes: must be at least 64 KiB", n)
		}
		c.maxMetadata = n
		return nil
	}
}

// WithNow sets the clock used for the document's creation time (tests pass a fixed time).
func WithNow(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("clock: must not be nil")
		}
		c.now = now
		return nil
	}
}

// WithToolVersion sets the signet version recorded as the document's creating tool.
func WithToolVersion(v string) Option {
	return func(c *config) error {
		if v == "" {
			return fmt.Errorf("tool version: must not be empty")
		}
		c.toolVersion = v
		return nil
	}
}

// WithTempDir sets where OCI archives are unpacked while they are read ("" means the
// system's temporary directory).
func WithTempDir(dir string) Option {
	return func(c *config) error {
		c.tempDir = dir
		return nil
	}
}

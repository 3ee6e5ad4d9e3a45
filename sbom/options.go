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
	// DefaultMaxManifestBytes is the largest file describing one package (package.json,
	// pom.properties, MANIFEST.MF, os-release, a copyright file) read into memory. A Python
	// METADATA may be longer: only its header block, which must fit, is read.
	DefaultMaxManifestBytes int64 = 4 << 20
	// DefaultMaxFieldBytes bounds a package's name, version, purl, supplier, homepage,
	// property values and file names.
	DefaultMaxFieldBytes = 4 << 10
	// DefaultMaxTextBytes bounds a package's description and its license and copyright text.
	DefaultMaxTextBytes = 64 << 10
	// DefaultMaxPackages is the most packages one document may describe (a document of 50,000
	// packages is about 30 MB of CycloneDX, 45 MB of SPDX).
	DefaultMaxPackages = 50_000
	// DefaultMaxRelationships is the most relationships one document may hold.
	DefaultMaxRelationships = 1_000_000
	// DefaultMaxOutputBytes is the largest document written. A signed document travels
	// base64-encoded in a bundle, which signet verify reads up to 128 MiB (verify.MaxBundleSize):
	// 64 MiB leaves room for the encoding, the statement and the verification material.
	DefaultMaxOutputBytes int64 = 64 << 20
	// MaxOutputBytes is the largest value WithMaxOutputBytes accepts, for the same reason.
	MaxOutputBytes int64 = 90 << 20
)

// Option configures a Generator.
type Option func(*config) error

type config struct {
	fileDigests  bool
	maxDepth     int
	maxMembers   int
	maxExpanded  int64
	maxMetadata  int64
	maxManifest  int64
	maxField     int
	maxText      int
	maxPackages  int
	maxRelations int
	maxOutput    int64
	truncate     bool
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
		maxManifest:  DefaultMaxManifestBytes,
		maxField:     DefaultMaxFieldBytes,
		maxText:      DefaultMaxTextBytes,
		maxPackages:  DefaultMaxPackages,
		maxRelations: DefaultMaxRelationships,
		maxOutput:    DefaultMaxOutputBytes,
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

// WithMaxManifestBytes sets the largest file describing one package (package.json,
// METADATA headers, pom.properties …) read into memory; n must be at least 64 KiB.
func WithMaxManifestBytes(n int64) Option {
	return func(c *config) error {
		if n < 64<<10 {
			return fmt.Errorf("manifest file limit %d bytes: must be at least 64 KiB", n)
		}
		c.maxManifest = n
		return nil
	}
}

// WithMaxFieldBytes bounds a package's name, version, purl, supplier, homepage, property
// values and file names; n must be at least 256.
func WithMaxFieldBytes(n int) Option {
	return func(c *config) error {
		if n < 256 {
			return fmt.Errorf("field size limit %d bytes: must be at least 256", n)
		}
		c.maxField = n
		return nil
	}
}

// WithMaxTextBytes bounds a package's description and license and copyright text; n must
// be at least 1 KiB.
func WithMaxTextBytes(n int) Option {
	return func(c *config) error {
		if n < 1<<10 {
			return fmt.Errorf("text size limit %d bytes: must be at least 1 KiB", n)
		}
		c.maxText = n
		return nil
	}
}

// WithMaxPackages sets the most packages one document may describe; n must be at least 1.
func WithMaxPackages(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("package limit %d: must be at least 1", n)
		}
		c.maxPackages = n
		return nil
	}
}

// WithMaxRelationships sets the most relationships one document may hold; n must be at least 1.
func WithMaxRelationships(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("relationship limit %d: must be at least 1", n)
		}
		c.maxRelations = n
		return nil
	}
}

// WithMaxOutputBytes sets the largest document written; n must be between 1 MiB and
// MaxOutputBytes (a larger document would make a bundle signet verify refuses).
func WithMaxOutputBytes(n int64) Option {
	return func(c *config) error {
		if n < 1<<20 || n > MaxOutputBytes {
			return fmt.Errorf("document size limit %d bytes: must be between 1 MiB and %d bytes (a larger signed document makes a bundle over signet verify's 128 MiB limit)", n, MaxOutputBytes)
		}
		c.maxOutput = n
		return nil
	}
}

// WithTruncation makes a field over its limit (max-field-bytes or max-text-bytes) a
// truncated field instead of an error: it is cut at the limit and marked
// "…(truncated sha256:HASH)" (the hash of the whole value keeps distinct values distinct),
// and the document counts the truncated fields (SPDX: the document comment; CycloneDX: the
// metadata property "signet:truncated-fields"). Every other limit stays an error.
func WithTruncation(on bool) Option {
	return func(c *config) error {
		c.truncate = on
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

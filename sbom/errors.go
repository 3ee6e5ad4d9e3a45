package sbom

import (
	"errors"
	"fmt"

	"github.com/signet-ci/signet/core"
)

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrUnsupportedFormat is returned for an SBOM format other than spdx-json or
	// cyclonedx-json. It is core.ErrSBOMFormat: SBOM format names are checked once, in core.
	ErrUnsupportedFormat = core.ErrSBOMFormat
	// ErrLimit is returned (as a *LimitError) when an input exceeds a limit: archive depth,
	// members or expanded size, a metadata file's size, a field's size, the number of packages
	// or relationships, or the size of the document.
	ErrLimit = errors.New("SBOM limit exceeded")
	// ErrUnsafeArchive is returned for a member name or link that escapes the archive root.
	ErrUnsafeArchive = errors.New("unsafe archive member")
	// ErrNoDigest is returned for a subject without a sha256 digest and without a file to digest.
	ErrNoDigest = errors.New("subject has no sha256 digest")
)

// Names of the limits a LimitError reports. A LimitError gives no advice: the caller says how
// its user may raise a limit (signet sbom's --max-depth, --max-members and
// --max-expanded-bytes share these names), or that the limit is fixed.
const (
	LimitDepth         = "max-depth"
	LimitMembers       = "max-members"
	LimitExpandedBytes = "max-expanded-bytes"
	LimitMetadataBytes = "max-metadata-bytes"
	LimitManifestBytes = "max-manifest-bytes"
	LimitFieldBytes    = "max-field-bytes"
	LimitTextBytes     = "max-text-bytes"
	LimitPackages      = "max-packages"
	LimitRelations     = "max-relationships"
	LimitOutputBytes   = "max-output-bytes"
	// LimitIndexDepth is fixed: image indexes nest at most 4 deep.
	LimitIndexDepth = "image-index-depth"
	// LimitNesting is fixed: arrays and tables of a lock file nest at most 32 deep.
	LimitNesting = "lock-file-nesting"
)

// LimitError is a limit breached while cataloging or writing a subject's SBOM. It matches
// ErrLimit with errors.Is; callers that let users raise a limit branch on Limit.
type LimitError struct {
	// Limit names the limit (one of the Limit* constants).
	Limit string
	// Max is the limit's value.
	Max int64
	// Where is the input at fault: the subject, then the chain of archive members down to the
	// file, joined by "!/" ("app.tar.gz!/node_modules/x/package.json").
	Where string
	// Detail says what exceeded the limit, in words ("package name is 62914560 bytes").
	Detail string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%v: %s: %s (limit %s is %d)", ErrLimit, e.Where, e.Detail, e.Limit, e.Max)
}

// Is reports whether target is ErrLimit.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

package sbom

import "errors"

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrUnsupportedFormat is returned for an SBOM format other than spdx-json or cyclonedx-json.
	ErrUnsupportedFormat = errors.New("unsupported SBOM format")
	// ErrLimit is returned when an archive exceeds a depth, member or size limit.
	ErrLimit = errors.New("archive limit exceeded")
	// ErrUnsafeArchive is returned for a member name or link that escapes the archive root.
	ErrUnsafeArchive = errors.New("unsafe archive member")
	// ErrNoDigest is returned for a subject without a sha256 digest and without a file to digest.
	ErrNoDigest = errors.New("subject has no sha256 digest")
)

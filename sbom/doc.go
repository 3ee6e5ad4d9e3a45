// Package sbom catalogs what is inside a build output and writes it as an SPDX 2.3 or a
// CycloneDX 1.6 JSON document.
//
// The artifact itself is the primary package (CycloneDX: metadata.component), carrying the
// same sha256 as its in-toto subject. Catalogers find, in priority order: Go binaries (module
// build information), archives (tar, tar.gz, tar.zst, tar.xz, tar.bz2, zip) walked member by
// member within limits on depth, member count, expanded bytes and names, container image
// tarballs (docker-archive, OCI layout and OCI archive) squashed with whiteouts, dpkg and apk
// databases, installed npm, Python and Java packages, npm lock files, and .deb and .rpm
// package files with their payload. Every package is identified by a package URL. The rpm
// database of an installed system (Berkeley DB, ndb or SQLite) is not read.
//
// Archives are read as streams and never extracted to disk (an OCI archive's blobs are the
// one exception, copied by digest name into a private temporary directory); a name that
// escapes the archive root, a link pointing out of it, or a limit exceeded is refused with an
// error that names the archive, the member and the limit.
package sbom

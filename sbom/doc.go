// Package sbom catalogs what is inside a build output and writes it as an SPDX 2.3 or a
// CycloneDX 1.6 JSON document.
//
// The artifact itself is the primary package (CycloneDX: metadata.component), carrying the
// same sha256 as its in-toto subject. Catalogers find, in priority order: Go binaries (module
// build information), archives (tar, tar.gz, tar.zst, tar.xz, tar.bz2, zip) walked member by
// member within limits on depth, member count, expanded bytes and names, container image
// tarballs (docker-archive, OCI layout and OCI archive) squashed with whiteouts, dpkg and apk
// databases, installed npm, Python and Java packages, npm lock files, and .deb and .rpm
// package files with their payload. A directory is an OCI image layout when it has an
// oci-layout file; any other directory is a workspace, whose installed packages and lock files
// and manifests (go.mod/go.sum, package-lock.json, pnpm-lock.yaml, yarn.lock,
// requirements*.txt, poetry.lock, uv.lock, Cargo.lock, pom.xml, Gemfile.lock) are cataloged,
// packages only declared being marked signet:declared-only. Every package is identified by a
// package URL. The rpm
// database of an installed system (Berkeley DB, ndb or SQLite) is not read.
//
// Archives are read as streams and never extracted to disk (an OCI archive's blobs are the
// one exception, copied by digest name into a private temporary directory); a name that
// escapes the archive root or a link pointing out of it is refused with an error that names
// the archive and the member.
//
// Everything read is bounded, so hostile input costs bounded memory and time: archive depth,
// members and expanded bytes; the size of each metadata file (a database or lock file, or a
// file describing one package); each field of a package (names, versions, purls, suppliers,
// file names; descriptions and license text); the number of packages and relationships; and
// the document itself, which is refused before it is built when its estimate is over the
// limit (by default 64 MiB, so that a signed document stays within what signet verify
// reads). A breach is a *LimitError naming the limit and the file inside the archive
// ("app.tar.gz!/node_modules/x/package.json"); with WithTruncation an oversized field is
// cut and marked instead, and the document says how many were.
package sbom

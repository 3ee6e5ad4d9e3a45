// Package core holds signet's domain types and its attest pipeline: collecting build outputs
// (files, globs, directories, checksum files, name@digest pairs), digesting them in parallel,
// assembling in-toto Statements, signing them through a Signer, and writing Sigstore bundles
// and an index atomically.
//
// core knows nothing about any CI system or Sigstore client: adapters translate their
// platform's inputs into a Request, and core/sigstore supplies the Signer.
package core

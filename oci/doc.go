// Package oci is signet's registry client: it resolves an image reference to the digest a
// registry serves for it, attaches Sigstore bundles to an image as OCI 1.1 referrers, and
// discovers them again.
//
// Bundles are attached the way actions/attest (through @sigstore/oci) and cosign v3 attach
// them, so their verifiers find signet's and signet finds theirs: an OCI image manifest whose
// artifactType is the bundle's media type, whose config is the empty descriptor, whose one
// layer is the bundle, whose subject is the image, with the annotations
// dev.sigstore.bundle.content, dev.sigstore.bundle.predicateType and
// org.opencontainers.image.created (sigstore-js packages/oci/src/image.ts, buildManifest and
// addArtifact; actions/attest passes the bundle's mediaType and the two dev.sigstore.bundle
// annotations; cosign's BUNDLE_SPEC). Where a registry has no referrers API (GHCR and the
// distribution registry answer 404) the referrers tag schema is kept instead: an image index
// tagged sha256-<hex> listing each artifact's descriptor with its artifactType and annotations.
//
// Every read from a registry is bounded, every request goes through internal/backoff, and
// credentials come from a go-containerregistry keychain or explicit per-registry credentials;
// errors name the registry, repository and the source of the credentials, never their values.
package oci

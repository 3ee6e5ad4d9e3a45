// Package keys resolves the --key references of signet attest and the public keys of signet
// verify: a PEM file path, a cloud KMS key (awskms://, gcpkms://, azurekms://, hashivault://, in
// the URI forms cosign documents, served by sigstore's own KMS signer modules) or a PKCS#11
// token key (an RFC 7512 pkcs11: URI, built with the pkcs11 build tag). A KMS or HSM key never
// leaves its service: Open returns a crypto.Signer that sends each digest to it, under a
// per-call timeout and a bounded retry that name the service when they give up.
//
// The cloud SDKs read their own configuration (AWS_REGION, AWS_ENDPOINT_URL_KMS, credentials
// chains, VAULT_ADDR, GOOGLE_APPLICATION_CREDENTIALS, ...) as cosign's do; this package itself
// reads no environment variable.
package keys

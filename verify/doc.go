// Package verify checks Sigstore bundles (signet's, and any other client's attestations and
// message signatures, v0.1 to v0.3) the way a release manager needs: the
// signature and timestamps against a trusted root (through core/sigstore), the signer's
// identity against a policy that reads the same on GitHub, GitLab and Kubernetes
// certificates, and the signed provenance against both the policy and its own certificate.
// It renders the verdicts as text, JSON or Markdown and can summarise them in a SLSA
// Verification Summary Attestation.
//
// Nothing here touches the network: trusted material is loaded by the caller and handed in.
package verify

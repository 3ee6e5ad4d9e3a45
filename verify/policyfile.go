package verify

import (
	"bytes"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// maxPolicySize bounds a policy file: a policy is a few hundred bytes.
const maxPolicySize = 1 << 20

// LocalIssuerRegexp matches the OIDC issuers of a local Sigstore (localsigstore), which serve
// every preset at http://127.0.0.1:PORT/oidc/PRESET.
const LocalIssuerRegexp = `^http://127\.0\.0\.1:[0-9]+/oidc/[a-z]+$`

// LocalDefault is the identity policy used with a local Sigstore when none is given: any
// identity its own issuers certify. Nowhere else is there a default.
func LocalDefault() Identity {
	return Identity{IssuerRegexp: LocalIssuerRegexp, SubjectRegexp: `^.+$`}
}

// ReadPolicy reads a YAML (or JSON) policy file. Unknown fields are errors, so a typo in a
// release's policy cannot silently drop a requirement.
func ReadPolicy(path string) (Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("reading policy file %q: %w", path, err)
	}
	p, err := ParsePolicy(b)
	if err != nil {
		return Policy{}, fmt.Errorf("policy file %q: %w", path, err)
	}
	return p, nil
}

// ParsePolicy decodes a policy document and checks that its fields are well-formed. It does not
// require an identity: flags may complete it; Compile does that check.
func ParsePolicy(b []byte) (Policy, error) {
	if len(b) > maxPolicySize {
		return Policy{}, fmt.Errorf("%w: %d bytes, more than the %d a policy may have", ErrInvalidPolicy, len(b), maxPolicySize)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return Policy{}, fmt.Errorf("%w: the document is empty", ErrInvalidPolicy)
	}
	var p Policy
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		return Policy{}, fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	if p.Version != 0 && p.Version != 1 {
		return Policy{}, fmt.Errorf("%w: version %d, expected 1", ErrInvalidPolicy, p.Version)
	}
	if _, err := p.Identity.Expand(); err != nil {
		return Policy{}, err
	}
	if err := checkGlobs(p); err != nil {
		return Policy{}, err
	}
	for what, re := range map[string]string{"issuerRegexp": p.Identity.IssuerRegexp, "identityRegexp": p.Identity.SubjectRegexp} {
		if _, err := compileRegexp(what, re); err != nil {
			return Policy{}, err
		}
	}
	return p, nil
}

package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/signet-ci/signet/core"
)

// VSAPredicateType is SLSA's Verification Summary Attestation v1.
const VSAPredicateType = "https://slsa.dev/verification_summary/v1"

// DefaultVerifierID identifies signet as the verifier in VSAs.
const DefaultVerifierID = "https://github.com/signet-ci/signet"

// VSA verdicts and levels.
const (
	VSAPassed     = "PASSED"
	VSAFailed     = "FAILED"
	BuildLevel1   = "SLSA_BUILD_LEVEL_1"
	BuildLevel2   = "SLSA_BUILD_LEVEL_2"
	hostedSuffix  = "-hosted"
	selfHostedEnv = "self-hosted"
)

// VSAOptions describes the verifier and the policy in a VSA.
type VSAOptions struct {
	// VerifierID defaults to DefaultVerifierID; Version is signet's version.
	VerifierID string
	Version    string
	// ResourceURI names what was verified (a release URL, an image); it defaults to the only
	// artifact's name, or "signet-verify:" followed by the artifact names.
	ResourceURI string
	// PolicyURI names the policy file; the policy's digest is always recorded.
	PolicyURI string
	// Now is the verification time (time.Now when nil).
	Now func() time.Time
}

type vsaPredicate struct {
	Verifier           vsaVerifier       `json:"verifier"`
	TimeVerified       string            `json:"timeVerified"`
	ResourceURI        string            `json:"resourceUri"`
	Policy             descriptor        `json:"policy"`
	InputAttestations  []descriptor      `json:"inputAttestations,omitempty"`
	VerificationResult string            `json:"verificationResult"`
	VerifiedLevels     []string          `json:"verifiedLevels"`
	DependencyLevels   map[string]uint64 `json:"dependencyLevels,omitempty"`
	SlsaVersion        string            `json:"slsaVersion"`
}

type vsaVerifier struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

type descriptor struct {
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
}

// VSAStatement summarises r in an in-toto statement with a SLSA VSA v1 predicate whose
// subjects are every artifact verified: PASSED only when all passed.
func VSAStatement(r *Report, o VSAOptions) ([]byte, error) {
	if len(r.Artifacts) == 0 {
		return nil, fmt.Errorf("VSA: %w", ErrNoArtifacts)
	}
	pred, err := vsaPredicateOf(r, o)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(pred)
	if err != nil {
		return nil, fmt.Errorf("encoding the VSA: %w", err)
	}
	subjects := make([]core.Subject, 0, len(r.Artifacts))
	for _, a := range r.Artifacts {
		alg, h, err := core.ParseDigest(a.Digest)
		if err != nil {
			return nil, fmt.Errorf("VSA subject %q: %w", a.Name, err)
		}
		subjects = append(subjects, core.Subject{Name: a.Name, Digest: map[string]string{alg: h}})
	}
	sts, err := core.Statements(subjects, core.Predicate{Type: VSAPredicateType, JSON: b}, len(subjects))
	if err != nil {
		return nil, fmt.Errorf("VSA statement: %w", err)
	}
	return sts[0], nil
}

func vsaPredicateOf(r *Report, o VSAOptions) (vsaPredicate, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	pol, err := json.Marshal(r.Policy)
	if err != nil {
		return vsaPredicate{}, fmt.Errorf("encoding the policy for the VSA: %w", err)
	}
	p := vsaPredicate{
		Verifier:     vsaVerifier{ID: firstOf(o.VerifierID, DefaultVerifierID)},
		TimeVerified: now().UTC().Format(time.RFC3339),
		ResourceURI:  firstOf(o.ResourceURI, resourceURI(r)),
		Policy:       descriptor{URI: o.PolicyURI, Digest: map[string]string{core.SHA256: sha256Hex(pol)}},
		SlsaVersion:  "1.0",
	}
	if o.Version != "" {
		p.Verifier.Version = map[string]string{"signet": o.Version}
	}
	p.VerificationResult, p.VerifiedLevels = verdict(r)
	p.InputAttestations = inputs(r)
	return p, nil
}

// verdict is the VSA result and levels: BUILD_LEVEL_2 when every artifact's provenance was
// signed by a hosted runner's certificate, BUILD_LEVEL_1 otherwise.
func verdict(r *Report) (string, []string) {
	if !r.Verified {
		return VSAFailed, []string{VSAFailed}
	}
	if r.PredicateType != core.ProvenancePredicateType || messageSigned(r) > 0 {
		return VSAPassed, []string{} // no provenance verified for every artifact: no build level
	}
	for _, a := range r.Artifacts {
		env := ""
		if a.Signer != nil {
			env = a.Signer.RunnerEnvironment
		}
		if !strings.HasSuffix(env, hostedSuffix) || env == selfHostedEnv {
			return VSAPassed, []string{BuildLevel1}
		}
	}
	return VSAPassed, []string{BuildLevel2}
}

func inputs(r *Report) []descriptor {
	seen := map[string]bool{}
	var out []descriptor
	for _, a := range r.Artifacts {
		if a.Bundle == "" || a.BundleDigest == "" || seen[a.Bundle] {
			continue
		}
		seen[a.Bundle] = true
		alg, h, _ := strings.Cut(a.BundleDigest, ":")
		out = append(out, descriptor{URI: a.Bundle, Digest: map[string]string{alg: h}})
	}
	return out
}

func resourceURI(r *Report) string {
	if len(r.Artifacts) == 1 {
		return r.Artifacts[0].Name
	}
	names := make([]string, 0, len(r.Artifacts))
	for _, a := range r.Artifacts {
		names = append(names, a.Name)
	}
	return "signet-verify:" + strings.Join(names, ",")
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// WriteVSA signs the VSA of r with signer (keyless or key-based, as for attest) and writes
// the bundle atomically to path.
func WriteVSA(ctx context.Context, signer core.Signer, r *Report, o VSAOptions, path string) (*core.Bundle, error) {
	st, err := VSAStatement(r, o)
	if err != nil {
		return nil, err
	}
	b, err := signer.SignStatement(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("signing the VSA: %w", err)
	}
	if err := core.WriteFileAtomic(path, b.JSON, 0o644); err != nil {
		return nil, fmt.Errorf("writing the VSA: %w", err)
	}
	return b, nil
}

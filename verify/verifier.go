package verify

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"golang.org/x/sync/errgroup"

	"github.com/signet-ci/signet/core"
)

// BundleVerifier checks a bundle cryptographically for one artifact digest: the DSSE
// signature, the certificate chain to the trusted root, the timestamps (the certificate must
// be valid at a verified time) and the log entries. core/sigstore's Verifier does it through
// the adapter in sigstore.go.
type BundleVerifier interface {
	VerifyBundle(ctx context.Context, bundle []byte, digestAlg, digestHex string) (*Verified, error)
}

// Verified is what a cryptographically verified bundle says.
type Verified struct {
	Statement     []byte
	PredicateType string
	Subjects      []core.Subject
	// Certificate is the verified signing certificate's summary; nil for key-signed bundles.
	Certificate *certificate.Summary
	Timestamps  []Timestamp
	LogEntries  []LogEntry
}

// Verifier checks artifacts against their bundles and a policy, many at once.
type Verifier struct {
	bundles BundleVerifier
	policy  *Compiled
	source  Source
	workers int
	files   sync.Map // path → *cachedFile
}

// Option configures a Verifier.
type Option func(*Verifier) error

// WithWorkers bounds how many artifacts are verified at once (default GOMAXPROCS).
func WithWorkers(n int) Option {
	return func(v *Verifier) error {
		if n < 1 {
			return fmt.Errorf("verify workers: %d is not a positive number", n)
		}
		v.workers = n
		return nil
	}
}

// New returns a Verifier that finds bundles in src, checks them with bv and applies policy.
func New(bv BundleVerifier, policy *Compiled, src Source, opts ...Option) (*Verifier, error) {
	if bv == nil || policy == nil || src == nil {
		return nil, errors.New("verify: a bundle verifier, a compiled policy and a bundle source are required")
	}
	v := &Verifier{bundles: bv, policy: policy, source: src, workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Verify checks every artifact and returns the report. Rejections are verdicts in the report,
// not errors; an error means the run itself failed (a canceled context).
func (v *Verifier) Verify(ctx context.Context, artifacts []core.Subject) (*Report, error) {
	results := make([]*Result, len(artifacts))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(v.workers)
	for i, a := range artifacts {
		g.Go(func() error {
			r, err := v.verifyArtifact(ctx, a)
			results[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return newReport(v.policy.Policy, results), nil
}

func (v *Verifier) verifyArtifact(ctx context.Context, a core.Subject) (*Result, error) {
	res := &Result{Name: a.Name, Digest: digestString(a)}
	pt := v.policy.Policy.Provenance.PredicateType
	paths, err := v.source.Bundles(ctx, a, pt)
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		res.Failure = &Failure{Check: CheckInput, Field: "bundle", Expected: pt, Reason: "no bundle with this predicate type names " + res.Digest}
		return res, nil
	}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ok := v.verifyWith(ctx, a, p, res)
		if ok {
			return res, nil
		}
	}
	return res, nil
}

// verifyWith tries one bundle; on success it fills res, on failure it records why.
func (v *Verifier) verifyWith(ctx context.Context, a core.Subject, path string, res *Result) bool {
	vb, facts, fail := v.check(ctx, a, path)
	if fail != nil {
		if res.Failure == nil {
			res.Bundle, res.Failure = path, fail
		} else {
			res.Rejected = append(res.Rejected, Rejection{Bundle: path, Failure: fail})
		}
		return false
	}
	if res.Failure != nil {
		res.Rejected = append(res.Rejected, Rejection{Bundle: res.Bundle, Failure: res.Failure})
	}
	res.Verified, res.Bundle, res.Failure = true, path, nil
	if c, ok := v.files.Load(path); ok {
		res.BundleDigest = c.(*cachedFile).digest
	}
	res.Timestamps, res.LogEntries = vb.Timestamps, vb.LogEntries
	if vb.Certificate != nil {
		s := SignerOf(*vb.Certificate)
		res.Signer = &s
	}
	if facts.BuildType != "" || facts.BuilderID != "" {
		res.Provenance = &facts
	}
	return true
}

// check runs every check of one bundle for one artifact, in order, and stops at the first failure.
func (v *Verifier) check(ctx context.Context, a core.Subject, path string) (*Verified, Facts, *Failure) {
	raw, info, fail := v.load(path)
	if fail != nil {
		return nil, Facts{}, fail
	}
	alg, h := preferredDigest(a)
	vb, err := v.bundles.VerifyBundle(ctx, raw, alg, h)
	if err != nil {
		return nil, Facts{}, classify(err, a, info)
	}
	return v.checkPolicy(vb)
}

// checkPolicy applies the policy to a cryptographically verified bundle.
func (v *Verifier) checkPolicy(vb *Verified) (*Verified, Facts, *Failure) {
	pol := v.policy.Policy
	if vb.PredicateType != pol.Provenance.PredicateType {
		return nil, Facts{}, mismatch(CheckPredicateType, "predicateType", pol.Provenance.PredicateType, vb.PredicateType, "")
	}
	var facts Facts
	if vb.PredicateType == core.ProvenancePredicateType {
		var err error
		if facts, err = ExtractFacts(vb.Statement); err != nil {
			return nil, Facts{}, &Failure{Check: CheckProvenance, Reason: err.Error()}
		}
	}
	switch {
	case vb.Certificate == nil && !v.policy.keyOnly:
		return nil, Facts{}, &Failure{Check: CheckIdentity, Field: "certificate",
			Reason: "the bundle is signed with a key, not a Fulcio certificate, and no public key is trusted"}
	case vb.Certificate == nil:
		if f := v.policy.matchProvenance(facts); f != nil {
			return nil, Facts{}, f
		}
		return vb, facts, nil
	case v.policy.keyOnly:
		return nil, Facts{}, &Failure{Check: CheckIdentity, Field: "certificate",
			Reason: "the bundle is signed with a certificate, but the policy pins a public key and names no certificate identity"}
	}
	// Identity is decided by the certificate alone; the predicate is only evidence that must agree.
	if f := v.policy.matchIdentity(SignerOf(*vb.Certificate)); f != nil {
		return nil, Facts{}, f
	}
	if f := matchConsistency(*vb.Certificate, facts); f != nil {
		return nil, Facts{}, f
	}
	if f := v.policy.matchProvenance(facts); f != nil {
		return nil, Facts{}, f
	}
	return vb, facts, nil
}

func preferredDigest(a core.Subject) (alg, hex string) {
	alg, hex, _ = strings.Cut(digestString(a), ":")
	return alg, hex
}

// cachedFile is a bundle file read and parsed once, however many artifacts it covers.
type cachedFile struct {
	once   sync.Once
	raw    []byte
	digest string
	info   *BundleInfo
	fail   *Failure
}

func (v *Verifier) load(path string) ([]byte, *BundleInfo, *Failure) {
	c, _ := v.files.LoadOrStore(path, &cachedFile{})
	cf := c.(*cachedFile)
	cf.once.Do(func() {
		b, err := ReadBundleFile(path)
		if err != nil {
			cf.fail = &Failure{Check: CheckBundle, Reason: err.Error()}
			return
		}
		info, err := ParseBundle(b)
		if err != nil {
			cf.fail = &Failure{Check: CheckBundle, Reason: fmt.Sprintf("%s: %v", path, err)}
			return
		}
		cf.raw, cf.info, cf.digest = b, info, core.SHA256+":"+sha256Hex(b)
	})
	return cf.raw, cf.info, cf.fail
}

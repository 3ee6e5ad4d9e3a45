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

// BundleVerifier checks a bundle cryptographically, once for every artifact it covers: the
// DSSE signature, the certificate chain to the trusted root, the timestamps (the certificate
// must be valid at a verified time) and the log entries. It does not match artifacts: the
// Verifier matches each artifact's digest against Verified.Subjects, which must be read from
// the DSSE payload the verified signature covers. core/sigstore's Verifier does it through
// the adapter in sigstore.go.
type BundleVerifier interface {
	VerifyBundle(ctx context.Context, bundle []byte) (*Verified, error)
}

// MessageVerifier verifies message-signature bundles (cosign sign-blob and other clients),
// which sign one artifact's digest and hold no statement, so they are verified per artifact:
// the verifier checks the signature against the artifact itself (its file when it has a
// Path, else its digest), never against the digest the bundle states. core/sigstore's
// Verifier does it through the adapter in sigstore.go; a BundleVerifier without it refuses
// message signatures.
type MessageVerifier interface {
	VerifyMessage(ctx context.Context, bundle []byte, artifact core.Subject) (*Verified, error)
}

// Verified is what a cryptographically verified bundle says.
type Verified struct {
	Statement     []byte
	PredicateType string
	Subjects      []core.Subject
	// MessageDigest is the artifact digest a verified message signature covers; nil for an
	// attestation. A message signature has no statement, so no provenance.
	MessageDigest *Digest
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
	names   func(key string) string
}

// verifyRun is one call of Verify: bundle files are read, verified and checked against the
// policy once per run, and nothing is kept between runs (a file changed since, or a run
// canceled half-way, does not decide the next one).
type verifyRun struct {
	*Verifier
	files sync.Map // path → *cachedFile
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

// WithFieldNames names policy fields in reports with name(key), key being the policy file's
// dotted key ("provenance.builderID"): the verify command passes its flag names. The default
// is FileKey.
func WithFieldNames(name func(key string) string) Option {
	return func(v *Verifier) error {
		if name == nil {
			return errors.New("verify field names: nil function")
		}
		v.names = name
		return nil
	}
}

// New returns a Verifier that finds bundles in src, checks them with bv and applies policy.
func New(bv BundleVerifier, policy *Compiled, src Source, opts ...Option) (*Verifier, error) {
	if bv == nil || policy == nil || src == nil {
		return nil, errors.New("verify: a bundle verifier, a compiled policy and a bundle source are required")
	}
	v := &Verifier{bundles: bv, policy: policy, source: src, workers: runtime.GOMAXPROCS(0), names: FileKey}
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
	run := &verifyRun{Verifier: v}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(v.workers)
	for i, a := range artifacts {
		g.Go(func() error {
			r, err := run.verifyArtifact(ctx, a)
			results[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return newReport(v.policy.Policy, results), nil
}

func (v *verifyRun) verifyArtifact(ctx context.Context, a core.Subject) (*Result, error) {
	res := &Result{Name: a.Name, Digest: digestString(a)}
	if as, ok := v.source.(algorithmSource); ok {
		var err error
		if a, err = redigest(ctx, a, as.Algorithms()); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, cerr
			}
			res.Failure = &Failure{Check: CheckInput, Field: "artifact", Reason: err.Error()}
			return res, nil
		}
	}
	pt := v.policy.Policy.Provenance.PredicateType
	paths, err := v.source.Bundles(ctx, a, pt)
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		res.Failure = &Failure{Check: CheckInput, Field: "bundle", Expected: pt, Reason: "no bundle with this predicate type names " + res.Digest}
		return res, nil
	}
	for _, p := range v.candidates(a, pt, paths) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if v.verifyWith(ctx, &a, p, res) {
			break
		}
	}
	return res, ctx.Err()
}

// candidates narrows the bundles a source found (every --bundle file is found for every
// artifact) to those whose statement, as parsed and not yet verified, names the artifact with
// the policy's predicate type; when none does, all are tried, so the report says why each
// fails. This only chooses what is tried and reported: a bundle passes an artifact only
// through its verified statement. It keeps a report linear in artifacts when many bundle
// files are given, instead of listing every other bundle as a rejection of every artifact.
//
// Message signatures that name the artifact come after the attestations: one carries no
// provenance, so an attestation that verifies is the better answer.
func (v *verifyRun) candidates(a core.Subject, predicateType string, paths []string) []string {
	if len(paths) < 2 {
		return paths
	}
	var named, messages []string
	for _, p := range paths {
		cf := v.file(p)
		switch {
		case cf.fail != nil || !cf.claims.names(a):
		case cf.info.IsMessage():
			messages = append(messages, p)
		case cf.info.PredicateType == predicateType:
			named = append(named, p)
		}
	}
	if named = append(named, messages...); len(named) == 0 {
		return paths
	}
	return named
}

// verifyWith tries one bundle; on success it fills res, on failure it records why.
func (v *verifyRun) verifyWith(ctx context.Context, a *core.Subject, path string, res *Result) bool {
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
	res.BundleDigest = v.file(path).digest
	if vb.MessageDigest != nil {
		res.Kind = KindMessageSignature
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

// check runs every check of one bundle for one artifact, in order, and stops at the first
// failure. Reading, verifying and the policy are done once per bundle, whatever the number of
// artifacts it covers; only the digest match is per artifact, and it is a map lookup.
func (v *verifyRun) check(ctx context.Context, a *core.Subject, path string) (*Verified, Facts, *Failure) {
	cf := v.file(path)
	if cf.fail == nil && cf.info.IsMessage() {
		return v.checkMessage(ctx, a, cf)
	}
	if fail := v.verified(ctx, cf); fail != nil {
		return nil, Facts{}, fail
	}
	if fail := cf.subjects.matchArtifact(ctx, a); fail != nil {
		return nil, Facts{}, fail
	}
	return cf.vb, cf.facts, cf.policyFail
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
	if f := v.checkSigner(vb); f != nil {
		return nil, Facts{}, f
	}
	if vb.Certificate != nil {
		if f := matchConsistency(*vb.Certificate, facts); f != nil {
			return nil, Facts{}, f
		}
	}
	if f := v.policy.matchProvenance(facts); f != nil {
		return nil, Facts{}, f
	}
	return vb, facts, nil
}

// checkSigner applies the identity policy to a verified bundle's signer: a pinned key takes
// key-signed bundles only, an identity policy certificates whose fields match it. Identity is
// decided by the certificate alone; a predicate is only evidence that must agree.
func (v *Verifier) checkSigner(vb *Verified) *Failure {
	switch {
	case vb.Certificate == nil && !v.policy.keyOnly:
		return &Failure{Check: CheckIdentity, Field: "certificate",
			Reason: "the bundle is signed with a key, not a Fulcio certificate, and no public key is trusted"}
	case vb.Certificate == nil:
		return nil
	case v.policy.keyOnly:
		return &Failure{Check: CheckIdentity, Field: "certificate",
			Reason: "the bundle is signed with a certificate, but the policy pins a public key and names no certificate identity"}
	}
	return v.policy.matchIdentity(SignerOf(*vb.Certificate))
}

// checkMessage verifies a message-signature bundle for one artifact and applies the policy:
// the identity rules of attestations, and no provenance requirement, since the bundle carries
// none. A digest the bundle states that is not the artifact's is refused at once; only the
// verifier's check against the artifact itself accepts.
func (v *verifyRun) checkMessage(ctx context.Context, a *core.Subject, cf *cachedFile) (*Verified, Facts, *Failure) {
	if f := v.refuseProvenance(); f != nil {
		return nil, Facts{}, f
	}
	md := cf.info.MessageDigest
	if h := a.Digest[md.Algorithm]; h != "" && !strings.EqualFold(h, md.Hex) {
		return nil, Facts{}, mismatch(CheckSubject, "digest", md.String(), md.Algorithm+":"+strings.ToLower(h),
			"the message signature signs another digest: the artifact was modified or replaced, or the bundle is another artifact's")
	}
	mv, ok := v.bundles.(MessageVerifier)
	if !ok {
		return nil, Facts{}, &Failure{Check: CheckBundle, Reason: "this verifier does not verify message-signature bundles"}
	}
	vb, err := mv.VerifyMessage(ctx, cf.raw, *a)
	if err != nil {
		return nil, Facts{}, classify(err)
	}
	if vb.MessageDigest == nil {
		return nil, Facts{}, &Failure{Check: CheckBundle, Reason: "the verifier returned no verified message digest"}
	}
	if f := v.checkSigner(vb); f != nil {
		return nil, Facts{}, f
	}
	return vb, Facts{}, nil
}

// refuseProvenance fails a message signature when the policy asks anything of provenance,
// naming each requirement: such a bundle carries none, and a requirement is never dropped
// silently.
func (v *Verifier) refuseProvenance() *Failure {
	keys := v.policy.provenanceKeys
	if len(keys) == 0 {
		return nil
	}
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = v.names(k)
	}
	list := strings.Join(names, ", ")
	return &Failure{Check: CheckProvenance, Field: list,
		Reason: "the bundle is a message signature (a signed artifact digest, as cosign sign-blob writes): it carries no provenance, so " +
			list + " cannot be checked against it; verify without " + list + " to check the signature and the signer only, or give the attestation that carries the provenance"}
}

// cachedFile is a bundle file read, parsed, verified and checked against the policy once,
// however many artifacts it covers.
type cachedFile struct {
	path   string
	once   sync.Once
	raw    []byte
	digest string
	info   *BundleInfo
	claims *subjectIndex // info's subjects, unverified: to choose bundles, never to accept
	fail   *Failure

	verifyOnce sync.Once
	verifyFail *Failure
	vb         *Verified
	subjects   *subjectIndex
	facts      Facts
	policyFail *Failure
}

// file returns the cache entry of path, read and parsed.
func (v *verifyRun) file(path string) *cachedFile {
	c, _ := v.files.LoadOrStore(path, &cachedFile{path: path})
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
		cf.claims = newSubjectIndex(info.claimed())
	})
	return cf
}

// verified verifies the bundle cryptographically and applies the policy to it, once; it
// returns the failure of the first, and leaves the policy's outcome in cf.
func (v *verifyRun) verified(ctx context.Context, cf *cachedFile) *Failure {
	if cf.fail != nil {
		return cf.fail
	}
	cf.verifyOnce.Do(func() {
		vb, err := v.bundles.VerifyBundle(ctx, cf.raw)
		cf.raw = nil // verified once: the bytes are not needed again
		if err != nil {
			cf.verifyFail = classify(err)
			return
		}
		cf.subjects = newSubjectIndex(vb.Subjects)
		cf.vb, cf.facts, cf.policyFail = v.checkPolicy(vb)
	})
	return cf.verifyFail
}

// subjectIndex finds an artifact among a verified statement's subjects by digest in O(1).
type subjectIndex struct {
	subjects []core.Subject
	byDigest map[string][]int // alg:lower-hex → subjects
	byBase   map[string][]int // last segment of the name → subjects
	algs     []string         // algorithms the subjects use, sorted
}

func newSubjectIndex(subjects []core.Subject) *subjectIndex {
	x := &subjectIndex{subjects: subjects, byDigest: make(map[string][]int, len(subjects)), byBase: make(map[string][]int, len(subjects))}
	algs := map[string]bool{}
	for i, s := range subjects {
		for alg, h := range s.Digest {
			k := alg + ":" + strings.ToLower(h)
			x.byDigest[k] = append(x.byDigest[k], i)
			algs[alg] = true
		}
		x.byBase[baseName(s.Name)] = append(x.byBase[baseName(s.Name)], i)
	}
	x.algs = sortedKeys(algs)
	return x
}

// matchArtifact requires a subject whose digests agree with every digest of a that both have.
// An artifact file is digested again first when it shares no algorithm with the statement (a
// run attested with --digest-algorithm sha512), so an unchanged file passes.
func (x *subjectIndex) matchArtifact(ctx context.Context, a *core.Subject) *Failure {
	if !x.sharesAlgorithm(a.Digest) && a.Path != "" {
		b, err := redigest(ctx, *a, x.algs)
		if err != nil {
			return &Failure{Check: CheckInput, Field: "artifact", Reason: err.Error()}
		}
		*a = b
	}
	for alg, h := range a.Digest {
		for _, i := range x.byDigest[alg+":"+strings.ToLower(h)] {
			if digestsAgree(x.subjects[i].Digest, a.Digest) {
				return nil
			}
		}
	}
	return x.explain(*a)
}

// names reports whether a subject has one of a's digests or a's name.
func (x *subjectIndex) names(a core.Subject) bool {
	for alg, h := range a.Digest {
		if len(x.byDigest[alg+":"+strings.ToLower(h)]) > 0 {
			return true
		}
	}
	for _, i := range x.byBase[baseName(a.Name)] {
		if sameName(x.subjects[i].Name, a.Name) {
			return true
		}
	}
	return false
}

func (x *subjectIndex) sharesAlgorithm(d map[string]string) bool {
	for _, alg := range x.algs {
		if d[alg] != "" {
			return true
		}
	}
	return false
}

// digestsAgree reports whether every algorithm in both sets has the same value.
func digestsAgree(a, b map[string]string) bool {
	for alg, h := range a {
		if o, ok := b[alg]; ok && !strings.EqualFold(h, o) {
			return false
		}
	}
	return true
}

// explain says why a is not among the subjects: a subject of the same name with another
// digest means the artifact changed after signing; one whose digests use only other
// algorithms cannot be compared.
func (x *subjectIndex) explain(a core.Subject) *Failure {
	got := digestString(a)
	var other *core.Subject
	for _, i := range x.byBase[baseName(a.Name)] {
		s := x.subjects[i]
		if !sameName(s.Name, a.Name) {
			continue
		}
		for _, alg := range sortedKeys(boolKeys(s.Digest)) {
			if h := a.Digest[alg]; h != "" {
				return mismatch(CheckSubject, "digest of "+a.Name, alg+":"+s.Digest[alg], alg+":"+h,
					"the artifact differs from the one signed: it was modified or replaced after signing")
			}
		}
		other = &s
	}
	if other != nil {
		want, have := strings.Join(sortedKeys(boolKeys(other.Digest)), ", "), strings.Join(sortedKeys(boolKeys(a.Digest)), ", ")
		return mismatch(CheckSubject, "digest algorithm of "+a.Name, want, have,
			fmt.Sprintf("digest algorithm mismatch: statement has %s, artifact digested with %s; give the artifact's file, or its digest as %s:HEX", want, have, strings.SplitN(want, ", ", 2)[0]))
	}
	return &Failure{Check: CheckSubject, Field: "digest", Found: got,
		Reason: fmt.Sprintf("%s is not among the %d subject(s) the bundle's statement signs", got, len(x.subjects))}
}

package core

// Phase names a timed part of a run.
type Phase string

// The phases of attest and verify runs, in the order they usually happen.
const (
	// PhaseSetup is reading the trust material, opening the signing session and the output.
	PhaseSetup Phase = "setup"
	// PhaseCollect is resolving inputs (paths, globs, checksum files, refs) into subjects.
	PhaseCollect Phase = "collect"
	// PhaseDigest is hashing file contents.
	PhaseDigest Phase = "digest"
	// PhasePredicate is building provenance and SBOMs and assembling statements.
	PhasePredicate Phase = "predicate"
	// PhaseCertificate is obtaining the identity token and the Fulcio certificate.
	PhaseCertificate Phase = "certificate"
	// PhaseSign is DSSE signing, bundle assembly and the bundle's self-check.
	PhaseSign Phase = "sign"
	// PhaseTimestamp is asking the timestamp authorities.
	PhaseTimestamp Phase = "timestamp"
	// PhaseLog is uploading to the transparency logs.
	PhaseLog Phase = "log"
	// PhasePush is attaching bundles to their images in registries (--push-to-registry).
	PhasePush Phase = "push"
	// PhaseVerify is verifying bundles against the trusted root and the policy.
	PhaseVerify Phase = "verify"
	// PhaseWrite is writing bundles, documents, the index or a report.
	PhaseWrite Phase = "write"
)

// Recorder times the phases of one run. Start begins phase p and returns the function that
// ends it. Phases nest: a phase's time excludes the phases started inside it, so the phases
// of a run add up to its time. A run's phases are started and ended by one goroutine at a
// time.
type Recorder interface {
	Start(p Phase) (end func())
}

// StartPhase starts p on r, or does nothing when r is nil.
func StartPhase(r Recorder, p Phase) (end func()) {
	if r == nil {
		return func() {}
	}
	return r.Start(p)
}

package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ProvenanceSource builds the provenance predicate for one run.
type ProvenanceSource interface {
	Provenance(ctx context.Context, run Run) (Predicate, error)
}

// Run is what the attest pipeline knows about the run when provenance is built.
type Run struct {
	StartedOn  time.Time
	FinishedOn time.Time
	// Byproducts are files the run wrote besides bundles (SBOM documents), by name and digest.
	Byproducts []Subject
}

// SBOMGenerator builds an SBOM document for one subject in one format.
type SBOMGenerator interface {
	// SBOM returns the document for subject s as a predicate whose JSON is the document.
	SBOM(ctx context.Context, s Subject, format string) (Predicate, error)
}

// Request is one attest run: what to sign and where to write it.
type Request struct {
	Subjects    []Subject
	MaxSubjects int
	// Provenance, when set, signs SLSA provenance for every subject.
	Provenance ProvenanceSource
	// Custom, when set, signs a caller-given predicate for every subject.
	Custom *Predicate
	// SBOM and SBOMFormats, when set, sign one SBOM per file subject per format.
	SBOM        SBOMGenerator
	SBOMFormats []string
	// Tlog is recorded in the index as the run's transparency-log decision.
	Tlog TlogDecision
	// Now returns the current time (time.Now when nil).
	Now func() time.Time
	// Pusher, when set, attaches every signed bundle to its subjects in their registry
	// before the files are written; the index records where each went. A failed push still
	// writes the run, and Attest then returns the index and an error wrapping ErrPush.
	Pusher Pusher
	// Recorder, when set, times the predicate, sign, push and write phases (a signer that
	// times its own certificate, timestamp and log phases nests them inside sign).
	Recorder Recorder
}

// ErrNothingToSign means a request asked for no statement at all.
var ErrNothingToSign = errors.New("nothing to sign: no provenance, custom predicate or SBOM requested")

// Attest signs every statement of req with signer and writes bundles and the index to out.
// No file is written until every statement is signed, and existing files are refused unless
// out allows overwriting, so a failed or canceled run leaves the output directory as it was.
// A request naming one subject twice is refused (ErrConflictingSubject), as are outputs whose
// file names collide (ErrOutputCollision).
func Attest(ctx context.Context, signer Signer, out *Output, req Request) (*Index, error) {
	now := req.Now
	if now == nil {
		now = time.Now
	}
	if req.MaxSubjects == 0 {
		req.MaxSubjects = DefaultMaxSubjects
	}
	if err := checkSubjects(req.Subjects); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	started := now().UTC()
	plans, docs, err := prepare(ctx, req, out, started, now)
	if err != nil {
		return nil, err
	}
	ix := &Index{MediaType: IndexMediaType, Tlog: req.Tlog}
	if err := signAll(ctx, signer, req.Recorder, plans); err != nil {
		return nil, err
	}
	if id, ok := signer.(Identifier); ok {
		who := id.Identity()
		ix.Signer = &who
	}
	var pushErr error
	if req.Pusher != nil {
		endPush := StartPhase(req.Recorder, PhasePush)
		pushErr = pushAll(ctx, req.Pusher, plans, started)
		endPush()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("before writing %s: %w", out.Dir(), err) // a canceled run publishes nothing
	}
	endWrite := StartPhase(req.Recorder, PhaseWrite)
	err = write(out, ix, plans, docs)
	endWrite()
	if err != nil {
		return nil, err
	}
	if pushErr != nil {
		return ix, fmt.Errorf("%w; the bundles and index were written to %s", pushErr, out.Dir())
	}
	return ix, nil
}

// prepare builds the SBOMs and statements and checks the output names: the predicate phase.
func prepare(ctx context.Context, req Request, out *Output, started time.Time, now func() time.Time) ([]planned, []document, error) {
	defer StartPhase(req.Recorder, PhasePredicate)()
	docs, err := sbomDocuments(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	plans, err := plan(ctx, req, docs, started, now)
	if err != nil {
		return nil, nil, err
	}
	if len(plans) == 0 {
		return nil, nil, ErrNothingToSign
	}
	names, err := fileNames(plans, docs)
	if err != nil {
		return nil, nil, err
	}
	if err := out.Check(names...); err != nil {
		return nil, nil, err
	}
	return plans, docs, nil
}

// signAll signs every planned statement in order: the sign phase.
func signAll(ctx context.Context, signer Signer, rec Recorder, plans []planned) error {
	defer StartPhase(rec, PhaseSign)()
	for i := range plans {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("before signing %s: %w", plans[i].bundle, err)
		}
		b, err := signer.SignStatement(ctx, plans[i].statement)
		if err != nil {
			return fmt.Errorf("signing %s: %w", plans[i].bundle, err)
		}
		plans[i].signed = b
	}
	return nil
}

// checkSubjects refuses a request naming one subject twice: a name has one digest set, and
// the Collector merges what its inputs repeat before a request is made.
func checkSubjects(subjects []Subject) error {
	seen := make(map[string]bool, len(subjects))
	for _, s := range subjects {
		if seen[s.Name] {
			return fmt.Errorf("subject %s: %w: the request lists the name twice; one name must have one digest", QuoteName(s.Name), ErrConflictingSubject)
		}
		seen[s.Name] = true
	}
	return nil
}

// document is an SBOM file written beside the bundles.
type document struct {
	file    string
	subject Subject
	pred    Predicate
}

// planned is one statement to sign and the bundle file it goes to.
type planned struct {
	bundle    string
	document  string
	predType  string
	subjects  []Subject
	statement []byte
	signed    *Bundle
	pushed    []PushRecord
}

func sbomDocuments(ctx context.Context, req Request) ([]document, error) {
	if len(req.SBOMFormats) == 0 {
		return nil, nil
	}
	if req.SBOM == nil {
		return nil, fmt.Errorf("SBOM formats %v requested but no SBOM generator configured", req.SBOMFormats)
	}
	var docs []document
	for _, s := range req.Subjects {
		if s.Path == "" && !catalogs(req.SBOM, s) {
			continue // subjects given by digest have no content to catalog
		}
		for _, f := range req.SBOMFormats {
			p, err := req.SBOM.SBOM(ctx, s, f)
			if err != nil {
				return nil, fmt.Errorf("SBOM of %q: %w", s.Name, err)
			}
			docs = append(docs, document{file: "sbom/" + SBOMFileName(s.Name, f), subject: s, pred: p})
		}
	}
	return docs, nil
}

// DigestCataloger is an SBOMGenerator that can also catalog some subjects given only by
// digest (container images, read from their registry).
type DigestCataloger interface {
	Catalogs(s Subject) bool
}

func catalogs(g SBOMGenerator, s Subject) bool {
	c, ok := g.(DigestCataloger)
	return ok && c.Catalogs(s)
}

func sbomExt(format string) string {
	switch format {
	case "spdx-json":
		return ".spdx.json"
	case "cyclonedx-json":
		return ".cdx.json"
	}
	return "." + format
}

func plan(ctx context.Context, req Request, docs []document, started time.Time, now func() time.Time) ([]planned, error) {
	var plans []planned
	add := func(base string, p Predicate, subjects []Subject, doc string) error {
		sts, err := Statements(subjects, p, req.MaxSubjects)
		if err != nil {
			return err
		}
		for i, st := range sts {
			name := base
			if len(sts) > 1 {
				name = fmt.Sprintf("%s-%04d", base, i+1)
			}
			start := i * req.MaxSubjects // Statements splits subjects in this order
			plans = append(plans, planned{bundle: name + ".sigstore.json", document: doc, predType: p.Type,
				subjects: subjects[start:min(start+req.MaxSubjects, len(subjects))], statement: st})
		}
		return nil
	}
	for _, d := range docs {
		if err := add(strings.TrimPrefix(d.file, "sbom/"), d.pred, []Subject{d.subject}, d.file); err != nil {
			return nil, err
		}
	}
	if req.Provenance != nil {
		run := Run{StartedOn: started, FinishedOn: now().UTC(), Byproducts: byproducts(docs)}
		p, err := req.Provenance.Provenance(ctx, run)
		if err != nil {
			return nil, fmt.Errorf("building provenance: %w", err)
		}
		if err := add("provenance", p, req.Subjects, ""); err != nil {
			return nil, err
		}
	}
	if req.Custom != nil {
		if err := add("predicate", *req.Custom, req.Subjects, ""); err != nil {
			return nil, err
		}
	}
	return plans, nil
}

func byproducts(docs []document) []Subject {
	var out []Subject
	for _, d := range docs {
		out = append(out, Subject{Name: d.file, Digest: map[string]string{SHA256: sha256Hex(d.pred.JSON)}})
	}
	return out
}

// ErrOutputCollision means two outputs of one run would share a file name.
var ErrOutputCollision = errors.New("output file names collide")

// fileNames lists the run's output files, refusing, before anything is signed, two that share a
// name or differ only in letter case (one file on case-insensitive file systems).
func fileNames(plans []planned, docs []document) ([]string, error) {
	names := []string{IndexFile}
	for _, p := range plans {
		names = append(names, p.bundle)
	}
	for _, d := range docs {
		names = append(names, d.file)
	}
	seen := make(map[string]string, len(names))
	for _, n := range names {
		k := strings.ToLower(n)
		if prev, ok := seen[k]; ok {
			return nil, fmt.Errorf("%w: %q and %q (subjects whose names differ only in letter case?)", ErrOutputCollision, prev, n)
		}
		seen[k] = n
	}
	return names, nil
}

// write publishes documents, bundles and the index as one all-or-nothing update of the output
// directory; the index records each bundle's sha256.
func write(out *Output, ix *Index, plans []planned, docs []document) error {
	files := make([]File, 0, len(docs)+len(plans)+1)
	for _, d := range docs {
		files = append(files, File{Name: d.file, Data: d.pred.JSON})
	}
	for _, p := range plans {
		files = append(files, File{Name: p.bundle, Data: p.signed.JSON})
		ix.add(IndexAttestation{Bundle: p.bundle, Digest: map[string]string{SHA256: sha256Hex(p.signed.JSON)},
			PredicateType: p.predType, SubjectCount: len(p.subjects), Document: p.document,
			LogEntry: p.signed.LogEntry, Timestamps: p.signed.Timestamps, Pushed: p.pushed}, p.subjects)
	}
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding index: %w", err)
	}
	files = append(files, File{Name: IndexFile, Data: append(b, '\n')})
	return out.Publish(files)
}

package core_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
)

// These tests drive core.Attest with a fake signer and a fake SBOM generator: no Sigstore, no
// network, no catalogers. They pin what core promises on its own: refused collisions, statement
// splits, one SBOM per file subject per format, and no file written unless every statement was
// signed.

// fakeSigner "signs" a statement into a bundle holding it verbatim. It fails its failOn-th call
// (1-based; 0 never) with errSign; or, when cancel is set, cancels the run's context there and
// still returns a bundle. It ignores ctx, so the tests pin Attest's own cancellation checks.
type fakeSigner struct {
	failOn int
	cancel context.CancelFunc

	mu    sync.Mutex
	calls [][]byte
}

var errSign = errors.New("fake signer: refused")

func (s *fakeSigner) SignStatement(ctx context.Context, statement []byte) (*core.Bundle, error) {
	s.mu.Lock()
	s.calls = append(s.calls, statement)
	n := len(s.calls)
	s.mu.Unlock()
	if n == s.failOn {
		if s.cancel == nil {
			return nil, errSign
		}
		s.cancel()
	}
	b, err := json.Marshal(map[string]json.RawMessage{"statement": statement})
	if err != nil {
		return nil, err
	}
	return &core.Bundle{JSON: b}, nil
}

func (s *fakeSigner) Identity() core.Identity {
	return core.Identity{Subject: "fake@example.com", Issuer: "https://fake.invalid"}
}

func (s *fakeSigner) statements() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.calls...)
}

// fakeSBOM returns a small document naming the subject and format, or fails for failFor. It
// ignores ctx.
type fakeSBOM struct {
	failFor string

	mu    sync.Mutex
	calls []string
}

var errCatalog = errors.New("fake SBOM generator: cannot catalog")

func (g *fakeSBOM) SBOM(ctx context.Context, s core.Subject, format string) (core.Predicate, error) {
	g.mu.Lock()
	g.calls = append(g.calls, s.Name+" "+format)
	g.mu.Unlock()
	if s.Name == g.failFor {
		return core.Predicate{}, errCatalog
	}
	typ := core.SPDXPredicateType
	if format == core.SBOMCycloneDX {
		typ = core.CycloneDXPredicateType
	}
	b, _ := json.Marshal(map[string]string{"subject": s.Name, "format": format})
	return core.Predicate{Type: typ, JSON: b}, nil
}

// fakeProvenance returns a predicate recording the run's byproducts.
type fakeProvenance struct{ runs []core.Run }

func (p *fakeProvenance) Provenance(_ context.Context, run core.Run) (core.Predicate, error) {
	p.runs = append(p.runs, run)
	var names []string
	for _, b := range run.Byproducts {
		names = append(names, b.Name+"="+b.Digest[core.SHA256])
	}
	body, _ := json.Marshal(map[string]any{"byproducts": names})
	return core.Predicate{Type: core.ProvenancePredicateType, JSON: body}, nil
}

// fileSubject is a subject with a local file (SBOMs are made for these).
func fileSubject(name string) core.Subject {
	s := digestSubject(name)
	s.Path = "/nonexistent/" + name // the fake generator never opens it
	return s
}

// digestSubject is a subject given by digest only.
func digestSubject(name string) core.Subject {
	h := sha256.Sum256([]byte(name))
	return core.Subject{Name: name, Digest: map[string]string{core.SHA256: hex.EncodeToString(h[:])}}
}

func fileSubjects(n int) []core.Subject {
	out := make([]core.Subject, n)
	for i := range out {
		out[i] = fileSubject(fmt.Sprintf("dist/app-%02d", i))
	}
	return out
}

var fixedNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// outputDir returns an output directory (inside its own parent) holding one file of an earlier
// run, and the parent.
func outputDir(t *testing.T) (dir, parent string) {
	t.Helper()
	parent = t.TempDir()
	dir = filepath.Join(parent, "attestations")
	write(t, filepath.Join(dir, "earlier.txt"), "kept")
	return dir, parent
}

// assertUntouched fails unless dir holds exactly before and its parent holds nothing but dir:
// no staging or retired directory left beside it.
func assertUntouched(t *testing.T, dir, parent string, before map[string]string) {
	t.Helper()
	if d := cmp.Diff(before, treeState(t, dir)); d != "" {
		t.Errorf("a failed run changed the output directory (-before +after):\n%s", d)
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if d := cmp.Diff([]string{filepath.Base(dir)}, names); d != "" {
		t.Errorf("a failed run left entries beside the output directory (-want +got):\n%s", d)
	}
}

// statementSubjects decodes a statement's predicate type and subject names.
func statementSubjects(t *testing.T, st []byte) (string, []string) {
	t.Helper()
	subs, typ, err := core.StatementSubjects(st)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range subs {
		names = append(names, s.Name)
	}
	return typ, names
}

func TestAttestSplitsStatements(t *testing.T) {
	t.Parallel()
	custom := &core.Predicate{Type: "https://example.com/custom/v1", JSON: []byte(`{"k":"v"}`)}
	tests := []struct {
		name        string
		subjects    int
		maxSubjects int
		custom      bool
		wantBundles []string
		wantCounts  []int // subjects per bundle, in wantBundles' order
	}{
		{name: "one statement at the limit", subjects: 3, maxSubjects: 3,
			wantBundles: []string{"provenance.sigstore.json"}, wantCounts: []int{3}},
		{name: "one over the limit", subjects: 4, maxSubjects: 3,
			wantBundles: []string{"provenance-0001.sigstore.json", "provenance-0002.sigstore.json"}, wantCounts: []int{3, 1}},
		{name: "one subject per statement", subjects: 3, maxSubjects: 1,
			wantBundles: []string{"provenance-0001.sigstore.json", "provenance-0002.sigstore.json", "provenance-0003.sigstore.json"},
			wantCounts:  []int{1, 1, 1}},
		{name: "provenance and custom split alike", subjects: 5, maxSubjects: 2, custom: true,
			wantBundles: []string{"provenance-0001.sigstore.json", "provenance-0002.sigstore.json", "provenance-0003.sigstore.json",
				"predicate-0001.sigstore.json", "predicate-0002.sigstore.json", "predicate-0003.sigstore.json"},
			wantCounts: []int{2, 2, 1, 2, 2, 1}},
		{name: "default limit", subjects: 10, maxSubjects: 0,
			wantBundles: []string{"provenance.sigstore.json"}, wantCounts: []int{10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "out")
			out, err := core.NewOutput(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			subjects := fileSubjects(tt.subjects)
			req := core.Request{Subjects: subjects, MaxSubjects: tt.maxSubjects, Provenance: &fakeProvenance{}, Now: fixedNow}
			if tt.custom {
				req.Custom = custom
			}
			signer := &fakeSigner{}
			ix, err := core.Attest(context.Background(), signer, out, req)
			if err != nil {
				t.Fatal(err)
			}
			var bundles []string
			var counts []int
			for _, a := range ix.Attestations {
				bundles = append(bundles, a.Bundle)
				counts = append(counts, a.SubjectCount)
			}
			if d := cmp.Diff(tt.wantBundles, bundles); d != "" {
				t.Errorf("bundles (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantCounts, counts); d != "" {
				t.Errorf("subjects per bundle (-want +got):\n%s", d)
			}
			if got := len(signer.statements()); got != len(tt.wantBundles) {
				t.Errorf("signer called %d times for %d bundles", got, len(tt.wantBundles))
			}
			// Every subject is in exactly one statement per predicate type, and the
			// statement in each bundle file is the one the index says it covers.
			seen := map[string]map[string]int{} // predicate type → subject → statements
			for _, a := range ix.Attestations {
				var b struct{ Statement json.RawMessage }
				if err := json.Unmarshal([]byte(treeState(t, dir)[a.Bundle]), &b); err != nil {
					t.Fatalf("bundle %s: %v", a.Bundle, err)
				}
				typ, names := statementSubjects(t, b.Statement)
				if typ != a.PredicateType || len(names) != a.SubjectCount {
					t.Errorf("bundle %s holds %s with %d subjects; the index says %s with %d", a.Bundle, typ, len(names), a.PredicateType, a.SubjectCount)
				}
				if seen[typ] == nil {
					seen[typ] = map[string]int{}
				}
				for _, n := range names {
					seen[typ][n]++
				}
			}
			for typ, bySubject := range seen {
				for _, s := range subjects {
					if bySubject[s.Name] != 1 {
						t.Errorf("%s: subject %s is in %d statements, want 1", typ, s.Name, bySubject[s.Name])
					}
				}
				if len(bySubject) != len(subjects) {
					t.Errorf("%s: statements name %d subjects, want %d", typ, len(bySubject), len(subjects))
				}
			}
			if len(ix.Subjects) != len(subjects) {
				t.Errorf("index lists %d subjects, want %d", len(ix.Subjects), len(subjects))
			}
			if ix.Signer == nil || ix.Signer.Subject != "fake@example.com" {
				t.Errorf("index signer %+v, want the signer's identity", ix.Signer)
			}
		})
	}
}

func TestAttestSBOMDocuments(t *testing.T) {
	t.Parallel()
	subjects := []core.Subject{fileSubject("dist/app v1.tar"), fileSubject("dist/.hidden"), digestSubject("ghcr.io/org/app")}
	tests := []struct {
		name    string
		formats []string
		want    map[string]string // document file → bundle file
	}{
		{name: "spdx", formats: []string{core.SBOMSPDX}, want: map[string]string{
			"sbom/dist_app%20v1.tar.spdx.json": "dist_app%20v1.tar.spdx.json.sigstore.json",
			"sbom/dist_.hidden.spdx.json":      "dist_.hidden.spdx.json.sigstore.json",
		}},
		{name: "both", formats: []string{core.SBOMSPDX, core.SBOMCycloneDX}, want: map[string]string{
			"sbom/dist_app%20v1.tar.spdx.json": "dist_app%20v1.tar.spdx.json.sigstore.json",
			"sbom/dist_app%20v1.tar.cdx.json":  "dist_app%20v1.tar.cdx.json.sigstore.json",
			"sbom/dist_.hidden.spdx.json":      "dist_.hidden.spdx.json.sigstore.json",
			"sbom/dist_.hidden.cdx.json":       "dist_.hidden.cdx.json.sigstore.json",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "out")
			out, err := core.NewOutput(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			gen, prov := &fakeSBOM{}, &fakeProvenance{}
			ix, err := core.Attest(context.Background(), &fakeSigner{}, out,
				core.Request{Subjects: subjects, Provenance: prov, SBOM: gen, SBOMFormats: tt.formats, Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			files := treeState(t, dir)
			got := map[string]string{}
			for _, a := range ix.Attestations {
				if a.Document != "" {
					got[a.Document] = a.Bundle
					if a.SubjectCount != 1 {
						t.Errorf("SBOM bundle %s covers %d subjects, want 1", a.Bundle, a.SubjectCount)
					}
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("SBOM documents → bundles (-want +got):\n%s", d)
			}
			var byproducts []string
			for doc := range tt.want {
				body, ok := files[filepath.FromSlash(doc)]
				if !ok {
					t.Errorf("document %s not written", doc)
					continue
				}
				var d map[string]string
				if err := json.Unmarshal([]byte(body), &d); err != nil {
					t.Fatalf("%s: %v", doc, err)
				}
				if core.SBOMFileName(d["subject"], d["format"]) != filepath.Base(doc) {
					t.Errorf("%s holds the SBOM of %s in %s", doc, d["subject"], d["format"])
				}
				h := sha256.Sum256([]byte(body))
				byproducts = append(byproducts, doc+"="+hex.EncodeToString(h[:]))
			}
			if len(gen.calls) != len(tt.want) {
				t.Errorf("generator called %d times (%q), want once per file subject per format: %d", len(gen.calls), gen.calls, len(tt.want))
			}
			// The provenance lists every document with the digest of the file written.
			var gotBy []string
			for _, b := range prov.runs[0].Byproducts {
				gotBy = append(gotBy, b.Name+"="+b.Digest[core.SHA256])
			}
			sort.Strings(byproducts)
			sort.Strings(gotBy)
			if d := cmp.Diff(byproducts, gotBy); d != "" {
				t.Errorf("provenance byproducts (-written +recorded):\n%s", d)
			}
		})
	}
}

func TestAttestRefusesCollisions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		subjects []core.Subject
		formats  []string
		wantErr  error
	}{
		{name: "SBOMs of names differing in case", subjects: []core.Subject{fileSubject("dist/App"), fileSubject("dist/app")},
			formats: []string{core.SBOMSPDX}, wantErr: core.ErrOutputCollision},
		{name: "SBOMs of one name twice", subjects: []core.Subject{fileSubject("dist/app"), fileSubject("dist/app")},
			formats: []string{core.SBOMCycloneDX}, wantErr: core.ErrConflictingSubject},
		{name: "one name with two digests", subjects: []core.Subject{digestSubject("app"), {Name: "app", Digest: digestSubject("other").Digest}},
			wantErr: core.ErrConflictingSubject},
		{name: "one subject twice", subjects: []core.Subject{digestSubject("app"), digestSubject("app")},
			wantErr: core.ErrConflictingSubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, parent := outputDir(t)
			before := treeState(t, dir)
			out, err := core.NewOutput(dir, true) // even with force
			if err != nil {
				t.Fatal(err)
			}
			signer := &fakeSigner{}
			_, err = core.Attest(context.Background(), signer, out,
				core.Request{Subjects: tt.subjects, Provenance: &fakeProvenance{}, SBOM: &fakeSBOM{}, SBOMFormats: tt.formats, Now: fixedNow})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if n := len(signer.statements()); n != 0 {
				t.Errorf("signer called %d times before the collision was refused", n)
			}
			assertUntouched(t, dir, parent, before)
		})
	}
}

// TestAttestFailureWritesNothing: whichever step fails (the k-th signature, an SBOM, the
// context), the output directory is as it was and nothing is left beside it; an SBOM that
// cannot be made stops the run before anything is signed.
func TestAttestFailureWritesNothing(t *testing.T) {
	t.Parallel()
	subjects := fileSubjects(5)
	tests := []struct {
		name        string
		failSignOn  int  // the signer fails its k-th call
		cancelOn    int  // the signer cancels the context at its k-th call (and signs)
		cancelFirst bool // the context is canceled before Attest
		failSBOM    string
		wantErr     error
		wantCalls   int // signer calls
	}{
		{name: "first signature", failSignOn: 1, wantErr: errSign, wantCalls: 1},
		{name: "third signature", failSignOn: 3, wantErr: errSign, wantCalls: 3},
		{name: "last signature", failSignOn: 13, wantErr: errSign, wantCalls: 13},
		{name: "SBOM of the last subject", failSBOM: "dist/app-04", wantErr: errCatalog, wantCalls: 0},
		{name: "canceled before", cancelFirst: true, wantErr: context.Canceled, wantCalls: 0},
		{name: "canceled while signing", cancelOn: 2, wantErr: context.Canceled, wantCalls: 2},
		{name: "canceled during the last signature", cancelOn: 13, wantErr: context.Canceled, wantCalls: 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, parent := outputDir(t)
			before := treeState(t, dir)
			out, err := core.NewOutput(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelFirst {
				cancel()
			}
			signer := &fakeSigner{failOn: tt.failSignOn}
			if tt.cancelOn > 0 {
				signer.failOn, signer.cancel = tt.cancelOn, cancel
			}
			// 5 subjects, 2 formats, MaxSubjects 2: 10 SBOM statements, 3 provenance ones.
			_, err = core.Attest(ctx, signer, out, core.Request{Subjects: subjects, MaxSubjects: 2, Provenance: &fakeProvenance{},
				SBOM: &fakeSBOM{failFor: tt.failSBOM}, SBOMFormats: core.SBOMFormats(), Now: fixedNow})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if n := len(signer.statements()); n != tt.wantCalls {
				t.Errorf("signer called %d times, want %d", n, tt.wantCalls)
			}
			assertUntouched(t, dir, parent, before)
		})
	}
}

// TestAttestNothingToSign: a request with no predicate at all is refused before the signer.
func TestAttestNothingToSign(t *testing.T) {
	t.Parallel()
	dir, parent := outputDir(t)
	before := treeState(t, dir)
	out, err := core.NewOutput(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	signer := &fakeSigner{}
	if _, err := core.Attest(context.Background(), signer, out, core.Request{Subjects: fileSubjects(2)}); !errors.Is(err, core.ErrNothingToSign) {
		t.Fatalf("err = %v, want ErrNothingToSign", err)
	}
	if _, err := core.Attest(context.Background(), signer, out,
		core.Request{Subjects: fileSubjects(2), SBOMFormats: []string{core.SBOMSPDX}}); err == nil || !strings.Contains(err.Error(), "no SBOM generator") {
		t.Fatalf("SBOM formats without a generator: err = %v", err)
	}
	if n := len(signer.statements()); n != 0 {
		t.Errorf("signer called %d times", n)
	}
	assertUntouched(t, dir, parent, before)
}

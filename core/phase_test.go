package core_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
)

// phaseLog records the phases started and ended, in order.
type phaseLog struct {
	mu   sync.Mutex
	list []string
}

func (l *phaseLog) Start(p core.Phase) func() {
	l.add("start " + string(p))
	return func() { l.add("end " + string(p)) }
}

func (l *phaseLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, s)
}

// TestCollectorTimesPhases: Collect is the collect phase with digest nested in it, also when
// it fails.
func TestCollectorTimesPhases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.bin"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &phaseLog{}
	col, err := core.NewCollector(dir, core.WithRecorder(rec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := col.Collect(context.Background(), core.Inputs{Paths: []string{"a.bin"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := col.Collect(context.Background(), core.Inputs{Paths: []string{"missing-*.bin"}}); err == nil {
		t.Fatal("a glob matching nothing was collected")
	}
	want := []string{"start collect", "start digest", "end digest", "end collect", "start collect", "end collect"}
	if diff := cmp.Diff(want, rec.list); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
}

// TestAttestTimesPhases: Attest reports predicate, sign (around every signature) and write.
func TestAttestTimesPhases(t *testing.T) {
	t.Parallel()
	dir, _ := outputDir(t)
	out, err := core.NewOutput(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	rec := &phaseLog{}
	req := core.Request{Subjects: fileSubjects(3), MaxSubjects: 1,
		Custom: &core.Predicate{Type: "https://example.com/p/v1", JSON: []byte(`{}`)}, Recorder: rec}
	signer := &fakeSigner{}
	if _, err := core.Attest(context.Background(), signer, out, req); err != nil {
		t.Fatal(err)
	}
	want := []string{"start predicate", "end predicate", "start sign", "end sign", "start write", "end write"}
	if diff := cmp.Diff(want, rec.list); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if n := len(signer.statements()); n != 3 {
		t.Errorf("%d statements signed inside one sign phase, want 3", n)
	}
}

func TestStartPhaseNil(t *testing.T) {
	t.Parallel()
	core.StartPhase(nil, core.PhaseSign)() // no recorder: nothing to call, no panic
}

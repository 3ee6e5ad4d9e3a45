package sigstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
)

// events records the phases a signer starts and ends, and their durations.
type events struct {
	mu   sync.Mutex
	list []string
	dur  map[core.Phase]time.Duration
}

func (e *events) Start(p core.Phase) func() {
	e.mu.Lock()
	e.list = append(e.list, "start "+string(p))
	e.mu.Unlock()
	t := time.Now()
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.list = append(e.list, "end "+string(p))
		if e.dur == nil {
			e.dur = map[core.Phase]time.Duration{}
		}
		e.dur[p] += time.Since(t)
	}
}

func (e *events) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.list
	e.list = nil
	return l
}

// TestSignerTimesPhases: the keyless signer reports the certificate (once per session) and
// the timestamp of each statement.
func TestSignerTimesPhases(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	rec := &events{}
	signer, err := sigstore.NewKeylessSigner(t.Context(), mat, localToken(t, s, localsigstore.PresetGitHub), sigstore.WithRecorder(rec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signer.SignStatement(t.Context(), statement(t, appBin)); err != nil {
		t.Fatal(err)
	}
	want := []string{"start certificate", "end certificate", "start timestamp", "end timestamp"}
	if diff := cmp.Diff(want, rec.take()); diff != "" {
		t.Errorf("first statement's phases (-want +got):\n%s", diff)
	}
	if _, err := signer.SignStatement(t.Context(), statement(t, appTar)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"start timestamp", "end timestamp"}, rec.take()); diff != "" {
		t.Errorf("second statement's phases (-want +got): the certificate is asked once\n%s", diff)
	}
}

// TestSignerTimesLogPhase: a transparency log that keeps failing is timed as the log phase,
// retries and their waits included, and the phase ends on the error.
func TestSignerTimesLogPhase(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	f := newFlaky(t, s.URL(), -1, fail503)
	m := editConfig(t, mat, func(sc *root.SigningConfig) *root.SigningConfig { return sc.WithRekorLogURLs(service(f.srv.URL, 1)) })
	rec := &events{}
	signer, err := sigstore.NewKeylessSigner(t.Context(), m, localToken(t, s, localsigstore.PresetEmail), sigstore.WithRecorder(rec),
		sigstore.WithRetries(2), sigstore.WithBackoff(20*time.Millisecond, 40*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signer.SignStatement(t.Context(), statement(t, appBin)); !errors.Is(err, sigstore.ErrTlog) {
		t.Fatalf("err = %v, want ErrTlog", err)
	}
	want := []string{"start certificate", "end certificate", "start log", "end log"}
	if diff := cmp.Diff(want, rec.take()); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if d := rec.dur[core.PhaseLog]; d < 60*time.Millisecond { // waits of 20 and 40 ms between 3 attempts
		t.Errorf("log phase %v, want at least the 60ms of backoff it waited", d)
	}
}

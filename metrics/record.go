// Package metrics records one signet run (attest or verify) as a machine-readable file: the
// duration of each phase, the counts of subjects and bundles, and failures by reason, in the
// Prometheus text format (for node_exporter's textfile collector) or JSON. docs/metrics.md
// lists the metrics.
package metrics

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/signet-ci/signet/core"
)

// Record times the phases of one run; it is the core.Recorder the run's core calls are given.
// Phases nest: the time of a phase excludes the phases started inside it, so the phases of a
// run add up to its wall time less the moments no phase was open. It is safe for concurrent
// use, though a run's phases are sequential.
type Record struct {
	mu      sync.Mutex
	now     func() time.Time
	command string
	started time.Time
	ended   time.Time
	phases  map[core.Phase]time.Duration
	order   []core.Phase
	stack   []*frame
}

type frame struct {
	phase core.Phase
	since time.Time // when the frame last became the innermost open phase
	ended bool
}

// Option configures a Record.
type Option func(*Record)

// WithClock sets the clock (time.Now by default), for tests.
func WithClock(now func() time.Time) Option {
	return func(r *Record) { r.now = now }
}

// New starts the clock of a run of command ("attest", "verify").
func New(command string, opts ...Option) *Record {
	r := &Record{now: time.Now, command: command, phases: map[core.Phase]time.Duration{}}
	for _, o := range opts {
		o(r)
	}
	r.started = r.now()
	return r
}

// Start begins phase p, pausing the phase it is nested in, and returns the function that ends
// it. Ending a phase twice, or after Finish, does nothing.
func (r *Record) Start(p core.Phase) (end func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended.IsZero() {
		return func() {}
	}
	now := r.now()
	if n := len(r.stack); n > 0 {
		r.charge(r.stack[n-1], now)
	}
	f := &frame{phase: p, since: now}
	r.stack = append(r.stack, f)
	if _, ok := r.phases[p]; !ok {
		r.order = append(r.order, p)
		r.phases[p] = 0
	}
	return func() { r.end(f) }
}

// charge adds the time since f last resumed to f's phase.
func (r *Record) charge(f *frame, now time.Time) {
	if d := now.Sub(f.since); d > 0 {
		r.phases[f.phase] += d
	}
	f.since = now
}

// end closes f and any phase opened inside it and left open, and resumes the phase around it.
func (r *Record) end(f *frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.ended || !r.ended.IsZero() {
		return
	}
	now := r.now()
	r.charge(r.stack[len(r.stack)-1], now) // only the innermost phase was running
	for len(r.stack) > 0 {
		top := r.stack[len(r.stack)-1]
		r.stack = r.stack[:len(r.stack)-1]
		top.ended = true
		if top == f {
			break
		}
	}
	if n := len(r.stack); n > 0 {
		r.stack[n-1].since = now
	}
}

// Finish stops the clock, closing any phase still open.
func (r *Record) Finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended.IsZero() {
		return
	}
	now := r.now()
	for _, f := range r.stack {
		f.ended = true
	}
	if n := len(r.stack); n > 0 {
		r.charge(r.stack[n-1], now)
	}
	r.stack = nil
	r.ended = now
}

// Command is the command whose run this records.
func (r *Record) Command() string { return r.command }

// Run is a finished record with the run's results: what the encoders write.
type Run struct {
	Command string `json:"command"`
	Version string `json:"version,omitempty"`
	// Result is "success" or "failure".
	Result  string    `json:"result"`
	Started time.Time `json:"started"`
	// DurationSeconds is the run's wall time.
	DurationSeconds float64 `json:"durationSeconds"`
	// Phases are the phases' times in seconds, in the order they first started.
	Phases []PhaseTime `json:"phases"`
	// Subjects counts the subjects attested or the artifacts verified.
	Subjects int `json:"subjects"`
	// Bundles counts the bundles written (attest) or that verified an artifact (verify), by
	// predicate type.
	Bundles map[string]int `json:"bundles"`
	// Failures counts failures by reason; every reason the command knows is listed.
	Failures map[string]int `json:"failures"`
	// Artifacts are verify's verdicts, one per artifact.
	Artifacts []Artifact `json:"artifacts,omitempty"`
}

// PhaseTime is the time spent in one phase.
type PhaseTime struct {
	Phase   core.Phase `json:"phase"`
	Seconds float64    `json:"seconds"`
}

// Artifact is one verify verdict.
type Artifact struct {
	Name     string `json:"name"`
	Verified bool   `json:"verified"`
	// Reason is the failed check ("identity", "subject", ...); empty when verified.
	Reason string `json:"reason,omitempty"`
}

// Results are what a run produced, as its command reports them.
type Results struct {
	Version   string
	Err       error // the run's error; nil on success
	Subjects  int
	Bundles   map[string]int
	Failures  map[string]int
	Artifacts []Artifact
	// Reasons are every failure reason the command knows, listed with 0 when none occurred.
	Reasons []string
}

// Run finishes the record (if not yet finished) and returns it with res.
func (r *Record) Run(res Results) Run {
	r.Finish()
	r.mu.Lock()
	defer r.mu.Unlock()
	run := Run{Command: r.command, Version: res.Version, Result: "success", Started: r.started.UTC(),
		DurationSeconds: r.ended.Sub(r.started).Seconds(), Subjects: res.Subjects,
		Bundles: map[string]int{}, Failures: map[string]int{}, Artifacts: slices.Clone(res.Artifacts)}
	if res.Err != nil {
		run.Result = "failure"
	}
	for _, p := range r.order {
		run.Phases = append(run.Phases, PhaseTime{Phase: p, Seconds: r.phases[p].Seconds()})
	}
	for k, v := range res.Bundles {
		run.Bundles[valid(k)] += v
	}
	for i, a := range run.Artifacts {
		run.Artifacts[i].Name = valid(a.Name)
	}
	for _, k := range res.Reasons {
		run.Failures[k] = 0
	}
	for k, v := range res.Failures {
		run.Failures[k] += v
	}
	return run
}

// valid makes s valid UTF-8, each run of invalid bytes one U+FFFD, so both formats say the same.
func valid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

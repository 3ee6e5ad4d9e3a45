package metrics_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/metrics"
)

// clock is a fake clock each reading of which advances by step.
type clock struct {
	t    time.Time
	step time.Duration
}

func (c *clock) now() time.Time {
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

// TestNestedPhasesAddUp: with a clock that advances 1s per reading, nested phases are charged
// their own time only, and the phases plus the moments outside any phase are the wall time.
func TestNestedPhasesAddUp(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_700_000_000, 0), step: time.Second}
	r := metrics.New("attest", metrics.WithClock(c.now)) // reading 0: start
	endCollect := r.Start(core.PhaseCollect)             // 1
	endDigest := r.Start(core.PhaseDigest)               // 2: collect 1s
	endDigest()                                          // 3: digest 1s
	endCollect()                                         // 4: collect 1s more
	endSign := r.Start(core.PhaseSign)                   // 5 (4..5 outside any phase)
	endCert := r.Start(core.PhaseCertificate)            // 6: sign 1s
	endCert()                                            // 7: certificate 1s
	endCert()                                            // ending twice does nothing
	endLog := r.Start(core.PhaseLog)                     // 8: sign 1s
	endSign()                                            // 9: closes log (1s) left open inside sign
	endLog()                                             // nothing: already closed
	open := r.Start(core.PhaseWrite)                     // 10
	run := r.Run(metrics.Results{})                      // 11: Finish closes write (1s)
	open()                                               // after Finish: nothing
	want := []metrics.PhaseTime{{Phase: core.PhaseCollect, Seconds: 2}, {Phase: core.PhaseDigest, Seconds: 1},
		{Phase: core.PhaseSign, Seconds: 2}, {Phase: core.PhaseCertificate, Seconds: 1}, {Phase: core.PhaseLog, Seconds: 1},
		{Phase: core.PhaseWrite, Seconds: 1}}
	if diff := cmp.Diff(want, run.Phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if run.DurationSeconds != 11 {
		t.Errorf("wall time %v s, want 11", run.DurationSeconds)
	}
	sum := 0.0
	for _, p := range run.Phases {
		sum += p.Seconds
	}
	if outside := run.DurationSeconds - sum; outside != 3 { // 0..1, 4..5, 9..10
		t.Errorf("time outside phases %v s, want 3", outside)
	}
}

// hostile are artifact names and predicate types an attacker might choose to break the text
// format: quotes, backslashes, line feeds, braces, an injected sample, invalid UTF-8.
var hostile = []string{
	`dist/a"b`, `dist\x`, "dist/line\nfeed", `dist/x"} 1` + "\n" + `signet_evil{a="b"} 2`, "dist/\xff\xfe", `{}=,#`, "\\\"\n\\n",
}

func sampleRun() metrics.Run {
	r := metrics.New("verify")
	r.Start(core.PhaseVerify)()
	res := metrics.Results{Version: "v1.2.3", Subjects: len(hostile) + 1, Err: errors.New("failed"),
		Bundles:  map[string]int{"https://slsa.dev/provenance/v1": 1, `evil"type` + "\n": 1},
		Failures: map[string]int{"identity": len(hostile)}, Reasons: []string{"identity", "subject"}}
	res.Artifacts = append(res.Artifacts, metrics.Artifact{Name: "dist/ok", Verified: true})
	for _, h := range hostile {
		res.Artifacts = append(res.Artifacts, metrics.Artifact{Name: h, Reason: "identity"})
	}
	return r.Run(res)
}

// TestPrometheusParses: the text output parses with Prometheus' own text parser, names follow
// its conventions, and hostile label values come back exactly (invalid UTF-8 replaced).
func TestPrometheusParses(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := sampleRun().Encode(&buf, metrics.Prometheus); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("Prometheus text parser: %v\n%s", err, buf.String())
	}
	name := regexp.MustCompile(`^signet_[a-z]+(_[a-z]+)*$`)
	for n, f := range fams {
		switch {
		case !name.MatchString(n):
			t.Errorf("metric %q: not signet_snake_case", n)
		case f.GetType() == dto.MetricType_COUNTER && !strings.HasSuffix(n, "_total"):
			t.Errorf("counter %q does not end in _total", n)
		case f.GetType() != dto.MetricType_COUNTER && strings.HasSuffix(n, "_total"):
			t.Errorf("%s %q ends in _total", f.GetType(), n)
		case strings.Contains(n, "duration") && !strings.HasSuffix(n, "_seconds"):
			t.Errorf("duration %q not in _seconds", n)
		}
		if f.GetHelp() == "" {
			t.Errorf("metric %q has no HELP", n)
		}
	}
	if _, ok := fams["signet_evil"]; ok {
		t.Fatal("a label value injected a metric")
	}
	var names []string
	for _, m := range fams["signet_artifact_verified"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "artifact" {
				names = append(names, l.GetValue())
			}
		}
	}
	want := []string{"dist/ok"}
	for _, h := range hostile {
		want = append(want, strings.ToValidUTF8(h, "\uFFFD"))
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("artifact labels (-want +got):\n%s", diff)
	}
	for _, n := range []string{"signet_run_info", "signet_run_duration_seconds", "signet_run_start_timestamp_seconds",
		"signet_phase_duration_seconds", "signet_subjects_total", "signet_bundles_total", "signet_failures_total"} {
		if fams[n] == nil {
			t.Errorf("metric %s missing", n)
		}
	}
	fails := map[string]float64{}
	for _, m := range fams["signet_failures_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "reason" {
				fails[l.GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	if diff := cmp.Diff(map[string]float64{"identity": float64(len(hostile)), "subject": 0}, fails); diff != "" {
		t.Errorf("failures by reason (-want +got):\n%s", diff)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	run := sampleRun()
	var buf bytes.Buffer
	if err := run.Encode(&buf, metrics.JSON); err != nil {
		t.Fatal(err)
	}
	var got metrics.Run
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	for i := range run.Artifacts {
		run.Artifacts[i].Name = strings.ToValidUTF8(run.Artifacts[i].Name, "\uFFFD")
	}
	if diff := cmp.Diff(run, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if got.Result != "failure" || got.Failures["subject"] != 0 || len(got.Failures) != 2 {
		t.Errorf("result %q failures %v", got.Result, got.Failures)
	}
}

// TestWriteFileAllOrNothing: a write replaces the file whole, a failed one leaves the old file
// and no temporary file behind.
func TestWriteFileAllOrNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "signet.prom")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := sampleRun()
	if err := run.WriteFile(path, metrics.Format("xml")); err == nil {
		t.Fatal("an unknown format was written")
	}
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Fatalf("a failed write changed the file: %q", b)
	}
	if err := run.WriteFile(path, metrics.Prometheus); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := run.Encode(&want, metrics.Prometheus); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("file differs from the encoding")
	}
	if err := run.WriteFile(filepath.Join(dir, "missing", "x.prom"), metrics.JSON); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the metrics file: %v", len(entries), entries)
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"prometheus", "json"} {
		if f, err := metrics.ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	for _, s := range []string{"", "JSON", "openmetrics", "prometheus "} {
		if _, err := metrics.ParseFormat(s); err == nil {
			t.Errorf("ParseFormat(%q) accepted", s)
		}
	}
}

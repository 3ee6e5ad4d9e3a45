package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/metrics"
)

// phaseTolerance bounds the time of a run outside every phase (flag parsing, the few
// statements between phases): the phases must cover the run's wall time within it.
const phaseTolerance = 0.05 // seconds, and at most 5% of a longer run

func readRun(t *testing.T, path string) metrics.Run {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("metrics file: %v", err)
	}
	var r metrics.Run
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("metrics file: %v\n%s", err, b)
	}
	return r
}

// checkCoverage fails unless the phases add up to the wall time within phaseTolerance.
func checkCoverage(t *testing.T, r metrics.Run) {
	t.Helper()
	sum := 0.0
	for _, p := range r.Phases {
		if p.Seconds < 0 {
			t.Errorf("phase %s: %v s", p.Phase, p.Seconds)
		}
		sum += p.Seconds
	}
	gap := r.DurationSeconds - sum
	t.Logf("%s: phases %.4fs of %.4fs wall, %.4fs outside any phase", r.Command, sum, r.DurationSeconds, gap)
	if gap < -1e-9 || gap > max(phaseTolerance, 0.05*r.DurationSeconds) {
		t.Errorf("phases add up to %.4fs of a %.4fs run: %.4fs outside any phase (tolerance %.2fs or 5%%): %+v",
			sum, r.DurationSeconds, gap, phaseTolerance, r.Phases)
	}
}

func phaseNames(r metrics.Run) []core.Phase {
	var out []core.Phase
	for _, p := range r.Phases {
		out = append(out, p.Phase)
	}
	return out
}

// TestMetricsAttestVerify: attest and verify each write their record; the phases cover the
// run, the counts are the run's, and the Prometheus file parses with Prometheus' own parser.
func TestMetricsAttestVerify(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	vars := map[string]string{"XDG_STATE_HOME": t.TempDir(), "HOME": t.TempDir()}
	if out, errOut, code := run(t, dir, vars, "attest", "--sigstore", "local", "./dist", "--sbom", "spdx-json",
		"--metrics-file", "attest-metrics.json"); code != 0 {
		t.Fatalf("attest exit %d: %s%s", code, out, errOut)
	}
	a := readRun(t, filepath.Join(dir, "attest-metrics.json"))
	checkCoverage(t, a)
	wantPhases := []core.Phase{core.PhaseCollect, core.PhaseDigest, core.PhaseSetup, core.PhasePredicate, core.PhaseSign,
		core.PhaseCertificate, core.PhaseTimestamp, core.PhaseWrite}
	if diff := cmp.Diff(wantPhases, phaseNames(a)); diff != "" {
		t.Errorf("attest phases (-want +got):\n%s", diff)
	}
	if a.Command != "attest" || a.Result != "success" || a.Subjects != 3 ||
		a.Bundles[core.ProvenancePredicateType] != 1 || a.Bundles["https://spdx.dev/Document/v2.3"] != 3 {
		t.Errorf("attest record: %+v", a)
	}
	for k, v := range a.Failures {
		if v != 0 {
			t.Errorf("failure %s = %d in a successful run", k, v)
		}
	}

	// verify: one artifact passes, a tampered one fails the subject check.
	if err := os.WriteFile(filepath.Join(dir, "dist", "app.tar.gz"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, dir, vars, "verify", "--sigstore", "local", "--index", "attestations/index.json",
		"--metrics-file", "verify.prom", "dist/app-linux-amd64", "dist/app.tar.gz")
	if code != 1 {
		t.Fatalf("verify exit %d, want 1: %s", code, errOut)
	}
	f, err := os.Open(filepath.Join(dir, "verify.prom"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("Prometheus text parser: %v", err)
	}
	got := map[string]float64{}
	for _, m := range fams["signet_artifact_verified"].GetMetric() {
		var name, reason string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "artifact":
				name = l.GetValue()
			case "reason":
				reason = l.GetValue()
			}
		}
		got[name+" "+reason] = m.GetGauge().GetValue()
	}
	want := map[string]float64{"dist/app-linux-amd64 ": 1, "dist/app.tar.gz subject": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("signet_artifact_verified (-want +got):\n%s", diff)
	}
	for _, m := range fams["signet_failures_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "reason" && (l.GetValue() == "subject") != (m.GetCounter().GetValue() == 1) {
				t.Errorf("signet_failures_total{reason=%q} = %v", l.GetValue(), m.GetCounter().GetValue())
			}
		}
	}
	if _, err := run2json(t, dir, vars); err != nil {
		t.Fatal(err)
	}
}

// run2json verifies once more with a JSON record, to check verify's phases cover its run.
func run2json(t *testing.T, dir string, vars map[string]string) (metrics.Run, error) {
	t.Helper()
	_, errOut, code := run(t, dir, vars, "verify", "--sigstore", "local", "--index", "attestations/index.json",
		"--metrics-file", "verify.out", "--metrics-format", "json", "--output", "report.txt", "dist/app-linux-amd64")
	if code != 0 {
		t.Fatalf("verify exit %d: %s", code, errOut)
	}
	r := readRun(t, filepath.Join(dir, "verify.out"))
	checkCoverage(t, r)
	if diff := cmp.Diff([]core.Phase{core.PhaseSetup, core.PhaseDigest, core.PhaseVerify, core.PhaseWrite}, phaseNames(r)); diff != "" {
		t.Errorf("verify phases (-want +got):\n%s", diff)
	}
	if r.Subjects != 1 || r.Bundles[core.ProvenancePredicateType] != 1 || r.Result != "success" {
		t.Errorf("verify record: %+v", r)
	}
	return r, nil
}

// TestMetricsFailedRun: a failed attest still writes its record, with the failure's reason,
// and keeps its own error and exit status.
func TestMetricsFailedRun(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	vars := map[string]string{"XDG_STATE_HOME": t.TempDir(), "HOME": t.TempDir()}
	_, errOut, code := run(t, dir, vars, "attest", "--sigstore", "local", "dist/*.none", "--metrics-file", "m.json")
	if code == 0 || !strings.Contains(errOut, "matched no files") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := readRun(t, filepath.Join(dir, "m.json"))
	if r.Result != "failure" || r.Failures["input"] != 1 || r.Subjects != 0 {
		t.Errorf("record of a failed run: %+v", r)
	}
	checkCoverage(t, r)
}

// TestMetricsFlags: the format is checked before any work, and the file's place is named
// when it cannot be written.
func TestMetricsFlags(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	vars := map[string]string{"XDG_STATE_HOME": t.TempDir(), "HOME": t.TempDir()}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"attest", "--sigstore", "local", "dist", "--metrics-format", "json"}, 2, "--metrics-format given without --metrics-file"},
		{[]string{"attest", "--sigstore", "local", "dist", "--metrics-file", "m", "--metrics-format", "openmetrics"}, 2, `--metrics-format "openmetrics"`},
		{[]string{"verify", "--sigstore", "local", "--index", "x.json", "dist/app.tar.gz", "--metrics-file", "m", "--metrics-format", "XML"}, 2, `--metrics-format "XML"`},
		{[]string{"attest", "--sigstore", "local", "dist", "--output-dir", "att2", "--metrics-file", "no/such/dir/m.prom"}, 1, `--metrics-file "no/such/dir/m.prom"`},
	}
	for _, tc := range tests {
		_, errOut, code := run(t, dir, vars, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "attestations")); !os.IsNotExist(err) {
		t.Errorf("a refused flag let the run write: %v", err)
	}
}

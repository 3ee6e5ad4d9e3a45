package gitlab_test

import (
	"os"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// checkMetricsReport parses the job's metrics report with Prometheus' own text parser (GitLab's
// metrics report reads the same format) and checks the run's result and, for a failed run,
// that reason is the one failure counted.
func checkMetricsReport(t *testing.T, path, result, reason string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the metrics report: %v", err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("the metrics report %s is not Prometheus text: %v", path, err)
	}
	if d := fams["signet_run_duration_seconds"].GetMetric(); len(d) != 1 || d[0].GetGauge().GetValue() <= 0 {
		t.Errorf("signet_run_duration_seconds %v, want one positive sample", d)
	}
	var results []string
	for _, m := range fams["signet_run_info"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "result" {
				results = append(results, l.GetValue())
			}
		}
	}
	if len(results) != 1 || results[0] != result {
		t.Errorf("signet_run_info results %q, want [%q]", results, result)
	}
	failed := map[string]float64{}
	for _, m := range fams["signet_failures_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "reason" && m.GetCounter().GetValue() != 0 {
				failed[l.GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	if want := map[string]float64{reason: 1}; (reason == "" && len(failed) != 0) || (reason != "" && (len(failed) != 1 || failed[reason] != 1)) {
		t.Errorf("signet_failures_total counts %v, want %v", failed, want)
	}
}

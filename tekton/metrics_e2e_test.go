package tekton_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/signet-ci/signet/localsigstore"
)

// TestTaskRunContractMetricsFile runs the Task with the metrics-file param: the run's record
// is in the workspace in Prometheus text, after a successful run and after a failed one.
func TestTaskRunContractMetricsFile(t *testing.T) {
	t.Parallel()
	s, trust := startSigstore(t)
	task := defaultedTask(t)
	for _, tc := range []struct {
		name, subject, result string
	}{
		{"success", "dist/", "success"},
		{"failure", "dist/*.zip", "failure"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, s, trust)
			p.writeToken(mustToken(t, s, localsigstore.WithAudience("sigstore")))
			writeBytes(t, filepath.Join(p.ws, "dist", "app.tar.gz"), "app")
			_, stderr, err := p.run(task, map[string][]string{"subject-path": {tc.subject}, "sigstore": {trust},
				"metrics-file": {"signet.prom"}})
			if (err == nil) != (tc.result == "success") {
				t.Fatalf("the step: %v, want %s\n%s", err, tc.result, stderr)
			}
			checkMetrics(t, filepath.Join(p.ws, "signet.prom"), tc.result)
			if _, err := os.Stat(filepath.Join(p.ws, "attestations")); tc.result == "failure" && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a failed run left its output directory: %v", err)
			}
		})
	}
}

// checkMetrics parses a metrics file with Prometheus' own text parser and checks it holds the
// run's duration and result.
func checkMetrics(t *testing.T, path, result string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the metrics file: %v", err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("%s is not Prometheus text: %v", path, err)
	}
	if d := fams["signet_run_duration_seconds"].GetMetric(); len(d) != 1 || d[0].GetGauge().GetValue() <= 0 {
		t.Errorf("signet_run_duration_seconds %v, want one positive sample", d)
	}
	info := fams["signet_run_info"].GetMetric()
	if len(info) != 1 {
		t.Fatalf("signet_run_info %v, want one sample", info)
	}
	for _, l := range info[0].GetLabel() {
		if l.GetName() == "result" && l.GetValue() != result {
			t.Errorf("signet_run_info result %q, want %q", l.GetValue(), result)
		}
	}
}

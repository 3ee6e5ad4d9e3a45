package action_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/signet-ci/signet/localsigstore"
)

// TestPlanMetricsFile reads the metrics-file input: a file of the workspace outside the output
// directory, made absolute; anything else is refused, naming the input.
func TestPlanMetricsFile(t *testing.T) {
	t.Parallel()
	ws := planWorkspace(t)
	for _, tc := range []struct {
		name, value, outDir, want, bad string
	}{
		{name: "none", value: ""},
		{name: "prometheus", value: "signet.prom", outDir: "attestations", want: filepath.Join(ws, "signet.prom")},
		{name: "json in a directory", value: "dist/metrics.json", outDir: "attestations", want: filepath.Join(ws, "dist/metrics.json")},
		{name: "absolute in the workspace", value: filepath.Join(ws, "m.prom"), outDir: "attestations", want: filepath.Join(ws, "m.prom")},
		{name: "outside the workspace", value: "../m.prom", bad: `"../m.prom": expected a file inside the workspace`},
		{name: "absolute elsewhere", value: "/etc/m.prom", bad: "expected a file inside the workspace"},
		{name: "in the output directory", value: "out/m.prom", outDir: "out", bad: `expected a file outside the output directory "` + filepath.Join(ws, "out")},
		{name: "the output directory", value: "./out/", outDir: "out", bad: "outside the output directory"},
		{name: "a directory that does not exist", value: "reports/m.prom", bad: "does not exist in the workspace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"INPUT_METRICS-FILE": tc.value, "INPUT_OUTPUT-DIR": tc.outDir}
			p, err := plan(t, ws, env)
			if tc.bad == "" {
				if err != nil || p.Settings.MetricsFile != tc.want {
					t.Errorf("metrics-file %q: %q, %v; want %q", tc.value, p.Settings.MetricsFile, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "input metrics-file (INPUT_METRICS-FILE): ") || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("metrics-file %q: %v; want an error on the input saying %q", tc.value, err, tc.bad)
			}
		})
	}
}

// checkRunnerMetrics runs the action with metrics-file: the file is Prometheus text with the
// run's duration, the job summary shows the phases; a failed run still writes its record.
func checkRunnerMetrics(t *testing.T, bin string, ss *localsigstore.Sigstore, ep *tokenEndpoint, meta actionMetadata, claims map[string]any) {
	st := newStep(t, ss, ep, meta, claims, map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore", "metrics-file": "signet.prom"})
	if res := st.run(t, bin, "attest"); res.code != 0 {
		t.Fatalf("attest exited %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	checkPrometheus(t, filepath.Join(st.ws, "signet.prom"), "success")
	summary := readFile(t, st.env["GITHUB_STEP_SUMMARY"])
	for _, want := range []string{"The run took ", "digest ", " s · ", "Metrics: <code>signet.prom</code>."} {
		if !strings.Contains(summary, want) {
			t.Errorf("the job summary lacks %q:\n%s", want, summary)
		}
	}

	failed := newStep(t, ss, ep, meta, claims, map[string]string{"subject-path": "dist/*.zip", "sigstore": "sigstore", "metrics-file": "signet.prom"})
	if res := failed.run(t, bin, "attest"); res.code == 0 {
		t.Fatal("attest of a glob matching nothing succeeded")
	}
	checkPrometheus(t, filepath.Join(failed.ws, "signet.prom"), "failure")
}

// checkPrometheus parses a metrics file with Prometheus' own text parser and checks the run's
// duration and result.
func checkPrometheus(t *testing.T, path, result string) {
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

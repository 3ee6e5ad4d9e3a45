package tekton

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/ci"
)

// TestReadStepMetricsFile reads the metrics-file param: a file in the workspace, made
// absolute; anything outside it is refused, naming the param and its variable.
func TestReadStepMetricsFile(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	writeFile(t, ws, "dist/app", "app")
	real, err := filepath.EvalSymlinks(ws)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(ws, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("dist", filepath.Join(ws, "inside")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		value, want, bad string
	}{
		{"", "", ""},
		{"signet.prom", filepath.Join(real, "signet.prom"), ""},
		{" dist/metrics.json\n", filepath.Join(real, "dist/metrics.json"), ""},
		{"../signet.prom", "", `"../signet.prom": expected a file inside the workspace`},
		{"/tekton/results/metrics", "", "expected a file inside the workspace"},
		{".", "", "expected a file inside the workspace"},
		{"dist/../..", "", "expected a file inside the workspace"},
		{"reports/metrics.json", "", `its directory "` + filepath.Join(real, "reports") + `" does not exist`},
		{"dist/app/m.prom", "", "does not exist"},
		{"out/m.prom", "", "leads out of the workspace"},
		{"inside/m.prom", filepath.Join(real, "inside/m.prom"), ""},
	} {
		got, err := ReadStep(envOf(map[string]string{EnvWorkspace: ws, EnvMetricsFile: tc.value}))
		if tc.bad == "" {
			if err != nil || got.MetricsFile != tc.want {
				t.Errorf("metrics-file %q: %q, %v; want %q", tc.value, got.MetricsFile, err, tc.want)
			}
			continue
		}
		var ie *ci.InputError
		if !errors.As(err, &ie) || ie.Input != ParamMetricsFile || ie.Source != EnvMetricsFile || !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("metrics-file %q: %v; want an error on param %s (%s) saying %q", tc.value, err, ParamMetricsFile, EnvMetricsFile, tc.bad)
		}
	}
}

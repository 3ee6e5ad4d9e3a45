package cli

import (
	"testing"

	"github.com/signet-ci/signet/ci"
)

// TestApplyMetricsFile: a platform's metrics file fills --metrics-file, but never replaces one
// the command line gave (extra arguments are the user's own choice; GitLab's job always sets
// its file); an unset platform file leaves the flag alone.
func TestApplyMetricsFile(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ flag, platform, want string }{
		{"", "", ""},
		{"", "/ws/signet-metrics.txt", "/ws/signet-metrics.txt"},
		{"mine.json", "/ws/signet-metrics.txt", "mine.json"},
		{"mine.json", "", "mine.json"},
	} {
		c := attestConfig{Metrics: metricsConfig{File: tc.flag}}
		c.apply(ci.Plan{Settings: ci.Settings{MetricsFile: tc.platform}})
		if c.Metrics.File != tc.want {
			t.Errorf("--metrics-file %q, platform %q: %q, want %q", tc.flag, tc.platform, c.Metrics.File, tc.want)
		}
	}
}

package gitlab_test

import (
	"strings"
	"testing"
)

// summaryCommand returns the command of the job-log summary that starts with prefix, its
// continuation lines joined as a shell joins them.
func summaryCommand(t *testing.T, log, prefix string) string {
	t.Helper()
	lines := strings.Split(log, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimSpace(l), prefix) {
			continue
		}
		cmd := []string{l}
		for strings.HasSuffix(cmd[len(cmd)-1], "\\") && i+len(cmd) < len(lines) {
			cmd = append(cmd, lines[i+len(cmd)])
		}
		return strings.Join(cmd, "\n")
	}
	t.Fatalf("the job log has no %q command:\n%s", prefix, log)
	return ""
}

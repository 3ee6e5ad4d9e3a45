//go:build tier3

package tier3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stack names the binaries and services scripts/tier3.sh built and started.
type stack struct {
	Signet string // signet binary
	Cosign string // cosign v3.1.3 binary
	OIDC   string // signet sigstore serve: issuers at <OIDC>/oidc/<preset>
	Fulcio string
	TSA    string
	Rekor  string
}

// loadStack reads the stack from the SIGNET_TIER3_* variables; it fails (never skips) without them.
func loadStack(t testing.TB) stack {
	t.Helper()
	var s stack
	vars := []struct {
		name string
		dst  *string
	}{
		{"SIGNET_TIER3_SIGNET", &s.Signet},
		{"SIGNET_TIER3_COSIGN", &s.Cosign},
		{"SIGNET_TIER3_OIDC_URL", &s.OIDC},
		{"SIGNET_TIER3_FULCIO_URL", &s.Fulcio},
		{"SIGNET_TIER3_TSA_URL", &s.TSA},
		{"SIGNET_TIER3_REKOR_URL", &s.Rekor},
	}
	var missing []string
	for _, v := range vars {
		*v.dst = strings.TrimRight(os.Getenv(v.name), "/")
		if *v.dst == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("tier-3 tests need %s: run scripts/tier3.sh, which starts the services and sets them",
			strings.Join(missing, ", "))
	}
	return s
}

const (
	attempts       = 3
	attemptTimeout = 10 * time.Second
	firstBackoff   = 250 * time.Millisecond
	commandTimeout = 3 * time.Minute
)

// errClient marks a 4xx answer, which a retry would not change.
var errClient = errors.New("client error")

// call sends one request to service at url, retrying network errors and 5xx answers with backoff.
func call(ctx context.Context, service, method, url string, body []byte) ([]byte, error) {
	backoff := firstBackoff
	var err error
	for i := 0; i < attempts; i++ {
		var out []byte
		if out, err = callOnce(ctx, method, url, body); err == nil {
			return out, nil
		}
		if errors.Is(err, errClient) || i == attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s %s %s: %w", service, method, url, ctx.Err())
		case <-time.After(backoff):
		}
		backoff *= 2
	}
	return nil, fmt.Errorf("%s %s %s: %w", service, method, url, err)
}

func callOnce(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	switch {
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, out)
	case resp.StatusCode >= 300:
		return nil, fmt.Errorf("%w: HTTP %d: %.300s", errClient, resp.StatusCode, out)
	}
	return out, nil
}

// result is what one command printed and how it ended.
type result struct {
	Stdout, Stderr string
	Err            error
}

// run executes bin with args in dir under a clean environment: PATH, a private HOME, TMPDIR and
// extra. No CI platform variables leak in, so signet sees a local run whatever CI runs the tests.
func run(ctx context.Context, t testing.TB, dir string, extra []string, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CACHE_HOME=" + filepath.Join(home, "cache"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"TUF_ROOT=" + filepath.Join(home, "tuf"),
		"TMPDIR=" + os.TempDir(),
	}, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s (%v, %s)%s", filepath.Base(bin), strings.Join(args, " "), exitOf(err),
		time.Since(start).Round(time.Millisecond), lastLine(stderr.String()))
	return result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// lastLine returns the last non-empty line of s, prefixed for a log line, or "".
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return "\n\t" + s[strings.LastIndex(s, "\n")+1:]
}

func exitOf(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit 0"
	case errors.As(err, &ee):
		return fmt.Sprintf("exit %d", ee.ExitCode())
	}
	return err.Error()
}

// mustSucceed fails the test with the command's output when it did not exit 0.
func (r result) mustSucceed(t testing.TB, what string) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", what, r.Err, r.Stdout, r.Stderr)
	}
}

// mustFail fails the test unless the command ran to a rejection (exit 1 or more, not a timeout or
// a missing binary) whose output contains reason.
func (r result) mustFail(t testing.TB, what, reason string) {
	t.Helper()
	var ee *exec.ExitError
	if r.Err == nil {
		t.Fatalf("%s: exit 0, expected a rejection\nstdout:\n%s\nstderr:\n%s", what, r.Stdout, r.Stderr)
	}
	if !errors.As(r.Err, &ee) || ee.ExitCode() < 1 {
		t.Fatalf("%s: did not run to a verdict: %v\nstderr:\n%s", what, r.Err, r.Stderr)
	}
	if !strings.Contains(r.Stdout+r.Stderr, reason) {
		t.Fatalf("%s: rejected, but not with %q\nstdout:\n%s\nstderr:\n%s", what, reason, r.Stdout, r.Stderr)
	}
}

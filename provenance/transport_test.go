package provenance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-ci/signet/internal/backoff"
)

// issuerStub answers with statuses[i] for request i (the last repeats); 0 means 200 "ok".
func issuerStub(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := calls.Add(1)
		code := statuses[min(int(n), len(statuses))-1]
		if code == 0 {
			_, _ = io.WriteString(w, "ok")
			return
		}
		http.Error(w, fmt.Sprintf("attempt %d", n), code)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func stubTransport(t *testing.T, attempts int, first time.Duration) *retryTransport {
	t.Helper()
	p, err := retryPolicy(attempts, first)
	if err != nil {
		t.Fatal(err)
	}
	return &retryTransport{base: http.DefaultTransport, service: `OIDC issuer "stub"`, retry: p, perTry: time.Second}
}

func get(ctx context.Context, rt http.RoundTripper, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// A failing issuer is tried exactly as WithRetries says: N failures then success needs N+1
// attempts, and more failures than attempts give up after the last attempt.
func TestRetryTransportTriesExactlyAsConfigured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		statuses  []int
		attempts  int
		wantCalls int64
		wantErr   string
	}{
		{[]int{0}, 1, 1, ""},
		{[]int{503, 0}, 2, 2, ""},
		{[]int{500, 502, 429, 0}, 4, 4, ""},
		{[]int{503, 503, 0}, 2, 2, "GET {url}: failed after 2 attempt(s): HTTP 503 Service Unavailable"},
		{[]int{500}, 10, 10, "failed after 10 attempt(s): HTTP 500 Internal Server Error"},
	} {
		t.Run(fmt.Sprint(tc.statuses, tc.attempts), func(t *testing.T) {
			t.Parallel()
			srv, calls := issuerStub(t, tc.statuses...)
			body, err := get(t.Context(), stubTransport(t, tc.attempts, time.Millisecond), srv.URL)
			if tc.wantErr == "" && (err != nil || body != "ok") {
				t.Fatalf("got %q, %v; want ok", body, err)
			}
			var fe *fetchError
			if want := strings.ReplaceAll(tc.wantErr, "{url}", srv.URL); tc.wantErr != "" &&
				(!errors.As(err, &fe) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `OIDC issuer "stub"`)) {
				t.Fatalf("err = %v, want a fetchError naming the issuer and %q", err, want)
			}
			if calls.Load() != tc.wantCalls {
				t.Errorf("requests = %d, want %d", calls.Load(), tc.wantCalls)
			}
		})
	}
}

// A client error is the issuer's final word: no retry.
func TestRetryTransportDoesNotRetry4xx(t *testing.T) {
	t.Parallel()
	for _, code := range []int{400, 401, 403, 404, 410, 418} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			srv, calls := issuerStub(t, code, 0)
			_, err := get(t.Context(), stubTransport(t, 5, time.Millisecond), srv.URL)
			if !strings.Contains(err.Error(), fmt.Sprintf("failed after 1 attempt(s): HTTP %d", code)) {
				t.Fatalf("err = %v, want failure after 1 attempt with HTTP %d", err, code)
			}
			if calls.Load() != 1 {
				t.Errorf("requests = %d, want 1", calls.Load())
			}
		})
	}
}

// An oversized answer is refused at once, not fetched again.
func TestRetryTransportRefusesOversizeOnce(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		_, _ = w.Write(make([]byte, maxDocument+1))
	}))
	t.Cleanup(srv.Close)
	_, err := get(t.Context(), stubTransport(t, 5, time.Millisecond), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "response larger than") || calls.Load() != 1 {
		t.Fatalf("err = %v after %d request(s), want one refused oversize answer", err, calls.Load())
	}
}

// A cancelled context ends the wait between attempts at once.
func TestRetryTransportStopsWaitingWhenCancelled(t *testing.T) {
	t.Parallel()
	srv, calls := issuerStub(t, 503)
	rt := stubTransport(t, backoff.MaxAttempts, time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() { _, err := get(ctx, rt, srv.URL); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the transport kept waiting an hour after the context was cancelled")
	}
	if calls.Load() != 1 {
		t.Errorf("requests = %d, want 1", calls.Load())
	}
}

// An issuer's Retry-After is honoured (here 1s against a 1ms backoff).
func TestRetryTransportHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	start := time.Now()
	if body, err := get(t.Context(), stubTransport(t, 2, time.Millisecond), srv.URL); err != nil || body != "ok" {
		t.Fatalf("got %q, %v; want ok", body, err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("retried after %v, want at least the 1s the issuer asked for", waited)
	}
}

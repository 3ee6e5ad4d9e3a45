package sigstore

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
)

func TestRetryTransport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		statuses  []int // per attempt; the last one repeats; 0 = hang until the client gives up
		wantCode  int
		wantErr   string
		wantCalls int64
	}{
		{"ok", []int{200}, 200, "", 1},
		{"503 then ok", []int{503, 200}, 200, "", 2},
		{"429 then ok", []int{429, 200}, 200, "", 2},
		{"timeout then ok", []int{0, 200}, 200, "", 2},
		{"client error is final", []int{400, 200}, 400, "", 1},
		{"always 500", []int{500}, 0, "failed after 3 attempt(s): status 500 Internal Server Error: attempt 3", 3},
		{"502 twice then ok", []int{502, 502, 200}, 200, "", 3},
		{"429 three times is 3 attempts", []int{429}, 0, "failed after 3 attempt(s): status 429 Too Many Requests", 3},
		{"401 is final", []int{401, 200}, 401, "", 1},
		{"404 is final", []int{404, 200}, 404, "", 1},
		{"409 is final", []int{409, 200}, 409, "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				body, _ := io.ReadAll(r.Body)
				if string(body) != "payload" {
					http.Error(w, "body not replayed: "+string(body), http.StatusTeapot)
					return
				}
				code := tc.statuses[min(int(n), len(tc.statuses))-1]
				if code == 0 {
					<-r.Context().Done()
					return
				}
				http.Error(w, fmt.Sprintf("attempt %d", n), code)
			}))
			t.Cleanup(srv.Close)
			n := testNet(t, 300*time.Millisecond, 2, time.Millisecond, 5*time.Millisecond)
			req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("payload"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := n.client(t.Context()).Do(req)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want ErrUnavailable with %q", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.wantCode {
					t.Errorf("status %d, want %d", resp.StatusCode, tc.wantCode)
				}
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("attempts = %d, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestRetryTransportStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(t.Context())
	n := testNet(t, time.Second, maxRetries, time.Hour, time.Hour)
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := n.client(ctx).Get(srv.URL)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v, want context.Canceled promptly", err, time.Since(start))
	}
	if calls.Load() != 1 {
		t.Errorf("attempts = %d, want 1", calls.Load())
	}
}

// testNet is a netConfig made through the same setters the options use.
func testNet(t *testing.T, timeout time.Duration, retries int, first, limit time.Duration) netConfig {
	t.Helper()
	n := defaultNet()
	if err := n.setTimeout(timeout); err != nil {
		t.Fatal(err)
	}
	if err := n.setRetries(retries); err != nil {
		t.Fatal(err)
	}
	if err := n.setBackoff(first, limit); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNetSettersValidate(t *testing.T) {
	t.Parallel()
	n := defaultNet()
	if got := n.retry.Attempts(); got != DefaultRetries+1 {
		t.Errorf("default attempts = %d, want %d", got, DefaultRetries+1)
	}
	for _, tc := range []struct {
		name string
		set  func(*netConfig) error
		want string
	}{
		{"negative retries", func(n *netConfig) error { return n.setRetries(-1) }, "retries -1: expected 0 to 9"},
		{"retries past backoff's bound", func(n *netConfig) error { return n.setRetries(maxRetries + 1) }, "retries 10: expected 0 to 9"},
		{"zero first backoff", func(n *netConfig) error { return n.setBackoff(0, time.Second) }, "expected 0 < first <= max"},
		{"inverted backoff", func(n *netConfig) error { return n.setBackoff(time.Second, time.Millisecond) }, "expected 0 < first <= max"},
		{"zero timeout", func(n *netConfig) error { return n.setTimeout(0) }, "HTTP timeout 0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := defaultNet()
			before := n.retry
			if err := tc.set(&n); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if n.retry != before {
				t.Errorf("a refused option changed the policy to %+v", n.retry)
			}
		})
	}
	// Setters compose: a later one keeps what an earlier one set.
	n = testNet(t, time.Second, 5, 7*time.Millisecond, 70*time.Millisecond)
	if n.retry.Attempts() != 6 || n.retry.Delay(0) != 7*time.Millisecond || n.retry.MaxDelay() != 70*time.Millisecond {
		t.Errorf("policy = %d attempts, %v up to %v; want 6, 7ms up to 70ms", n.retry.Attempts(), n.retry.Delay(0), n.retry.MaxDelay())
	}
}

// TestRetryTransportFailsNTimes: a server failing its first N requests is tried exactly
// min(N+1, retries+1) times, and its last answer decides.
func TestRetryTransportFailsNTimes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fails, retries int
		wantCalls      int64
		wantOK         bool
	}{
		{0, 0, 1, true}, {1, 0, 1, false}, {1, 1, 2, true}, {3, 3, 4, true}, {4, 3, 4, false}, {9, 9, 10, true}, {10, 9, 10, false},
	} {
		t.Run(fmt.Sprintf("%d failures, %d retries", tc.fails, tc.retries), func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if calls.Add(1) <= int64(tc.fails) {
					http.Error(w, "busy", http.StatusServiceUnavailable)
					return
				}
				_, _ = io.WriteString(w, "ok")
			}))
			t.Cleanup(srv.Close)
			resp, err := testNet(t, time.Second, tc.retries, time.Millisecond, time.Millisecond).client(t.Context()).Get(srv.URL)
			if tc.wantOK {
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != "ok" {
					t.Errorf("body %q, want ok", body)
				}
			} else if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), fmt.Sprintf("GET %s: failed after %d attempt(s)", srv.URL, tc.wantCalls)) {
				t.Fatalf("err = %v, want ErrUnavailable naming GET %s and %d attempts", err, srv.URL, tc.wantCalls)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("requests = %d, want %d", got, tc.wantCalls)
			}
		})
	}
}

// A body that cannot be rewound is sent once: a retry would send an empty or partial body.
func TestRetryTransportSendsAnUnrewindableBodyOnce(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("payload"))) // no GetBody
	if err != nil {
		t.Fatal(err)
	}
	_, err = testNet(t, time.Second, 3, time.Millisecond, time.Millisecond).client(t.Context()).Do(req)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "cannot be sent again") {
		t.Fatalf("err = %v, want ErrUnavailable saying the body cannot be sent again", err)
	}
	if calls.Load() != 1 {
		t.Errorf("requests = %d, want 1", calls.Load())
	}
}

// A server's Retry-After is honoured up to the backoff's limit, and no further.
func TestRetryTransportHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, header string
		limit        time.Duration
		atLeast      time.Duration
	}{
		{"seconds within the limit", "1", 2 * time.Second, time.Second},
		{"an hour capped at the limit", "3600", 50 * time.Millisecond, 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set("Retry-After", tc.header)
					http.Error(w, "slow down", http.StatusTooManyRequests)
				}
			}))
			t.Cleanup(srv.Close)
			start := time.Now()
			resp, err := testNet(t, time.Second, 1, time.Millisecond, tc.limit).client(t.Context()).Get(srv.URL)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			resp.Body.Close()
			if waited := time.Since(start); waited < tc.atLeast || waited > 10*time.Second {
				t.Errorf("retried after %v, want at least %v and far less than the hour asked", waited, tc.atLeast)
			}
			if calls.Load() != 2 {
				t.Errorf("requests = %d, want 2", calls.Load())
			}
		})
	}
}

// A request whose own context ends during a wait stops with that context's error.
func TestRetryTransportStopsWhenTheRequestIsCancelled(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := testNet(t, time.Second, maxRetries, time.Hour, time.Hour).client(t.Context()).Do(req)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want the request's context.DeadlineExceeded, not ErrUnavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the transport kept waiting after the request's context ended")
	}
}

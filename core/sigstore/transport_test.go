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
		{"always 500", []int{500}, 0, "giving up after 3 attempt(s): status 500 Internal Server Error: attempt 3", 3},
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
			n := defaultNet()
			n.timeout, n.retries, n.backoff, n.maxBackoff = 300*time.Millisecond, 2, time.Millisecond, 5*time.Millisecond
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
	n := defaultNet()
	n.backoff, n.maxBackoff = time.Hour, time.Hour
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

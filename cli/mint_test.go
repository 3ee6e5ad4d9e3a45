//go:build !nolocalsigstore

package cli

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

// mintStub answers the mint endpoint with statuses[i] for request i (the last repeats); 0
// answers a token. It checks every attempt carries the whole body.
func mintStub(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if b, _ := io.ReadAll(r.Body); string(b) != `{"audience":"sigstore"}` {
			http.Error(w, `{"error":"body not resent"}`, http.StatusTeapot)
			return
		}
		code := statuses[min(int(n), len(statuses))-1]
		if code == 0 {
			_, _ = io.WriteString(w, `{"value":"h.p.s"}`)
			return
		}
		w.WriteHeader(code)
		_, _ = fmt.Fprintf(w, `{"error":"attempt %d"}`, n)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func fastTokenRetry(t *testing.T, attempts int, first time.Duration) backoff.Policy {
	t.Helper()
	p, err := backoff.New(backoff.WithAttempts(attempts), backoff.WithDelay(first, first))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMintTokenRetriesExactlyAsConfigured(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		statuses  []int
		attempts  int
		wantCalls int64
		wantErr   string
	}{
		{"first try", []int{0}, 4, 1, ""},
		{"503 twice then a token", []int{503, 503, 0}, 4, 3, ""},
		{"429 then a token", []int{429, 0}, 4, 2, ""},
		{"always 500", []int{500}, 4, 4, "asking the local Sigstore at {url} for a token: failed after 4 attempt(s): server answered 500"},
		{"fails once more than attempts", []int{502, 502, 0}, 2, 2, "failed after 2 attempt(s): server answered 502"},
		{"400 is final", []int{400, 0}, 4, 1, "asking the local Sigstore at {url} for a token: server answered 400 Bad Request: attempt 1"},
		{"404 is final", []int{404, 0}, 4, 1, "server answered 404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, calls := mintStub(t, tc.statuses...)
			tok, err := postMint(t.Context(), fastTokenRetry(t, tc.attempts, time.Millisecond), srv.URL, []byte(`{"audience":"sigstore"}`))
			if tc.wantErr == "" {
				if err != nil || tok != "h.p.s" {
					t.Fatalf("got %q, %v; want the token", tok, err)
				}
			} else if want := strings.ReplaceAll(tc.wantErr, "{url}", srv.URL); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want %q", err, want)
			}
			if calls.Load() != tc.wantCalls {
				t.Errorf("requests = %d, want %d", calls.Load(), tc.wantCalls)
			}
		})
	}
}

func TestMintTokenStopsWaitingWhenCancelled(t *testing.T) {
	t.Parallel()
	srv, calls := mintStub(t, 503)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := postMint(ctx, fastTokenRetry(t, backoff.MaxAttempts, time.Hour), srv.URL, []byte(`{"audience":"sigstore"}`))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), srv.URL) {
			t.Fatalf("err = %v, want context.Canceled naming %s", err, srv.URL)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("postMint kept waiting an hour after the context was cancelled")
	}
	if calls.Load() != 1 {
		t.Errorf("requests = %d, want 1", calls.Load())
	}
}

func TestMintTokenRefusesAnAnswerWithoutToken(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, `{"value":""}`)
	}))
	t.Cleanup(srv.Close)
	_, err := postMint(t.Context(), fastTokenRetry(t, 4, time.Millisecond), srv.URL, nil)
	if err == nil || !strings.Contains(err.Error(), `expected {"value": "<jwt>"}`) || calls.Load() != 1 {
		t.Fatalf("err = %v after %d request(s), want one refused answer", err, calls.Load())
	}
}

package action_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-ci/signet/action"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/backoff"
)

const requestBearer = "runner-request-secret"

// tokenServer is a loopback stand-in for the runner's token endpoint: it checks the bearer and
// the audience and answers with statuses, then a fresh token per request.
type tokenServer struct {
	*httptest.Server
	statuses []int // answered first, in order
	calls    atomic.Int32
}

func newTokenServer(t *testing.T, statuses ...int) *tokenServer {
	t.Helper()
	ts := &tokenServer{statuses: statuses}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(ts.calls.Add(1))
		if got := r.Header.Get("Authorization"); got != "bearer "+requestBearer {
			http.Error(w, "bad bearer "+got, http.StatusUnauthorized)
			return
		}
		if q := r.URL.Query(); q.Get("audience") != core.Audience || q.Get("api-version") != "2.0" {
			http.Error(w, "bad query "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		if n <= len(ts.statuses) {
			http.Error(w, "echo "+requestBearer, ts.statuses[n-1])
			return
		}
		fmt.Fprintf(w, `{"count": 1, "value": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig-%d"}`, n)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) env() func(string) string {
	return envOf(map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   ts.URL + "/idtoken?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestBearer,
	})
}

func TestTokenSource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		statuses  []int
		calls     int // Token calls
		wantReqs  int32
		wantToken string
		wantErr   error
		wantText  []string
	}{
		{name: "fresh token at every call", calls: 2, wantReqs: 2, wantToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig-2"},
		{name: "transient failures are retried", statuses: []int{503, 429}, calls: 1, wantReqs: 3,
			wantToken: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig-3"},
		{name: "retries are bounded", statuses: []int{500, 502, 503, 504}, calls: 1, wantReqs: 3, wantErr: action.ErrTokenRequest,
			wantText: []string{"GitHub Actions OIDC token service", "/idtoken", "failed after 3 attempt(s)", "HTTP 503"}},
		{name: "refusals are not retried and say what to change", statuses: []int{403}, calls: 1, wantReqs: 1,
			wantErr: action.ErrTokenRequest, wantText: []string{"HTTP 403", "permissions: id-token: write", "GitHub Actions OIDC token service at http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newTokenServer(t, tt.statuses...)
			var mu sync.Mutex
			var masked []string
			ts, err := action.NewTokenSource(srv.env(), action.WithRetry(backoff.WithAttempts(3), backoff.WithDelay(time.Millisecond, time.Millisecond)),
				action.WithMask(func(s string) { mu.Lock(); masked = append(masked, s); mu.Unlock() }))
			if err != nil {
				t.Fatal(err)
			}
			var tok string
			for range tt.calls {
				tok, err = ts.Token(context.Background())
			}
			if got := srv.calls.Load(); got != tt.wantReqs {
				t.Errorf("%d requests, want %d", got, tt.wantReqs)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				for _, s := range tt.wantText {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
				if strings.Contains(err.Error(), requestBearer) || strings.Contains(err.Error(), "api-version") {
					t.Errorf("error %q shows the request bearer or query", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok != tt.wantToken {
				t.Errorf("token %q, want %q", tok, tt.wantToken)
			}
			if len(masked) != tt.calls || masked[len(masked)-1] != tok[strings.LastIndex(tok, ".")+1:] {
				t.Errorf("masked %q: want the signature of each token", masked)
			}
		})
	}
}

func TestTokenSourceWithoutPermission(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{},
		{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://example.invalid/idtoken?x=1"},
		{"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "secret"},
	} {
		_, err := action.NewTokenSource(envOf(env))
		if !errors.Is(err, action.ErrNoIDToken) || !errors.Is(err, core.ErrNoToken) {
			t.Fatalf("env %v: error %v, want ErrNoIDToken, a core.ErrNoToken", env, err)
		}
		if !strings.Contains(err.Error(), "permissions: id-token: write") {
			t.Errorf("error %q does not tell the user to grant id-token: write", err)
		}
	}
}

func TestTokenSourceBadResponse(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html>proxy login</html>`)
	}))
	t.Cleanup(srv.Close)
	ts, err := action.NewTokenSource(envOf(map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL": srv.URL + "/t?a=b", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "b",
	}), action.WithRetry(backoff.WithAttempts(2), backoff.WithDelay(time.Millisecond, time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), `{"value": "<token>"}`) {
		t.Errorf("error %v: want it to name the expected response", err)
	}
}

func TestTokenOptionsValidate(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x/t?a=b", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "b"})
	tests := []struct {
		name string
		opt  action.TokenOption
		want string
	}{
		{"zero attempts", action.WithRetry(backoff.WithAttempts(0)), "token source: backoff: 0 attempts: expected 1 to 10"},
		{"unbounded attempts", action.WithRetry(backoff.WithAttempts(11)), "11 attempts"},
		{"no delay", action.WithRetry(backoff.WithDelay(0, time.Second)), "delay 0s"},
		{"a cap below the first delay", action.WithRetry(backoff.WithDelay(time.Second, time.Millisecond)), "expected 0 < first <= max"},
		{"nil client", action.WithHTTPClient(nil), "nil HTTP client"},
		{"nil mask", action.WithMask(nil), "nil mask"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := action.NewTokenSource(env, tt.opt)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// TestTokenSourceStopsWhenContextEnds checks that a cancelled step does not wait out the retries.
func TestTokenSourceStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	srv := newTokenServer(t, 503, 503, 503, 503)
	ts, err := action.NewTokenSource(srv.env(), action.WithRetry(backoff.WithAttempts(4), backoff.WithDelay(time.Hour, time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = ts.Token(ctx)
	if !errors.Is(err, action.ErrTokenRequest) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v: want ErrTokenRequest and the context's deadline", err)
	}
	if n := srv.calls.Load(); n != 1 {
		t.Errorf("%d requests, want 1 before the context ended", n)
	}
	var be *backoff.Error
	if !errors.As(err, &be) || be.Attempts != 1 {
		t.Errorf("error %v: want a *backoff.Error after 1 attempt", err)
	}
}

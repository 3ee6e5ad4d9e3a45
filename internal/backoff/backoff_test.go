package backoff

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  Option
	}{
		{"zero attempts", WithAttempts(0)},
		{"too many attempts", WithAttempts(MaxAttempts + 1)},
		{"zero delay", WithDelay(0, time.Second)},
		{"max below first", WithDelay(time.Second, time.Millisecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tc.opt); err == nil {
				t.Fatal("New accepted an invalid option")
			}
		})
	}
}

func TestDelayDoublesAndCaps(t *testing.T) {
	t.Parallel()
	p, err := New(WithDelay(100*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for n, w := range want {
		if got := p.Delay(n); got != w*time.Millisecond {
			t.Errorf("Delay(%d) = %v, want %v", n, got, w*time.Millisecond)
		}
	}
	if got := p.Delay(1 << 20); got != time.Second {
		t.Errorf("Delay(huge) = %v, want the cap", got)
	}
}

func TestDo(t *testing.T) {
	t.Parallel()
	fast, err := New(WithAttempts(3), WithDelay(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	transient := errors.New("HTTP 503")
	fatal := errors.New("HTTP 400")
	for _, tc := range []struct {
		name      string
		fails     []error // one per attempt; nil after them
		wantCalls int
		wantErr   error
		wantRetry bool // the error is an *Error
	}{
		{"first try", nil, 1, nil, false},
		{"recovers", []error{transient, transient}, 3, nil, false},
		{"gives up", []error{transient, transient, transient, transient}, 3, transient, true},
		{"permanent stops at once", []error{Permanent(fatal)}, 1, fatal, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			err := fast.Do(context.Background(), "test service", func(context.Context) error {
				calls++
				if calls <= len(tc.fails) {
					return tc.fails[calls-1]
				}
				return nil
			})
			if calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tc.wantCalls)
			}
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			var be *Error
			if errors.As(err, &be) != tc.wantRetry {
				t.Fatalf("err = %#v: *Error = %v, want %v", err, !tc.wantRetry, tc.wantRetry)
			}
			if tc.wantRetry && (be.Attempts != 3 || be.Service != "test service") {
				t.Errorf("*Error = %+v, want 3 attempts of test service", be)
			}
		})
	}
}

func TestDoStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	slow, err := New(WithAttempts(MaxAttempts), WithDelay(time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	done := make(chan error)
	go func() {
		done <- slow.Do(ctx, "svc", func(context.Context) error { calls++; return errors.New("down") })
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Fatalf("err = %v after %d call(s), want context.Canceled after 1", err, calls)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Do kept waiting an hour after the context ended")
	}
}

func TestZeroPolicyRefused(t *testing.T) {
	t.Parallel()
	if err := (Policy{}).Do(context.Background(), "svc", func(context.Context) error { return nil }); err == nil {
		t.Fatal("a zero Policy ran the operation")
	}
}

func TestDelayAfterHonoursRetryAfterWithinTheCap(t *testing.T) {
	t.Parallel()
	p, err := New(WithDelay(100*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	busy := errors.New("HTTP 429")
	for _, tc := range []struct {
		name string
		n    int
		err  error
		want time.Duration
	}{
		{"no Retry-After", 0, busy, 100 * time.Millisecond},
		{"nil error", 1, nil, 200 * time.Millisecond},
		{"longer than the backoff", 0, RetryAfter(busy, 700*time.Millisecond), 700 * time.Millisecond},
		{"shorter than the backoff", 2, RetryAfter(busy, time.Millisecond), 400 * time.Millisecond},
		{"capped at MaxDelay", 0, RetryAfter(busy, time.Hour), time.Second},
		{"found through wrapping", 0, fmt.Errorf("fulcio: %w", RetryAfter(busy, 500*time.Millisecond)), 500 * time.Millisecond},
		{"zero ignored", 0, RetryAfter(busy, 0), 100 * time.Millisecond},
		{"negative ignored", 0, RetryAfter(busy, -time.Hour), 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := p.DelayAfter(tc.n, tc.err); got != tc.want {
				t.Errorf("DelayAfter(%d, %v) = %v, want %v", tc.n, tc.err, got, tc.want)
			}
		})
	}
	if p.MaxDelay() != time.Second {
		t.Errorf("MaxDelay = %v, want 1s", p.MaxDelay())
	}
}

func TestRetryAfterKeepsTheError(t *testing.T) {
	t.Parallel()
	busy := errors.New("HTTP 503: busy")
	err := RetryAfter(busy, time.Second)
	if !errors.Is(err, busy) || err.Error() != busy.Error() {
		t.Errorf("RetryAfter(busy) = %q, want busy's own message and errors.Is busy", err)
	}
	if RetryAfter(nil, time.Second) != nil {
		t.Error("RetryAfter(nil) is not nil")
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"3", 3 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"Thu, 03 Dec 2026 00:00:30 GMT", 30 * time.Second, true},
		{"Wed, 02 Dec 2026 23:00:00 GMT", 0, true}, // in the past
		{"-1", 0, false},
		{"1.5", 0, false},
		{"3s", 0, false},
		{"99999999999999999999", 0, false},
		{"tomorrow", 0, false},
	} {
		got, ok := ParseRetryAfter(tc.value, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestDoHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	p, err := New(WithAttempts(2), WithDelay(time.Millisecond, 150*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	calls := 0
	err = p.Do(context.Background(), "svc", func(context.Context) error {
		calls++
		if calls == 1 {
			return RetryAfter(errors.New("HTTP 429"), 100*time.Millisecond)
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("err = %v after %d call(s), want success after 2", err, calls)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("retried after %v, want at least the 100ms the server asked for", waited)
	}
}

func TestDoRetryAfterCannotOutwaitTheCap(t *testing.T) {
	t.Parallel()
	p, err := New(WithAttempts(3), WithDelay(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- p.Do(context.Background(), "svc", func(context.Context) error {
			return RetryAfter(errors.New("HTTP 503"), 24*time.Hour)
		})
	}()
	select {
	case err := <-done:
		var be *Error
		if !errors.As(err, &be) || be.Attempts != 3 {
			t.Fatalf("err = %v, want an *Error after 3 attempts", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a server's Retry-After of a day stretched Do past MaxDelay")
	}
}

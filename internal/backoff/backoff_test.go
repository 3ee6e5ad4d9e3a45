package backoff

import (
	"context"
	"errors"
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

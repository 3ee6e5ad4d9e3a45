// Package backoff is signet's one retry rule for network calls: a bounded number of attempts
// with exponential backoff between them, capped, and cut short by the caller's context.
package backoff

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults of a Policy made with no options.
const (
	DefaultAttempts = 4
	DefaultFirst    = 500 * time.Millisecond
	DefaultMax      = 8 * time.Second
	// MaxAttempts bounds WithAttempts: a CI step must not hang on a dead service.
	MaxAttempts = 10
)

// Policy is how often, and how far apart, an operation is tried. The zero value is not
// usable; make one with New.
type Policy struct {
	attempts   int
	first, max time.Duration
}

// Option configures New; each validates its values.
type Option func(*Policy) error

// WithAttempts sets how many times an operation is tried in all, 1 to MaxAttempts.
func WithAttempts(n int) Option {
	return func(p *Policy) error {
		if n < 1 || n > MaxAttempts {
			return fmt.Errorf("backoff: %d attempts: expected 1 to %d", n, MaxAttempts)
		}
		p.attempts = n
		return nil
	}
}

// WithDelay sets the wait after the first failed attempt, doubled after each further one and
// capped at max.
func WithDelay(first, max time.Duration) Option {
	return func(p *Policy) error {
		if first <= 0 || max < first {
			return fmt.Errorf("backoff: delay %v up to %v: expected 0 < first <= max", first, max)
		}
		p.first, p.max = first, max
		return nil
	}
}

// New returns a Policy with the defaults changed by opts.
func New(opts ...Option) (Policy, error) {
	p := Policy{attempts: DefaultAttempts, first: DefaultFirst, max: DefaultMax}
	for _, o := range opts {
		if err := o(&p); err != nil {
			return Policy{}, err
		}
	}
	return p, nil
}

// Attempts is how many times an operation is tried in all.
func (p Policy) Attempts() int { return p.attempts }

// Delay is the wait after failed attempt n (0 for the first attempt).
func (p Policy) Delay(n int) time.Duration {
	d := p.first
	for range n {
		if d >= p.max/2 {
			return p.max
		}
		d *= 2
	}
	return min(d, p.max)
}

// MaxDelay is the longest wait between two attempts, whatever a server asks for.
func (p Policy) MaxDelay() time.Duration { return p.max }

// DelayAfter is the wait after failed attempt n whose error is err: Delay(n), or longer when
// err carries a server's Retry-After (see RetryAfter), but never longer than MaxDelay, so a
// server cannot stretch a run past the policy's bound.
func (p Policy) DelayAfter(n int, err error) time.Duration {
	d := p.Delay(n)
	var ra retryAfter
	if errors.As(err, &ra) && ra.after > d {
		d = min(ra.after, p.max)
	}
	return d
}

// Wait sleeps for Delay(n), or returns the context's error when it ends first.
func (p Policy) Wait(ctx context.Context, n int) error {
	return sleep(ctx, p.Delay(n))
}

// WaitAfter sleeps for DelayAfter(n, err), or returns the context's error when it ends first.
func (p Policy) WaitAfter(ctx context.Context, n int, err error) error {
	return sleep(ctx, p.DelayAfter(n, err))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter carries the wait a server asked for before the next attempt.
type retryAfter struct {
	err   error
	after time.Duration
}

func (e retryAfter) Error() string { return e.err.Error() }
func (e retryAfter) Unwrap() error { return e.err }

// RetryAfter marks a transient err with the wait the server asked for (a 429 or 503 answer's
// Retry-After). The next wait is at least d, capped at the policy's MaxDelay. The message is
// err's own. A nil err or a d of 0 or less gives err unchanged.
func RetryAfter(err error, d time.Duration) error {
	if err == nil || d <= 0 {
		return err
	}
	return retryAfter{err: err, after: d}
}

// ParseRetryAfter reads an HTTP Retry-After value (RFC 9110 10.2.3): delay-seconds or an
// HTTP-date, relative to now. ok is false when the value is absent or neither form; a date in
// the past gives 0.
func ParseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(value, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// permanent marks an error that another attempt would not cure.
type permanent struct{ err error }

func (e permanent) Error() string { return e.err.Error() }
func (e permanent) Unwrap() error { return e.err }

// Permanent marks err as not worth another attempt (a 4xx answer, a malformed reply). Do
// returns err itself, unmarked.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// Error is an operation that failed on its last attempt, or whose context ended between
// attempts.
type Error struct {
	// Service names what was called ("Fulcio at https://…"), for the message.
	Service string
	// Attempts is how many attempts were made.
	Attempts int
	// Err is the last attempt's error, or the context's.
	Err error
}

// Error names the service and how many attempts were made.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: failed after %d attempt(s): %v", e.Service, e.Attempts, e.Err)
}

// Unwrap returns the last error.
func (e *Error) Unwrap() error { return e.Err }

// Do calls op until it succeeds, returns an error marked Permanent, has been tried
// Attempts() times, or ctx ends. Between attempts it waits DelayAfter (a Retry-After that op
// reported with RetryAfter is honoured up to MaxDelay). A permanent error is returned as op
// returned it (without the mark); any other failure as an *Error naming service.
func (p Policy) Do(ctx context.Context, service string, op func(ctx context.Context) error) error {
	if p.attempts < 1 {
		return errors.New("backoff: a Policy must be made with New")
	}
	for n := 0; ; n++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		var perm permanent
		if errors.As(err, &perm) {
			return perm.err
		}
		if n+1 >= p.attempts {
			return &Error{Service: service, Attempts: n + 1, Err: err}
		}
		if werr := p.WaitAfter(ctx, n, err); werr != nil {
			return &Error{Service: service, Attempts: n + 1, Err: fmt.Errorf("%w (while retrying after: %w)", werr, err)}
		}
	}
}

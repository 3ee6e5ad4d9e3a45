package provenance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/signet-ci/signet/internal/backoff"
)

// maxDocument bounds what is read from an issuer: discovery documents and key sets are small.
const maxDocument = 1 << 20

// fetchError is a request to an issuer that failed, after every attempt or at once. It names
// the issuer, the URL and the number of attempts.
type fetchError struct{ err *backoff.Error }

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// retryTransport tries each request by the retry policy (internal/backoff), each try bounded
// by perTry. It retries network errors, 429 and 5xx (honouring Retry-After up to the policy's
// cap); any other non-2xx status fails at once. Bodies are read within the try, so the
// returned body is in memory.
type retryTransport struct {
	base    http.RoundTripper
	service string
	retry   backoff.Policy
	perTry  time.Duration
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	service := fmt.Sprintf("%s: %s %s", t.service, req.Method, req.URL.Redacted())
	var resp *http.Response
	tries := 0
	err := t.retry.Do(req.Context(), service, func(ctx context.Context) error {
		tries++
		r, err := t.try(ctx, req, tries)
		resp = r
		return err
	})
	if err == nil {
		return resp, nil
	}
	var be *backoff.Error
	if !errors.As(err, &be) {
		be = &backoff.Error{Service: service, Attempts: tries, Err: err}
	}
	return nil, &fetchError{err: be}
}

// try makes attempt n. Its error is marked backoff.Permanent when another attempt would not
// help, and carries the server's Retry-After when it sent one.
func (t *retryTransport) try(ctx context.Context, req *http.Request, n int) (*http.Response, error) {
	if n > 1 && req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return nil, backoff.Permanent(errors.New("the request body cannot be sent again"))
	}
	ctx, cancel := context.WithTimeout(ctx, t.perTry)
	defer cancel()
	r := req.Clone(ctx)
	if n > 1 && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, backoff.Permanent(fmt.Errorf("rewinding the request body: %w", err))
		}
		r.Body = body
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, transient(req, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	switch {
	case err != nil:
		return nil, transient(req, fmt.Errorf("reading response: %w", err))
	case len(body) > maxDocument:
		return nil, backoff.Permanent(fmt.Errorf("response larger than %d bytes", maxDocument))
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		err := fmt.Errorf("HTTP %s", resp.Status)
		if d, ok := backoff.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return nil, backoff.RetryAfter(err, d)
		}
		return nil, err
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, backoff.Permanent(fmt.Errorf("HTTP %s", resp.Status))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// transient marks a network error worth another attempt unless the caller gave up.
func transient(req *http.Request, err error) error {
	if req.Context().Err() != nil {
		return backoff.Permanent(err)
	}
	return err
}

package provenance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxDocument bounds what is read from an issuer: discovery documents and key sets are small.
const maxDocument = 1 << 20

// fetchError is a request to a service that failed after every attempt.
type fetchError struct {
	service string
	url     string
	tries   int
	err     error
}

func (e *fetchError) Error() string {
	return fmt.Sprintf("%s: GET %s failed after %d attempt(s): %v", e.service, e.url, e.tries, e.err)
}

func (e *fetchError) Unwrap() error { return e.err }

// retryTransport tries each request up to attempts times, each try bounded by perTry, with
// exponential backoff between tries. It retries network errors, 429 and 5xx; any other non-2xx
// status fails at once. Bodies are read within the try, so the returned body is in memory.
type retryTransport struct {
	base     http.RoundTripper
	service  string
	attempts int
	backoff  time.Duration
	perTry   time.Duration
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	delay := t.backoff
	var last error
	tries := 0
	for tries < t.attempts {
		tries++
		resp, err, again := t.try(req)
		if err == nil {
			return resp, nil
		}
		last = err
		if !again || tries == t.attempts || !sleep(req.Context(), delay) {
			break
		}
		delay *= 2
	}
	return nil, &fetchError{service: t.service, url: req.URL.Redacted(), tries: tries, err: last}
}

func (t *retryTransport) try(req *http.Request) (resp *http.Response, err error, retry bool) {
	ctx, cancel := context.WithTimeout(req.Context(), t.perTry)
	defer cancel()
	resp, err = t.base.RoundTrip(req.Clone(ctx))
	if err != nil {
		return nil, err, req.Context().Err() == nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading response: %w", err), req.Context().Err() == nil
	case len(body) > maxDocument:
		return nil, fmt.Errorf("response larger than %d bytes", maxDocument), false
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("HTTP %s", resp.Status), resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil, false
}

// sleep waits d or until ctx ends; it reports whether the full pause elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

package sigstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// netConfig is how every service call behaves: a timeout per attempt, a bounded number of
// retries on 5xx, 429, connection errors and timeouts, and exponential backoff between them.
type netConfig struct {
	timeout    time.Duration
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	base       http.RoundTripper
}

// Defaults for netConfig; options override them.
const (
	DefaultHTTPTimeout = 30 * time.Second
	DefaultRetries     = 3
	DefaultBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff  = 8 * time.Second
	maxRetries         = 10
)

func defaultNet() netConfig {
	return netConfig{
		timeout:    DefaultHTTPTimeout,
		retries:    DefaultRetries,
		backoff:    DefaultBackoff,
		maxBackoff: DefaultMaxBackoff,
		base:       http.DefaultTransport,
	}
}

func (n *netConfig) setTimeout(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("HTTP timeout %v: expected a positive duration", d)
	}
	n.timeout = d
	return nil
}

func (n *netConfig) setRetries(r int) error {
	if r < 0 || r > maxRetries {
		return fmt.Errorf("retries %d: expected 0 to %d", r, maxRetries)
	}
	n.retries = r
	return nil
}

func (n *netConfig) setBackoff(initial, limit time.Duration) error {
	if initial <= 0 || limit < initial {
		return fmt.Errorf("backoff %v up to %v: expected 0 < initial <= max", initial, limit)
	}
	n.backoff, n.maxBackoff = initial, limit
	return nil
}

// client returns an HTTP client whose requests are bound to ctx and retried as configured.
// The client itself has no overall timeout: each attempt has its own.
func (n netConfig) client(ctx context.Context) *http.Client {
	return &http.Client{Transport: &retryTransport{net: n, ctx: ctx}}
}

// retryTransport retries one request. It is bound to the caller's context because some
// sigstore-go clients build their requests without one.
type retryTransport struct {
	net netConfig
	ctx context.Context
}

// RoundTrip sends req, retrying transient failures; after the last attempt it returns an
// error wrapping ErrUnavailable with the last status or transport error.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.GetBody != nil && req.Body != nil {
		req.Body.Close() // every attempt reads a fresh copy from GetBody
	}
	for attempt := 0; ; attempt++ {
		resp, err := t.attempt(req, attempt)
		switch {
		case err == nil && !retryableStatus(resp.StatusCode):
			return resp, nil
		case err != nil && !t.retryable(req, err):
			return nil, err
		case err == nil:
			err = statusError(resp)
		}
		if attempt >= t.net.retries || (req.Body != nil && req.GetBody == nil) {
			return nil, fmt.Errorf("%w: giving up after %d attempt(s): %w", ErrUnavailable, attempt+1, err)
		}
		if werr := t.wait(req, attempt); werr != nil {
			return nil, fmt.Errorf("%w (while retrying after: %w)", werr, err)
		}
	}
}

// attempt sends one copy of req with its own timeout. The timeout keeps running while the
// caller reads the body and is released when the body is closed.
func (t *retryTransport) attempt(req *http.Request, n int) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.net.timeout)
	stop := context.AfterFunc(req.Context(), cancel)
	release := func() { stop(); cancel() }
	r := req.Clone(ctx)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			release()
			return nil, fmt.Errorf("rewinding request body for attempt %d: %w", n+1, err)
		}
		r.Body = body
	}
	resp, err := t.net.base.RoundTrip(r)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// retryable reports whether a transport error is worth another attempt: anything but the
// caller giving up or a TLS certificate the client will never accept.
func (t *retryTransport) retryable(req *http.Request, err error) bool {
	if t.ctx.Err() != nil || req.Context().Err() != nil {
		return false
	}
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	return !errors.As(err, &certErr) && !errors.As(err, &unknownCA) && !errors.As(err, &hostErr)
}

func (t *retryTransport) wait(req *http.Request, attempt int) error {
	d := t.net.backoff << attempt
	if d > t.net.maxBackoff || d <= 0 {
		d = t.net.maxBackoff
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-t.ctx.Done():
		return t.ctx.Err()
	case <-req.Context().Done():
		return req.Context().Err()
	}
}

func retryableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests
}

// statusError consumes a failed response and describes it with a short body excerpt.
func statusError(resp *http.Response) error {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if msg := strings.TrimSpace(string(b)); msg != "" {
		return fmt.Errorf("status %s: %s", resp.Status, msg)
	}
	return fmt.Errorf("status %s", resp.Status)
}

// releasingBody frees an attempt's timeout when the response body is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

// Close closes the body and releases the attempt's timeout.
func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

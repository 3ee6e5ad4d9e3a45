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

	"github.com/signet-ci/signet/internal/backoff"
)

// netConfig is how every service call behaves: a timeout per attempt, and the retry policy
// (internal/backoff, the one retry rule of signet) for 5xx, 429, connection errors and
// timeouts.
type netConfig struct {
	timeout time.Duration
	retry   backoff.Policy
	opts    []backoff.Option // what retry was made from, so each setter changes one thing
	base    http.RoundTripper
}

// Defaults for netConfig; options override them. They are internal/backoff's defaults.
const (
	DefaultHTTPTimeout = 30 * time.Second
	DefaultRetries     = backoff.DefaultAttempts - 1
	DefaultBackoff     = backoff.DefaultFirst
	DefaultMaxBackoff  = backoff.DefaultMax
	// maxRetries bounds WithRetries: one attempt plus retries is at most backoff.MaxAttempts.
	maxRetries = backoff.MaxAttempts - 1
)

func defaultNet() netConfig {
	p, _ := backoff.New() // no options: cannot fail
	return netConfig{timeout: DefaultHTTPTimeout, retry: p, base: http.DefaultTransport}
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
	return n.with(backoff.WithAttempts(r + 1))
}

func (n *netConfig) setBackoff(initial, limit time.Duration) error {
	return n.with(backoff.WithDelay(initial, limit))
}

// with remakes the retry policy with one more option; backoff validates it.
func (n *netConfig) with(o backoff.Option) error {
	opts := append(n.opts[:len(n.opts):len(n.opts)], o)
	p, err := backoff.New(opts...)
	if err != nil {
		return err
	}
	n.retry, n.opts = p, opts
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

// RoundTrip sends req, retrying transient failures by the net's backoff policy. A request
// whose body cannot be rewound (no GetBody) is sent once. After the last attempt it returns
// an error wrapping ErrUnavailable that names the request and the last status or transport
// error; when the caller gives up it returns the context's error.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.GetBody != nil && req.Body != nil {
		req.Body.Close() // every attempt reads a fresh copy from GetBody
	}
	ctx, cancel := context.WithCancelCause(t.ctx)
	stop := context.AfterFunc(req.Context(), func() { cancel(context.Cause(req.Context())) })
	done := func() { stop(); cancel(nil) }
	service := req.Method + " " + req.URL.Redacted()
	once := req.Body != nil && req.Body != http.NoBody && req.GetBody == nil
	var resp *http.Response
	err := t.net.retry.Do(ctx, service, func(ctx context.Context) error {
		r, err := t.attempt(ctx, req)
		switch {
		case err != nil && (ctx.Err() != nil || !retryable(err)):
			return backoff.Permanent(err)
		case err == nil && !retryableStatus(r.StatusCode):
			resp = r
			return nil
		case err == nil:
			err = statusError(r)
		}
		if once {
			return backoff.Permanent(&backoff.Error{Service: service, Attempts: 1,
				Err: fmt.Errorf("%w (not retried: the request body cannot be sent again)", err)})
		}
		return err
	})
	if err == nil {
		resp.Body = &releasingBody{ReadCloser: resp.Body, release: done}
		return resp, nil
	}
	defer done()
	var be *backoff.Error
	switch {
	case ctx.Err() != nil:
		if cause := context.Cause(ctx); !errors.Is(err, cause) {
			return nil, fmt.Errorf("%w: %w", cause, err)
		}
		return nil, err
	case errors.As(err, &be):
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil, err
}

// attempt sends one copy of req with its own timeout. The timeout keeps running while the
// caller reads the body and is released when the body is closed.
func (t *retryTransport) attempt(ctx context.Context, req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, t.net.timeout)
	r := req.Clone(ctx)
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			cancel()
			return nil, fmt.Errorf("rewinding the request body: %w", err)
		}
		r.Body = body
	}
	resp, err := t.net.base.RoundTrip(r)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: cancel}
	return resp, nil
}

// retryable reports whether a transport error is worth another attempt: anything but a TLS
// certificate the client will never accept. (The caller giving up is checked before.)
func retryable(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	return !errors.As(err, &certErr) && !errors.As(err, &unknownCA) && !errors.As(err, &hostErr)
}

func retryableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests
}

// statusError consumes a failed response and describes it with a short body excerpt. A
// Retry-After the server sent goes with the error, for the next wait.
func statusError(resp *http.Response) error {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	err := fmt.Errorf("status %s", resp.Status)
	if msg := strings.TrimSpace(string(b)); msg != "" {
		err = fmt.Errorf("status %s: %s", resp.Status, msg)
	}
	if d, ok := backoff.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		return backoff.RetryAfter(err, d)
	}
	return err
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

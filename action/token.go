package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/backoff"
)

// tokenService names the service in errors.
const tokenService = "GitHub Actions OIDC token service"

// DefaultTokenTimeout bounds one token request.
const DefaultTokenTimeout = 10 * time.Second

// ErrNoIDToken means the runner gave the step no way to request an identity token: the job
// lacks the id-token: write permission. It is a core.ErrNoToken.
var ErrNoIDToken = fmt.Errorf("%w from the GitHub runner: ACTIONS_ID_TOKEN_REQUEST_URL and "+
	"ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set", core.ErrNoToken)

// ErrTokenRequest wraps every failed token request (after retries).
var ErrTokenRequest = errors.New("requesting the identity token failed")

// noTokenHelp tells the user what to change.
const noTokenHelp = "add `permissions: id-token: write` to the job (or workflow) that runs signet, " +
	"so the runner can issue a token for Sigstore; jobs triggered from forks never get one"

// TokenSource requests a GitHub Actions ID token for core.Audience at every call, so the
// short-lived token (about five minutes) is fresh when Fulcio sees it. It implements
// core.TokenSource; the command checks each token (audience, expiry) with ci.Checked.
type TokenSource struct {
	getenv func(string) string
	client *http.Client
	retry  backoff.Policy
	mask   func(secret string)
}

// TokenOption configures a TokenSource.
type TokenOption func(*TokenSource) error

// WithHTTPClient sets the HTTP client (default: a client with a DefaultTokenTimeout timeout).
func WithHTTPClient(c *http.Client) TokenOption {
	return func(t *TokenSource) error {
		if c == nil {
			return errors.New("token source: nil HTTP client")
		}
		t.client = c
		return nil
	}
}

// WithRetry sets how failed token requests are retried (backoff.WithAttempts,
// backoff.WithDelay); the defaults are internal/backoff's.
func WithRetry(opts ...backoff.Option) TokenOption {
	return func(t *TokenSource) error {
		p, err := backoff.New(opts...)
		if err != nil {
			return fmt.Errorf("token source: %w", err)
		}
		t.retry = p
		return nil
	}
}

// WithMask sets the function that asks the runner to mask a secret in logs.
func WithMask(mask func(secret string)) TokenOption {
	return func(t *TokenSource) error {
		if mask == nil {
			return errors.New("token source: nil mask function")
		}
		t.mask = mask
		return nil
	}
}

// NewTokenSource returns a TokenSource reading the request URL and bearer from getenv. It fails
// with ErrNoIDToken when the job has no id-token: write permission.
func NewTokenSource(getenv func(string) string, opts ...TokenOption) (*TokenSource, error) {
	retry, err := backoff.New()
	if err != nil {
		return nil, err
	}
	t := &TokenSource{getenv: getenv, client: &http.Client{Timeout: DefaultTokenTimeout}, retry: retry, mask: func(string) {}}
	for _, o := range opts {
		if err := o(t); err != nil {
			return nil, err
		}
	}
	if _, _, err := t.endpoint(); err != nil {
		return nil, err
	}
	return t, nil
}

// endpoint returns the request URL with the sigstore audience, and the bearer.
func (t *TokenSource) endpoint() (*url.URL, string, error) {
	raw, bearer := t.getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), t.getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if raw == "" || bearer == "" {
		return nil, "", fmt.Errorf("%w; %s", ErrNoIDToken, noTokenHelp)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, "", fmt.Errorf("%s: ACTIONS_ID_TOKEN_REQUEST_URL is not an http(s) URL", tokenService)
	}
	q := u.Query()
	q.Set("audience", core.Audience)
	u.RawQuery = q.Encode()
	return u, bearer, nil
}

// Token requests a fresh token, retrying transient failures as internal/backoff does.
func (t *TokenSource) Token(ctx context.Context) (string, error) {
	u, bearer, err := t.endpoint()
	if err != nil {
		return "", err
	}
	service := tokenService + " at " + safeURL(u)
	var tok string
	err = t.retry.Do(ctx, service, func(ctx context.Context) error {
		var err error
		tok, err = t.request(ctx, u, bearer)
		return err
	})
	var retried *backoff.Error
	switch {
	case errors.As(err, &retried):
		return "", fmt.Errorf("%w: %w", ErrTokenRequest, err)
	case err != nil:
		return "", fmt.Errorf("%w: %s: %w", ErrTokenRequest, service, err)
	}
	t.mask(signature(tok))
	return tok, nil
}

// request makes one attempt; a failure another attempt would not cure is backoff.Permanent.
func (t *TokenSource) request(ctx context.Context, u *url.URL, bearer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", backoff.Permanent(err)
	}
	req.Header.Set("Authorization", "bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		err = errors.New(strings.ReplaceAll(err.Error(), bearer, "***"))
		if ctx.Err() != nil {
			return "", backoff.Permanent(err)
		}
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		err := fmt.Errorf("HTTP %d: %s%s", resp.StatusCode, snippet(body, bearer), statusHelp(resp.StatusCode))
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return "", err
		}
		return "", backoff.Permanent(err)
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Value == "" {
		return "", backoff.Permanent(errors.New(`the response is not JSON of the form {"value": "<token>"}`))
	}
	return v.Value, nil
}

func statusHelp(code int) string {
	if code == http.StatusUnauthorized || code == http.StatusForbidden {
		return "; " + noTokenHelp
	}
	return ""
}

// snippet is a short, single-line excerpt of an error body with the bearer removed.
func snippet(body []byte, bearer string) string {
	s := string(bytes.TrimSpace(body))
	s = strings.ReplaceAll(s, bearer, "***")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// safeURL is the request URL without its query string, for messages.
func safeURL(u *url.URL) string {
	c := *u
	c.RawQuery, c.User, c.Fragment = "", nil, ""
	return c.String()
}

// signature returns the signature segment of a JWT, the part that makes it usable: masking it
// hides every copy of the token in logs, and the ::add-mask:: command then never prints the
// whole token itself. A value that is not a JWT is masked whole.
func signature(tok string) string {
	if i := strings.LastIndexByte(tok, '.'); i >= 0 && i < len(tok)-1 {
		return tok[i+1:]
	}
	return tok
}

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
)

// Audience is the audience Fulcio requires in the identity token.
const Audience = "sigstore"

// tokenService names the service in errors.
const tokenService = "GitHub Actions OIDC token service"

// Defaults for the token request.
const (
	DefaultTokenAttempts = 4
	DefaultTokenBackoff  = 500 * time.Millisecond
	DefaultTokenTimeout  = 10 * time.Second
)

// ErrNoIDToken means the runner gave the step no way to request an identity token: the job
// lacks the id-token: write permission.
var ErrNoIDToken = errors.New("no GitHub OIDC token available: ACTIONS_ID_TOKEN_REQUEST_URL and " +
	"ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set")

// ErrTokenRequest wraps every failed token request (after retries).
var ErrTokenRequest = errors.New("requesting the identity token failed")

// noTokenHelp tells the user what to change.
const noTokenHelp = "add `permissions: id-token: write` to the job (or workflow) that runs signet, " +
	"so the runner can issue a token for Sigstore; jobs triggered from forks never get one"

// TokenSource requests a GitHub Actions ID token with the audience "sigstore" at every call,
// so the short-lived token (about five minutes) is fresh when Fulcio sees it. It implements
// core.TokenSource.
type TokenSource struct {
	getenv   func(string) string
	client   *http.Client
	attempts int
	backoff  time.Duration
	mask     func(secret string)
}

// TokenOption configures a TokenSource.
type TokenOption func(*TokenSource) error

// WithHTTPClient sets the HTTP client (default: a client with a 10 s timeout).
func WithHTTPClient(c *http.Client) TokenOption {
	return func(t *TokenSource) error {
		if c == nil {
			return errors.New("token source: nil HTTP client")
		}
		t.client = c
		return nil
	}
}

// WithRetry sets how many attempts a token request gets (1–10) and the first backoff, doubled
// after each failed attempt.
func WithRetry(attempts int, backoff time.Duration) TokenOption {
	return func(t *TokenSource) error {
		if attempts < 1 || attempts > 10 {
			return fmt.Errorf("token source: %d attempts: expected 1 to 10", attempts)
		}
		if backoff <= 0 {
			return fmt.Errorf("token source: backoff %s: expected a positive duration", backoff)
		}
		t.attempts, t.backoff = attempts, backoff
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
	t := &TokenSource{getenv: getenv, client: &http.Client{Timeout: DefaultTokenTimeout},
		attempts: DefaultTokenAttempts, backoff: DefaultTokenBackoff, mask: func(string) {}}
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
	q.Set("audience", Audience)
	u.RawQuery = q.Encode()
	return u, bearer, nil
}

// Token requests a fresh token, retrying transient failures with exponential backoff.
func (t *TokenSource) Token(ctx context.Context) (string, error) {
	u, bearer, err := t.endpoint()
	if err != nil {
		return "", err
	}
	wait := t.backoff
	for attempt := 1; ; attempt++ {
		tok, retry, err := t.request(ctx, u, bearer)
		if err == nil {
			t.mask(signature(tok))
			return tok, nil
		}
		if !retry || attempt == t.attempts {
			return "", fmt.Errorf("%w: %s at %s, attempt %d of %d: %w", ErrTokenRequest, tokenService, safeURL(u), attempt, t.attempts, err)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w: %s at %s: %w", ErrTokenRequest, tokenService, safeURL(u), ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// request makes one attempt; retry reports whether a failure is worth another.
func (t *TokenSource) request(ctx context.Context, u *url.URL, bearer string) (tok string, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Authorization", "bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", ctx.Err() == nil, errors.New(strings.ReplaceAll(err.Error(), bearer, "***"))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", true, fmt.Errorf("reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		retry := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		return "", retry, fmt.Errorf("HTTP %d: %s%s", resp.StatusCode, snippet(body, bearer), statusHelp(resp.StatusCode))
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Value == "" {
		return "", false, errors.New(`the response is not JSON of the form {"value": "<token>"}`)
	}
	return v.Value, false, nil
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

package ghapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/signet-ci/signet/internal/backoff"
)

// APIVersion is the REST API version signet's requests ask for (X-GitHub-Api-Version); the
// vendored description in testdata/ is of this version.
const APIVersion = "2022-11-28"

// DefaultAPIURL is github.com's REST API; GitHub Enterprise Server gives its own (GITHUB_API_URL).
const DefaultAPIURL = "https://api.github.com"

// Limits on what is sent and read.
const (
	// MaxBundleSize bounds a bundle Upload sends: GitHub's own limit is 34 MiB.
	MaxBundleSize = 34 << 20
	// MaxPageSize bounds one page of List's answer (up to 100 bundles).
	MaxPageSize = 128 << 20
	// MaxListSize bounds the bundles one List call keeps, all pages together.
	MaxListSize = 256 << 20
	// MaxErrorSize bounds the error body read from a refused request.
	MaxErrorSize = 64 << 10
	// PerPage is how many attestations List asks for per page (the API's maximum).
	PerPage = 100
	// MaxPages bounds how many pages List follows.
	MaxPages = 50
)

// Sentinel errors an *APIError matches by status.
var (
	ErrUnauthorized = errors.New("the token was refused (401)")
	ErrForbidden    = errors.New("the token may not do this (403)")
	ErrNotFound     = errors.New("not found (404)")
	ErrInvalid      = errors.New("the request was refused as invalid (422)")
	// ErrRateLimited is a rate limit that outlasted the retries (403 or 429 with no requests
	// left); it is not ErrForbidden.
	ErrRateLimited = errors.New("GitHub's rate limit was reached")
)

// APIError is a refused request: its status and GitHub's message.
type APIError struct {
	// Op is what was asked ("uploading an attestation to OWNER/REPO").
	Op string
	// Status is the HTTP status code.
	Status int
	// Message and DocumentationURL are GitHub's error body (basic-error), when it sent one.
	Message, DocumentationURL string
	// RateLimited is a 403 or 429 that GitHub's rate-limit headers mark as a rate limit.
	RateLimited bool
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s: GitHub answered %d %s", e.Op, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + strconv.Quote(e.Message)
	}
	if e.DocumentationURL != "" {
		msg += " (see " + e.DocumentationURL + ")"
	}
	return msg
}

// Is matches the sentinel of the error's status.
func (e *APIError) Is(target error) bool {
	if e.RateLimited {
		return target == ErrRateLimited
	}
	switch e.Status {
	case http.StatusUnauthorized:
		return target == ErrUnauthorized
	case http.StatusForbidden:
		return target == ErrForbidden
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusUnprocessableEntity:
		return target == ErrInvalid
	}
	return false
}

// Client calls GitHub's REST API with one token.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	retry backoff.Policy
	agent string
}

// Option configures New; each validates its value.
type Option func(*Client) error

// WithHTTPClient sets the HTTP client (default: one with a 60 s timeout per request).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("ghapi: nil HTTP client")
		}
		c.http = hc
		return nil
	}
}

// WithRetry sets the retry policy (default: backoff.New()).
func WithRetry(p backoff.Policy) Option {
	return func(c *Client) error {
		if p.Attempts() < 1 {
			return errors.New("ghapi: a retry Policy must be made with backoff.New")
		}
		c.retry = p
		return nil
	}
}

// WithUserAgent sets the User-Agent header GitHub requires (default "signet").
func WithUserAgent(agent string) Option {
	return func(c *Client) error {
		if agent == "" || strings.ContainsAny(agent, "\r\n") {
			return fmt.Errorf("ghapi: user agent %q: expected one non-empty line", agent)
		}
		c.agent = agent
		return nil
	}
}

// New returns a client of the REST API at apiURL ("" is DefaultAPIURL) authenticated by token.
func New(apiURL, token string, opts ...Option) (*Client, error) {
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(strings.TrimSuffix(apiURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("GitHub API URL %q: expected an http(s) URL such as %s", apiURL, DefaultAPIURL)
	}
	if token == "" {
		return nil, errors.New("no GitHub token: the attestation store needs one")
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return nil, errors.New("the GitHub token holds white space or a line break: expected one word")
	}
	retry, _ := backoff.New() // no options: cannot fail
	c := &Client{base: u, token: token, http: &http.Client{Timeout: 60 * time.Second}, retry: retry, agent: "signet"}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Repo is a repository, OWNER/NAME.
type Repo struct{ Owner, Name string }

func (r Repo) String() string { return r.Owner + "/" + r.Name }

// namePart is what GitHub allows in an owner or repository name.
var namePart = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// ParseRepo reads OWNER/NAME, refusing anything that could leave the API path.
func ParseRepo(s string) (Repo, error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || !validName(owner) || !validName(name) {
		return Repo{}, fmt.Errorf("%q: expected OWNER/REPO (letters, digits, '-', '_', '.')", s)
	}
	return Repo{owner, strings.TrimSuffix(name, ".git")}, nil
}

// ValidOwner reports whether s can be an owner (user or organization) name.
func ValidOwner(s string) bool { return validName(s) }

func validName(s string) bool { return namePart.MatchString(s) && s != "." && s != ".." }

// Upload stores bundle (a Sigstore bundle's JSON) with repo and returns the attestation's ID.
func (c *Client) Upload(ctx context.Context, repo Repo, bundle []byte) (int64, error) {
	if len(bundle) > MaxBundleSize {
		return 0, fmt.Errorf("uploading an attestation to %s: the bundle is %d bytes, GitHub takes at most %d", repo, len(bundle), MaxBundleSize)
	}
	if !json.Valid(bundle) {
		return 0, fmt.Errorf("uploading an attestation to %s: the bundle is not JSON", repo)
	}
	body, err := json.Marshal(struct {
		Bundle json.RawMessage `json:"bundle"`
	}{bundle})
	if err != nil {
		return 0, err
	}
	op := "uploading an attestation to " + repo.String()
	u := c.endpoint("repos", repo.Owner, repo.Name, "attestations")
	var id int64
	err = c.retry.Do(ctx, "GitHub's attestation store at "+c.base.Redacted(), func(ctx context.Context) error {
		resp, err := c.do(ctx, http.MethodPost, u, body)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := c.check(op, resp, http.StatusCreated); err != nil {
			return err
		}
		var out struct {
			ID *int64 `json:"id"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, MaxErrorSize)).Decode(&out); err != nil || out.ID == nil {
			return backoff.Permanent(fmt.Errorf("%s: GitHub's answer holds no attestation id", op))
		}
		id = *out.ID
		return nil
	})
	return id, err
}

// Scope is where List looks: a repository, or every repository of an owner.
type Scope struct {
	Repo  Repo   // set for a repository
	Owner string // set for an owner (organization or user)
}

func (s Scope) String() string {
	if s.Owner != "" {
		return s.Owner
	}
	return s.Repo.String()
}

// List returns the bundles the store holds for the subject digest ("sha256:HEX"), following
// the Link header's next pages, at most limit of them (limit <= 0: no limit but MaxPages).
func (c *Client) List(ctx context.Context, scope Scope, digest string, limit int) ([]json.RawMessage, error) {
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok || alg != "sha256" || len(hex) != 64 || strings.Trim(strings.ToLower(hex), "0123456789abcdef") != "" {
		return nil, fmt.Errorf("subject digest %q: expected sha256:<64 hex digits>", digest)
	}
	digest = "sha256:" + strings.ToLower(hex)
	var u *url.URL
	switch {
	case scope.Owner != "" && validName(scope.Owner):
		u = c.endpoint("orgs", scope.Owner, "attestations", digest)
	case scope.Owner == "" && validName(scope.Repo.Owner) && validName(scope.Repo.Name):
		u = c.endpoint("repos", scope.Repo.Owner, scope.Repo.Name, "attestations", digest)
	default:
		return nil, fmt.Errorf("attestation store scope %q: expected OWNER/REPO or an owner", scope)
	}
	q := u.Query()
	q.Set("per_page", strconv.Itoa(PerPage))
	u.RawQuery = q.Encode()
	op := "fetching attestations of " + digest + " from " + scope.String()
	var out []json.RawMessage
	total := 0
	next := u
	for page := 0; next != nil; page++ {
		if page == MaxPages {
			return nil, fmt.Errorf("%s: more than %d pages", op, MaxPages)
		}
		bundles, link, err := c.page(ctx, op, next)
		if err != nil {
			return nil, err
		}
		out = append(out, bundles...)
		for _, b := range bundles {
			total += len(b)
		}
		if total > MaxListSize {
			return nil, fmt.Errorf("%s: the bundles stored for this digest exceed %d bytes", op, MaxListSize)
		}
		if limit > 0 && len(out) >= limit {
			return out[:limit], nil
		}
		if next, err = c.nextPage(op, link); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// page fetches one page of a list and returns its bundles and its Link header.
func (c *Client) page(ctx context.Context, op string, u *url.URL) ([]json.RawMessage, string, error) {
	var bundles []json.RawMessage
	var link string
	err := c.retry.Do(ctx, "GitHub's attestation store at "+c.base.Redacted(), func(ctx context.Context) error {
		resp, err := c.do(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := c.check(op, resp, http.StatusOK); err != nil {
			return err
		}
		var out struct {
			Attestations []struct {
				Bundle json.RawMessage `json:"bundle"`
			} `json:"attestations"`
		}
		lr := &io.LimitedReader{R: resp.Body, N: MaxPageSize + 1}
		if err := json.NewDecoder(lr).Decode(&out); err != nil {
			if lr.N <= 0 {
				return backoff.Permanent(fmt.Errorf("%s: a page is larger than %d bytes", op, MaxPageSize))
			}
			return backoff.Permanent(fmt.Errorf("%s: GitHub's answer is not the attestation list: %w", op, err))
		}
		bundles = bundles[:0]
		for _, a := range out.Attestations {
			if len(a.Bundle) == 0 || string(a.Bundle) == "null" {
				continue // a bundle_url-only entry: not used by signet
			}
			bundles = append(bundles, a.Bundle)
		}
		link = resp.Header.Get("Link")
		return nil
	})
	return bundles, link, err
}

// nextPage reads the rel="next" URL of a Link header; it must stay on the API's host.
func (c *Client) nextPage(op, link string) (*url.URL, error) {
	for _, part := range strings.Split(link, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		isNext := false
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && k == "rel" {
				for _, r := range strings.Fields(strings.Trim(v, `"`)) {
					isNext = isNext || r == "next"
				}
			}
		}
		if !isNext {
			continue
		}
		u, err := url.Parse(target[1 : len(target)-1])
		if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
			return nil, fmt.Errorf("%s: the Link header's next page %q is not on %s", op, target, c.base.Host)
		}
		return u, nil
	}
	return nil, nil
}

func (c *Client) endpoint(segments ...string) *url.URL {
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/")
	u.RawPath = ""
	for _, s := range segments {
		u.Path += "/" + s
	}
	return &u
}

// do sends one request with GitHub's headers. A transport error may be retried.
func (c *Client) do(ctx context.Context, method string, u *url.URL, body []byte) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, backoff.Permanent(err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	req.Header.Set("User-Agent", c.agent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s %s: %w", method, u.Redacted(), ue.Err) // never the request's headers
		}
		if ctx.Err() != nil {
			return nil, backoff.Permanent(err)
		}
		return nil, err
	}
	return resp, nil
}

// check turns an answer other than want into an error: 5xx and rate limits may be retried
// (honouring Retry-After), other statuses are permanent *APIError values.
func (c *Client) check(op string, resp *http.Response, want int) error {
	if resp.StatusCode == want {
		return nil
	}
	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, MaxErrorSize)).Decode(&body)
	err := &APIError{Op: op, Status: resp.StatusCode, Message: body.Message, DocumentationURL: body.DocumentationURL,
		RateLimited: resp.StatusCode == http.StatusTooManyRequests || rateLimited(resp)}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || rateLimited(resp) {
		if d, ok := backoff.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return backoff.RetryAfter(err, d)
		}
		if d, ok := resetAfter(resp.Header.Get("X-RateLimit-Reset"), time.Now()); ok && rateLimited(resp) {
			return backoff.RetryAfter(err, d)
		}
		return err
	}
	return backoff.Permanent(err)
}

// rateLimited reports a 403 that is GitHub's rate limit (no requests left, or a secondary
// limit with Retry-After), not a missing permission.
func rateLimited(resp *http.Response) bool {
	return resp.StatusCode == http.StatusForbidden &&
		(resp.Header.Get("X-RateLimit-Remaining") == "0" || resp.Header.Get("Retry-After") != "")
}

// resetAfter reads X-RateLimit-Reset (epoch seconds) as a wait from now.
func resetAfter(v string, now time.Time) (time.Duration, bool) {
	secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, false
	}
	return max(time.Unix(secs, 0).Sub(now), 0), true
}

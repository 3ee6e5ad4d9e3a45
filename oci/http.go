package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxErrorBody bounds the error document read from a failed request.
const maxErrorBody = 64 << 10

// response is a finished request: its status, headers and (bounded) body.
type response struct {
	status int
	header http.Header
	body   []byte
}

// endpoint returns the URL of a path below /v2/<repository>/.
func (s *session) endpoint(path string) string {
	u := url.URL{Scheme: s.repo.Scheme(), Host: s.repo.RegistryStr(), Path: "/v2/" + s.repo.RepositoryStr() + "/" + path}
	return u.String()
}

// do sends one request (retried by the client's rule) and returns the answer when its status
// is one of ok; any other status is a *StatusError. At most limit bytes of body are read: a
// longer body is ErrTooLarge.
func (s *session) do(ctx context.Context, method, rawURL string, hdr http.Header, body []byte, limit int64, ok ...int) (*response, error) {
	var out *response
	err := s.c.retry.Do(ctx, "registry "+s.repo.RegistryStr(), func(ctx context.Context) error {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
		if err != nil {
			return err
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		if body != nil {
			req.ContentLength = int64(len(body))
		}
		resp, err := s.hc.Do(req)
		if err != nil {
			return classify(err)
		}
		defer resp.Body.Close()
		for _, code := range ok {
			if resp.StatusCode != code {
				continue
			}
			b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
			if err != nil {
				return fmt.Errorf("%s %s: reading the answer: %w", method, redact(rawURL), err)
			}
			if int64(len(b)) > limit {
				return &ProtocolError{What: fmt.Sprintf("%s %s", method, redact(rawURL)), Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)}
			}
			out = &response{status: resp.StatusCode, header: resp.Header, body: b}
			return nil
		}
		return classify(statusError(method, rawURL, resp))
	})
	return out, err
}

// statusError reads a registry's error document (bounded) into a *StatusError.
func statusError(method, rawURL string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var doc struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	se := &StatusError{Method: method, Path: redact(rawURL), Status: resp.StatusCode}
	if json.Unmarshal(b, &doc) == nil {
		for _, e := range doc.Errors {
			if e.Code != "" && len(se.Codes) < 4 {
				se.Codes = append(se.Codes, printable(e.Code))
			}
		}
	}
	return se
}

// redact drops the query (upload URLs carry state tokens) and keeps the path.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(request)"
	}
	return u.Path
}

// printable keeps a registry-given string to a short line of visible ASCII.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}

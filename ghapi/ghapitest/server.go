// Package ghapitest emulates GitHub's attestation store for tests, as GitHub's published
// OpenAPI description (ghapi/testdata/openapi-attestations.json) specifies it: POST
// /repos/{owner}/{repo}/attestations answers 201 {"id": N}; GET
// /repos/{owner}/{repo}/attestations/{subject_digest} and /orgs/{org}/attestations/{subject_digest}
// answer 200 {"attestations": [{"bundle": ..., "repository_id": N}]} in pages of per_page
// (at most 100) linked by a Link header with an opaque "after" cursor; errors are GitHub's
// basic-error body {"message", "documentation_url"} with 401, 403, 404 or 422.
package ghapitest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// APIVersion is the X-GitHub-Api-Version the emulator requires.
const APIVersion = "2022-11-28"

// maxBody bounds a request body, as GitHub's bundle limit (34 MiB) and some room.
const maxBody = 35 << 20

// Request is one request the emulator answered, for tests to inspect.
type Request struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
	Status              int
}

// Stored is one attestation in the emulated store.
type Stored struct {
	ID     int64
	Repo   string // OWNER/NAME
	Bundle json.RawMessage
}

// Server is an emulated GitHub REST API holding attestations in memory.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	token    string
	writable map[string]bool // OWNER/NAME → token may write (attestations: write)
	repoIDs  map[string]int64
	stored   []Stored
	faults   []int // statuses answered before serving, one per request
	retryAt  string
	requests []Request
}

// New starts an emulator accepting token; repos are the repositories that exist, each
// writable with that token.
func New(token string, repos ...string) *Server {
	s := &Server{token: token, writable: map[string]bool{}, repoIDs: map[string]int64{}}
	for i, r := range repos {
		s.writable[strings.ToLower(r)] = true
		s.repoIDs[strings.ToLower(r)] = int64(1000 + i)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// ReadOnly makes repo exist but refuses writes to it, as a job token without
// "attestations: write" is refused.
func (s *Server) ReadOnly(repo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writable[strings.ToLower(repo)] = false
	if _, ok := s.repoIDs[strings.ToLower(repo)]; !ok {
		s.repoIDs[strings.ToLower(repo)] = int64(2000 + len(s.repoIDs))
	}
}

// Fail makes the next requests answer these statuses, one each, before serving normally.
// A 403 or 429 among them carries Retry-After: 0 and X-RateLimit-Remaining: 0 (a rate limit).
func (s *Server) Fail(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, statuses...)
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Stored returns the attestations stored so far.
func (s *Server) Stored() []Stored {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Stored(nil), s.stored...)
}

// Put stores bundle with repo directly, as another run would have.
func (s *Server) Put(repo string, bundle []byte) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := int64(len(s.stored) + 1)
	s.stored = append(s.stored, Stored{ID: id, Repo: repo, Bundle: bundle})
	return id
}

// serve answers r. The request is put on record before its answer leaves, so a client that
// has the answer finds the request in Requests (recording after writing raced the test).
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	answer := httptest.NewRecorder()
	status := s.handle(answer, r, body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, Status: status})
	s.mu.Unlock()
	maps.Copy(w.Header(), answer.Header())
	w.WriteHeader(answer.Code)
	w.Write(answer.Body.Bytes())
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, body []byte) int {
	s.mu.Lock()
	var fault int
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()
	if fault != 0 {
		if fault == http.StatusForbidden || fault == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("X-RateLimit-Remaining", "0")
			return basicError(w, fault, "API rate limit exceeded")
		}
		return basicError(w, fault, http.StatusText(fault))
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token || s.token == "" {
		return basicError(w, http.StatusUnauthorized, "Bad credentials")
	}
	if v := r.Header.Get("X-GitHub-Api-Version"); v != "" && v != APIVersion {
		return basicError(w, http.StatusBadRequest, "Unsupported API version "+v)
	}
	if r.Header.Get("User-Agent") == "" {
		return basicError(w, http.StatusForbidden, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header")
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "repos" && parts[3] == "attestations":
		return s.create(w, parts[1]+"/"+parts[2], body)
	case r.Method == http.MethodGet && len(parts) == 5 && parts[0] == "repos" && parts[3] == "attestations":
		return s.list(w, r, parts[4], func(st Stored) bool { return strings.EqualFold(st.Repo, parts[1]+"/"+parts[2]) }, parts[1]+"/"+parts[2])
	case r.Method == http.MethodGet && len(parts) == 4 && parts[0] == "orgs" && parts[2] == "attestations":
		return s.list(w, r, parts[3], func(st Stored) bool {
			owner, _, _ := strings.Cut(st.Repo, "/")
			return strings.EqualFold(owner, parts[1])
		}, "")
	}
	return basicError(w, http.StatusNotFound, "Not Found")
}

// create is POST /repos/{owner}/{repo}/attestations.
func (s *Server) create(w http.ResponseWriter, repo string, body []byte) int {
	s.mu.Lock()
	writable, exists := s.writable[strings.ToLower(repo)]
	s.mu.Unlock()
	switch {
	case !exists:
		return basicError(w, http.StatusNotFound, "Not Found")
	case !writable:
		return basicError(w, http.StatusForbidden, "Resource not accessible by integration")
	case len(body) > maxBody:
		return basicError(w, http.StatusUnprocessableEntity, "Bundle too large")
	}
	var req struct {
		Bundle *struct {
			MediaType            string          `json:"mediaType"`
			VerificationMaterial json.RawMessage `json:"verificationMaterial"`
			DSSEEnvelope         json.RawMessage `json:"dsseEnvelope"`
		} `json:"bundle"`
	}
	raw := map[string]json.RawMessage{}
	if err := json.Unmarshal(body, &req); err != nil || json.Unmarshal(body, &raw) != nil || req.Bundle == nil {
		return basicError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"bundle\" wasn't supplied.")
	}
	if !strings.HasPrefix(req.Bundle.MediaType, "application/vnd.dev.sigstore.bundle") || len(req.Bundle.VerificationMaterial) == 0 || len(req.Bundle.DSSEEnvelope) == 0 {
		return basicError(w, http.StatusUnprocessableEntity, "Invalid bundle: expected a Sigstore bundle with a DSSE envelope")
	}
	id := s.Put(repo, raw["bundle"])
	writeJSON(w, http.StatusCreated, map[string]int64{"id": id})
	return http.StatusCreated
}

// list is GET .../attestations/{subject_digest}, paginated with per_page and after.
func (s *Server) list(w http.ResponseWriter, r *http.Request, digest string, match func(Stored) bool, repo string) int {
	if repo != "" {
		s.mu.Lock()
		_, ok := s.repoIDs[strings.ToLower(repo)]
		s.mu.Unlock()
		if !ok {
			return basicError(w, http.StatusNotFound, "Not Found")
		}
	}
	perPage := 30
	if v := r.URL.Query().Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return basicError(w, http.StatusUnprocessableEntity, "per_page must be a positive integer")
		}
		perPage = min(n, 100)
	}
	start := 0
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "c"))
		if err != nil || !strings.HasPrefix(v, "c") {
			return basicError(w, http.StatusUnprocessableEntity, "invalid cursor")
		}
		start = n
	}
	var found []map[string]any
	for _, st := range s.Stored() {
		if match(st) && names(st.Bundle, digest) {
			s.mu.Lock()
			id := s.repoIDs[strings.ToLower(st.Repo)]
			s.mu.Unlock()
			found = append(found, map[string]any{"bundle": st.Bundle, "repository_id": id})
		}
	}
	if len(found) == 0 {
		return basicError(w, http.StatusNotFound, "Not Found")
	}
	end := min(start+perPage, len(found))
	if start > len(found) {
		start = len(found)
	}
	if end < len(found) {
		next := *r.URL
		q := next.Query()
		q.Set("after", "c"+strconv.Itoa(end))
		next.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, next.RequestURI()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"attestations": found[start:end]})
	return http.StatusOK
}

// names reports whether the bundle's DSSE statement names a subject with digest "sha256:HEX".
func names(bundle json.RawMessage, digest string) bool {
	alg, h, _ := strings.Cut(digest, ":")
	var b struct {
		DSSEEnvelope struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if json.Unmarshal(bundle, &b) != nil {
		return false
	}
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if json.Unmarshal(b.DSSEEnvelope.Payload, &st) != nil {
		return false
	}
	for _, s := range st.Subject {
		if strings.EqualFold(s.Digest[alg], h) {
			return true
		}
	}
	return false
}

func basicError(w http.ResponseWriter, status int, msg string) int {
	writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest/repos/attestations"})
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// DigestOf is "sha256:HEX" of b, for tests naming a file's digest.
func DigestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

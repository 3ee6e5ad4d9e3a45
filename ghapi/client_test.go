package ghapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/signet-ci/signet/ghapi"
	"github.com/signet-ci/signet/ghapi/ghapitest"
	"github.com/signet-ci/signet/internal/backoff"
)

const token = "ghs_secretJobTokenValue0123456789"

// bundleFor is a bundle-shaped JSON document whose statement names the digests.
func bundleFor(t *testing.T, digests ...string) []byte {
	t.Helper()
	var subjects []map[string]any
	for i, d := range digests {
		subjects = append(subjects, map[string]any{"name": fmt.Sprintf("f%d", i), "digest": map[string]string{"sha256": strings.TrimPrefix(d, "sha256:")}})
	}
	st, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "subject": subjects, "predicateType": "x", "predicate": map[string]any{}})
	b, _ := json.Marshal(map[string]any{
		"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{"certificate": map[string]any{"rawBytes": "AA=="}},
		"dsseEnvelope":         map[string]any{"payload": base64.StdEncoding.EncodeToString(st), "payloadType": "application/vnd.in-toto+json", "signatures": []any{}},
	})
	return b
}

func fastRetry(t *testing.T) ghapi.Option {
	t.Helper()
	p, err := backoff.New(backoff.WithAttempts(3), backoff.WithDelay(time.Millisecond, 2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return ghapi.WithRetry(p)
}

func newClient(t *testing.T, url, tok string) *ghapi.Client {
	t.Helper()
	c, err := ghapi.New(url, tok, fastRetry(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// schemas compiles the vendored OpenAPI excerpt's request and response schemas.
func schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/openapi-attestations.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]*jsonschema.Schema{}
	for name, ptr := range map[string]string{
		"create-request":  "/paths/~1repos~1{owner}~1{repo}~1attestations/post/requestBody/content/application~1json/schema",
		"create-response": "/paths/~1repos~1{owner}~1{repo}~1attestations/post/responses/201/content/application~1json/schema",
		"list-response":   "/paths/~1repos~1{owner}~1{repo}~1attestations~1{subject_digest}/get/responses/200/content/application~1json/schema",
	} {
		s, err := c.Compile("openapi.json#" + strings.ReplaceAll(ptr, "{", "%7B"))
		if err != nil {
			s, err = c.Compile("openapi.json#" + ptr)
		}
		if err != nil {
			t.Fatalf("compiling %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

func validate(t *testing.T, s *jsonschema.Schema, what string, body []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not JSON: %v: %s", what, err, body)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s does not follow GitHub's OpenAPI description: %v\n%s", what, err, body)
	}
}

// TestRoundTripFollowsOpenAPI uploads bundles, lists them back through pages, and checks every
// request and answer against the vendored OpenAPI schemas and GitHub's headers.
func TestRoundTripFollowsOpenAPI(t *testing.T) {
	t.Parallel()
	srv := ghapitest.New(token, "octo-org/app")
	defer srv.Close()
	c := newClient(t, srv.URL, token)
	ctx := context.Background()
	repo, err := ghapi.ParseRepo("octo-org/app")
	if err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("ab", 32)
	const n = 205 // three pages of 100
	for i := range n {
		id, err := c.Upload(ctx, repo, bundleFor(t, digest, fmt.Sprintf("sha256:%064x", i)))
		if err != nil {
			t.Fatal(err)
		}
		if id != int64(i+1) {
			t.Fatalf("upload %d: id %d", i, id)
		}
	}
	got, err := c.List(ctx, ghapi.Scope{Repo: repo}, digest, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("listed %d bundles, want %d", len(got), n)
	}
	org, err := c.List(ctx, ghapi.Scope{Owner: "octo-org"}, strings.ToUpper(digest[:7])+digest[7:], 10)
	if err == nil {
		t.Fatalf("an upper-case algorithm was accepted: %d", len(org))
	}
	org, err = c.List(ctx, ghapi.Scope{Owner: "octo-org"}, "sha256:"+strings.Repeat("AB", 32), 150)
	if err != nil || len(org) != 150 {
		t.Fatalf("org list: %d, %v", len(org), err)
	}
	sc := schemas(t)
	for _, bad := range []string{`{}`, `{"bundle":"x"}`, `{"bundle":{"dsseEnvelope":[]}}`} {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if sc["create-request"].Validate(v) == nil {
			t.Fatalf("the vendored schema accepts %s: the validation below would prove nothing", bad)
		}
	}
	pages := 0
	for _, r := range srv.Requests() {
		if got := r.Header.Get("Authorization"); got != "Bearer "+token {
			t.Errorf("%s %s: Authorization %q", r.Method, r.Path, got)
		}
		if got := r.Header.Get("X-GitHub-Api-Version"); got != ghapi.APIVersion {
			t.Errorf("%s %s: X-GitHub-Api-Version %q", r.Method, r.Path, got)
		}
		if got := r.Header.Get("Accept"); got != "application/vnd.github+json" {
			t.Errorf("%s %s: Accept %q", r.Method, r.Path, got)
		}
		switch r.Method {
		case http.MethodPost:
			validate(t, sc["create-request"], "the upload request", r.Body)
		case http.MethodGet:
			pages++
			if !strings.Contains(r.Query, "per_page=100") {
				t.Errorf("GET %s?%s: no per_page=100", r.Path, r.Query)
			}
		}
	}
	if pages != 3+2 {
		t.Errorf("%d pages fetched, want 3 for the repository and 2 for the organization", pages)
	}
	// The emulator's answers follow the description too.
	resp := get(t, srv.URL+"/repos/octo-org/app/attestations/"+digest+"?per_page=2")
	validate(t, sc["list-response"], "the list answer", resp)
	created := post(t, srv.URL+"/repos/octo-org/app/attestations", fmt.Sprintf(`{"bundle":%s}`, bundleFor(t, digest)))
	validate(t, sc["create-response"], "the create answer", created)
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	return call(t, http.MethodGet, url, "")
}

func post(t *testing.T, url, body string) []byte {
	t.Helper()
	return call(t, http.MethodPost, url, body)
}

func call(t *testing.T, method, url, body string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, buf.Bytes())
	}
	return buf.Bytes()
}

// TestErrors checks each refusal's sentinel, that 5xx and rate limits are retried a bounded
// number of times, and that no error shows the token.
func TestErrors(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + strings.Repeat("cd", 32)
	cases := []struct {
		name    string
		token   string
		repo    string
		faults  []int
		want    error
		wantReq int // requests made
		ok      bool
	}{
		{name: "bad token", token: "ghs_wrong", repo: "octo-org/app", want: ghapi.ErrUnauthorized, wantReq: 1},
		{name: "no attestations: write", token: token, repo: "octo-org/readonly", want: ghapi.ErrForbidden, wantReq: 1},
		{name: "no such repository", token: token, repo: "octo-org/nope", want: ghapi.ErrNotFound, wantReq: 1},
		{name: "5xx then success", token: token, repo: "octo-org/app", faults: []int{502, 503}, ok: true, wantReq: 3},
		{name: "rate limited then success", token: token, repo: "octo-org/app", faults: []int{403, 429}, ok: true, wantReq: 3},
		{name: "5xx every time", token: token, repo: "octo-org/app", faults: []int{500, 500, 500, 500}, wantReq: 3},
		{name: "rate limited every time", token: token, repo: "octo-org/app", faults: []int{403, 403, 403}, want: ghapi.ErrRateLimited, wantReq: 3},
		{name: "422", token: token, repo: "octo-org/app", faults: []int{422}, want: ghapi.ErrInvalid, wantReq: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ghapitest.New(token, "octo-org/app")
			defer srv.Close()
			srv.ReadOnly("octo-org/readonly")
			srv.Fail(tc.faults...)
			c := newClient(t, srv.URL, tc.token)
			repo, _ := ghapi.ParseRepo(tc.repo)
			_, err := c.Upload(context.Background(), repo, bundleFor(t, digest))
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if tc.want != ghapi.ErrForbidden && errors.Is(err, ghapi.ErrForbidden) {
				t.Errorf("err = %v is ErrForbidden: a rate limit or other refusal would be reported as a missing permission", err)
			}
			if err != nil && (strings.Contains(err.Error(), token) || strings.Contains(err.Error(), tc.token)) {
				t.Errorf("error shows the token: %v", err)
			}
			if got := len(srv.Requests()); got != tc.wantReq {
				t.Errorf("%d requests, want %d", got, tc.wantReq)
			}
		})
	}
}

// TestHostileAnswers refuses answers that would lead the client astray.
func TestHostileAnswers(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + strings.Repeat("ef", 32)
	cases := map[string]http.HandlerFunc{
		"link to another host": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", `<https://evil.example/repos/o/r/attestations/x?after=1>; rel="next"`)
			fmt.Fprint(w, `{"attestations":[{"bundle":{"mediaType":"x"}}]}`)
		},
		"link to itself forever": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, r.URL.RequestURI()))
			fmt.Fprint(w, `{"attestations":[]}`)
		},
		"not the list": func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `[1,2,3]`) },
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := httptestServer(t, h)
			c := newClient(t, srv, token)
			_, err := c.List(context.Background(), ghapi.Scope{Repo: ghapi.Repo{Owner: "o", Name: "r"}}, digest, 0)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
}

func TestInputs(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "owner", "owner/", "/repo", "o/r/x", "../etc", "o/..", "o/r?x=1", "o/r#x", "o w/r", "o/r%2F"} {
		if _, err := ghapi.ParseRepo(s); err == nil {
			t.Errorf("ParseRepo(%q) accepted", s)
		}
	}
	if r, err := ghapi.ParseRepo("Octo-Org/app.git"); err != nil || r.String() != "Octo-Org/app" {
		t.Errorf("ParseRepo: %v %v", r, err)
	}
	for _, u := range []string{"ftp://x", "api.github.com", "https://", "https://x/?q=1"} {
		if _, err := ghapi.New(u, token); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	for _, tok := range []string{"", "a b", "a\nb"} {
		_, err := ghapi.New("", tok)
		if err == nil {
			t.Errorf("token %q accepted", tok)
		} else if tok != "" && strings.Contains(err.Error(), tok) {
			t.Errorf("error shows the token: %v", err)
		}
	}
	c, err := ghapi.New("", token)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"", "sha256:", "sha512:" + strings.Repeat("a", 128), "sha256:" + strings.Repeat("g", 64), "sha256:" + strings.Repeat("a", 63) + "/"} {
		if _, err := c.List(context.Background(), ghapi.Scope{Owner: "o"}, d, 0); err == nil {
			t.Errorf("digest %q accepted", d)
		}
	}
	if _, err := c.List(context.Background(), ghapi.Scope{Owner: "../x"}, "sha256:"+strings.Repeat("a", 64), 0); err == nil {
		t.Error("owner ../x accepted")
	}
	if _, err := c.Upload(context.Background(), ghapi.Repo{Owner: "o", Name: "r"}, []byte("{not json")); err == nil {
		t.Error("a bundle that is not JSON was sent")
	}
}

func httptestServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

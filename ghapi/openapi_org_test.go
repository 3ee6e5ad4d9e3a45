package ghapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/signet-ci/signet/ghapi"
	"github.com/signet-ci/signet/ghapi/ghapitest"
)

// orgListPath is the path template of GitHub's orgs/list-attestations operation.
const orgListPath = "/orgs/{org}/attestations/{subject_digest}"

// openAPIParam is one parameter object of the vendored description.
type openAPIParam struct {
	Ref      string          `json:"$ref"`
	Name     string          `json:"name"`
	In       string          `json:"in"`
	Required bool            `json:"required"`
	Schema   json.RawMessage `json:"schema"`
}

// orgOperation reads orgs/list-attestations from the vendored description and resolves its
// parameters ($refs into components.parameters); a $ref the file does not hold fails the test.
func orgOperation(t *testing.T) []openAPIParam {
	t.Helper()
	raw, err := os.ReadFile("testdata/openapi-attestations.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string         `json:"operationId"`
			Parameters  []openAPIParam `json:"parameters"`
		} `json:"paths"`
		Components struct {
			Parameters map[string]openAPIParam `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	op, ok := doc.Paths[orgListPath]["get"]
	if !ok || op.OperationID != "orgs/list-attestations" {
		t.Fatalf("the vendored description has no orgs/list-attestations at GET %s", orgListPath)
	}
	var params []openAPIParam
	for _, p := range op.Parameters {
		if p.Ref != "" {
			name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
			c, found := doc.Components.Parameters[name]
			if !ok || !found {
				t.Fatalf("orgs/list-attestations: parameter %s is not in the vendored components", p.Ref)
			}
			p = c
		}
		params = append(params, p)
	}
	return params
}

// checkOrgRequest reports how a GET request (path as sent, raw query) breaks orgs/list-attestations:
// the path must fill the template, every query parameter must be one the operation declares, with
// a value its schema accepts, and every required parameter must be there.
func checkOrgRequest(params []openAPIParam, schemas map[string]*jsonschema.Schema, path, rawQuery string) error {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	tmpl := strings.Split(strings.TrimPrefix(orgListPath, "/"), "/")
	if len(segs) != len(tmpl) {
		return fmt.Errorf("path %q does not fill %s", path, orgListPath)
	}
	got := map[string]string{}
	for i, s := range tmpl {
		v, err := url.PathUnescape(segs[i])
		if err != nil {
			return fmt.Errorf("path %q: %w", path, err)
		}
		if name, ok := strings.CutPrefix(s, "{"); ok {
			got["path:"+strings.TrimSuffix(name, "}")] = v
		} else if v != s {
			return fmt.Errorf("path %q: segment %q, want %q", path, v, s)
		}
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return fmt.Errorf("query %q: %w", rawQuery, err)
	}
	for k, vs := range q {
		if len(vs) != 1 {
			return fmt.Errorf("query parameter %s given %d times", k, len(vs))
		}
		got["query:"+k] = vs[0]
	}
	declared := map[string]bool{}
	for _, p := range params {
		key := p.In + ":" + p.Name
		declared[key] = true
		v, ok := got[key]
		if !ok {
			if p.Required {
				return fmt.Errorf("required %s parameter %s missing", p.In, p.Name)
			}
			continue
		}
		if p.In == "path" && v == "" {
			return fmt.Errorf("path parameter %s is empty", p.Name)
		}
		var inst any = v
		var typ struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(p.Schema, &typ)
		if typ.Type == "integer" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%s parameter %s=%q: not an integer", p.In, p.Name, v)
			}
			inst = json.Number(strconv.FormatInt(n, 10))
		}
		if err := schemas[key].Validate(inst); err != nil {
			return fmt.Errorf("%s parameter %s=%q: %v", p.In, p.Name, v, err)
		}
	}
	for k := range got {
		if !declared[k] {
			return fmt.Errorf("%s is not a parameter of orgs/list-attestations", k)
		}
	}
	return nil
}

// paramSchemas compiles each parameter's schema, keyed "in:name".
func paramSchemas(t *testing.T, params []openAPIParam) map[string]*jsonschema.Schema {
	t.Helper()
	out := map[string]*jsonschema.Schema{}
	for _, p := range params {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(p.Schema)))
		if err != nil {
			t.Fatalf("parameter %s: %v", p.Name, err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("param.json", doc); err != nil {
			t.Fatal(err)
		}
		s, err := c.Compile("param.json")
		if err != nil {
			t.Fatalf("parameter %s: %v", p.Name, err)
		}
		out[p.In+":"+p.Name] = s
	}
	return out
}

// orgListSchema compiles the 200 answer schema of orgs/list-attestations.
func orgListSchema(t *testing.T) *jsonschema.Schema {
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
	s, err := c.Compile("openapi.json#/paths/~1orgs~1%7Borg%7D~1attestations~1%7Bsubject_digest%7D/get/responses/200/content/application~1json/schema")
	if err != nil {
		t.Fatalf("compiling orgs/list-attestations' answer schema: %v", err)
	}
	return s
}

// TestOrgListFollowsOpenAPI lists an organisation's attestations through pages and checks each
// request the client sent, and the emulator's answers, against GitHub's orgs/list-attestations
// operation as vendored; the checks are first shown to refuse requests and answers that break it.
func TestOrgListFollowsOpenAPI(t *testing.T) {
	t.Parallel()
	params := orgOperation(t)
	ps := paramSchemas(t, params)
	answer := orgListSchema(t)
	digest := "sha256:" + strings.Repeat("1f", 32)
	good := "/orgs/octo-org/attestations/" + digest

	for _, bad := range []struct{ path, query string }{
		{good, "per_page=ten"},
		{good, "page=2"},
		{good, "per_page=100&per_page=30"},
		{"/orgs/octo-org/attestations/", "per_page=100"},
		{"/orgs/octo-org/attestation/" + digest, ""},
		{"/repos/octo-org/app/attestations/" + digest, ""},
	} {
		if checkOrgRequest(params, ps, bad.path, bad.query) == nil {
			t.Fatalf("the request check accepts %s?%s: the checks below would prove nothing", bad.path, bad.query)
		}
	}
	for _, bad := range []string{`{"attestations":{}}`, `{"attestations":[{"bundle":"x"}]}`, `{"attestations":[{"repository_id":"1"}]}`} {
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if answer.Validate(v) == nil {
			t.Fatalf("the vendored answer schema accepts %s: the checks below would prove nothing", bad)
		}
	}

	srv := ghapitest.New(token, "octo-org/app", "octo-org/lib", "other-org/app")
	defer srv.Close()
	const n = 130 // two pages of 100 in the organisation
	for i := range n {
		repo := []string{"octo-org/app", "octo-org/lib"}[i%2]
		srv.Put(repo, bundleFor(t, digest, fmt.Sprintf("sha256:%064x", i)))
	}
	srv.Put("other-org/app", bundleFor(t, digest))
	c := newClient(t, srv.URL, token)
	got, err := c.List(context.Background(), ghapi.Scope{Owner: "octo-org"}, digest, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("listed %d bundles of octo-org, want %d (other-org's must not be listed)", len(got), n)
	}
	pages := 0
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			continue
		}
		pages++
		if err := checkOrgRequest(params, ps, r.Path, r.Query); err != nil {
			t.Errorf("the client's request GET %s?%s breaks orgs/list-attestations: %v", r.Path, r.Query, err)
		}
	}
	if pages != 2 {
		t.Errorf("%d pages fetched, want 2", pages)
	}

	// The emulator's answers, first page and a later one, follow the operation's schema.
	for _, q := range []string{"per_page=100", "per_page=7&after=c100"} {
		if err := checkOrgRequest(params, ps, good, q); err != nil {
			t.Fatal(err)
		}
		body := get(t, srv.URL+good+"?"+q)
		validate(t, answer, "the organisation list answer ("+q+")", body)
		var out struct {
			Attestations []struct {
				RepositoryID int64 `json:"repository_id"`
			} `json:"attestations"`
		}
		if err := json.Unmarshal(body, &out); err != nil || len(out.Attestations) == 0 {
			t.Fatalf("answer to %s: %v, %d attestations", q, err, len(out.Attestations))
		}
		for _, a := range out.Attestations {
			if a.RepositoryID != 1000 && a.RepositoryID != 1001 {
				t.Errorf("answer to %s names repository %d, not one of octo-org's", q, a.RepositoryID)
			}
		}
	}
}

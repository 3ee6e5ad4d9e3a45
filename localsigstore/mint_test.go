package localsigstore

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: decoding: %v", url, err)
	}
}

// TestMintEndpoint drives POST/GET <issuer>/token as another process would, then signs with a
// minted token to show it is a real one.
func TestMintEndpoint(t *testing.T) {
	t.Parallel()
	s := start(t)
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		code   int
		want   map[string]any
	}{
		{
			name: "post with everything", method: http.MethodPost, path: "/oidc/gitlab/token",
			body: `{"claims":{"ci_config_ref_uri":null,"runner_id":7},"remove":["user_email"],"audience":"sigstore","expiresIn":60}`,
			code: http.StatusOK,
			want: map[string]any{"ci_config_ref_uri": nil, "runner_id": json.Number("7"), "aud": "sigstore"},
		},
		{
			name: "post empty body", method: http.MethodPost, path: "/oidc/email/token",
			code: http.StatusOK, want: map[string]any{"email": "signet@example.com", "aud": "sigstore"},
		},
		{
			name: "get like ACTIONS_ID_TOKEN_REQUEST_URL", method: http.MethodGet, path: "/oidc/github/token?api-version=2.0&audience=sigstore",
			code: http.StatusOK, want: map[string]any{"repository": "signet-ci/signet-demo", "aud": "sigstore"},
		},
		{name: "unknown field", method: http.MethodPost, path: "/oidc/email/token", body: `{"claim":{}}`, code: http.StatusBadRequest},
		{name: "not json", method: http.MethodPost, path: "/oidc/email/token", body: `claims=1`, code: http.StatusBadRequest},
		{name: "unknown preset", method: http.MethodPost, path: "/oidc/jenkins/token", code: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), tt.method, s.URL()+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.code)
			}
			if tt.code != http.StatusOK {
				return
			}
			var out struct {
				Value string `json:"value"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			claims := tokenClaims(t, out.Value)
			for k, v := range tt.want {
				if diff := cmp.Diff(v, claims[k]); diff != "" {
					t.Errorf("claim %q (-want +got):\n%s", k, diff)
				}
			}
			if _, err := signWith(t, s, out.Value); err != nil {
				t.Errorf("signing with the minted token: %v", err)
			}
		})
	}
}

package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signet-ci/signet/localsigstore"
)

// withLog copies a trust directory and adds a Rekor v1 URL to its signing config.
func withLog(t *testing.T, dir, logURL string) string {
	t.Helper()
	out := t.TempDir()
	root, err := os.ReadFile(filepath.Join(dir, "trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sc map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "signing_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatal(err)
	}
	sc["rekorTlogUrls"] = []any{map[string]any{"url": logURL, "majorApiVersion": 1,
		"validFor": map[string]any{"start": "2020-01-01T00:00:00Z"}}}
	b, _ = json.Marshal(sc)
	os.WriteFile(filepath.Join(out, "trusted_root.json"), root, 0o644)
	os.WriteFile(filepath.Join(out, "signing_config.json"), b, 0o644)
	return out
}

// TestPrivateRepositorySkipsLog checks a private repository's run sends nothing to the
// transparency log the signing config names, unless --private-repo-tlog opts in.
func TestPrivateRepositorySkipsLog(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	var hits atomic.Int64
	rekor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "this log only counts requests", http.StatusServiceUnavailable)
	}))
	t.Cleanup(rekor.Close)
	trust := withLog(t, ss.Dir, rekor.URL)
	for _, vis := range []string{"private", "internal"} {
		t.Run(vis, func(t *testing.T) {
			dir := workspace(t)
			tok := ss.tokenFile(t, localsigstore.PresetGitHub, localsigstore.WithClaims(map[string]any{"repository_visibility": vis}))
			before := hits.Load()
			out, errOut, code := run(t, dir, nil, "attest", "--sigstore", trust, "--identity-token-file", tok, "dist")
			if code != 0 {
				t.Fatalf("attest exit %d: %s%s", code, out, errOut)
			}
			if n := hits.Load() - before; n != 0 {
				t.Fatalf("a %s repository's run sent %d request(s) to the transparency log", vis, n)
			}
			ix := readIndex(t, dir)
			if ix.Tlog.Used || !strings.Contains(ix.Tlog.Reason, "--private-repo-tlog") {
				t.Errorf("index transparency log %+v, want unused with the opt-in named", ix.Tlog)
			}
			if ix.Attestations[0].LogEntry != nil || len(ix.Attestations[0].Timestamps) == 0 {
				t.Errorf("attestation %+v: want a timestamp and no log entry", ix.Attestations[0])
			}
		})
	}
	t.Run("opt-in", func(t *testing.T) {
		dir := workspace(t)
		tok := ss.tokenFile(t, localsigstore.PresetGitHub, localsigstore.WithClaims(map[string]any{"repository_visibility": "private"}))
		before := hits.Load()
		_, errOut, code := run(t, dir, nil, "attest", "--sigstore", trust, "--identity-token-file", tok, "--private-repo-tlog", "dist")
		if hits.Load()-before == 0 {
			t.Fatal("--private-repo-tlog sent nothing to the transparency log")
		}
		if code == 0 || !strings.Contains(errOut, rekor.URL) {
			t.Errorf("exit %d, stderr %q: want a failure naming the log %s", code, errOut, rekor.URL)
		}
	})
	t.Run("public", func(t *testing.T) {
		dir := workspace(t)
		before := hits.Load()
		run(t, dir, nil, "attest", "--sigstore", trust, "--identity-token-file", ss.tokenFile(t, localsigstore.PresetGitHub), "dist")
		if hits.Load()-before == 0 {
			t.Fatal("a public repository's run did not use the transparency log")
		}
	})
}

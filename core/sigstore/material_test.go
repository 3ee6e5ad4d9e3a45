package sigstore_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/tuf"

	"github.com/signet-ci/signet/core/sigstore"
)

func TestLoadDir(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	good := t.TempDir()
	if err := s.WriteConfig(good); err != nil {
		t.Fatal(err)
	}
	write := func(dir, name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	noConfig, badRoot, badConfig := t.TempDir(), t.TempDir(), t.TempDir()
	write(noConfig, sigstore.TrustedRootFile, string(s.TrustedRoot()))
	write(badRoot, sigstore.TrustedRootFile, `{"mediaType": "nope"}`)
	write(badRoot, sigstore.SigningConfigFile, string(s.SigningConfig()))
	write(badConfig, sigstore.TrustedRootFile, string(s.TrustedRoot()))
	write(badConfig, sigstore.SigningConfigFile, `{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.1+json"}`)
	tests := []struct {
		name string
		dir  string
		want []string // in the error; none means success
	}{
		{"local sigstore", good, nil},
		{"missing signing config", noConfig, []string{filepath.Join(noConfig, sigstore.SigningConfigFile), "does not exist"}},
		{"missing directory", filepath.Join(good, "absent"), []string{sigstore.TrustedRootFile, "does not exist"}},
		{"invalid trusted root", badRoot, []string{badRoot, "trusted_root.json is not a valid Sigstore trusted root"}},
		{"invalid signing config", badConfig, []string{badConfig, "signing_config.json is not a valid Sigstore signing config v0.2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := sigstore.LoadDir(tc.dir)
			if tc.want == nil {
				if err != nil || m.TrustedRoot == nil || m.SigningConfig == nil {
					t.Fatalf("LoadDir = %+v, %v", m, err)
				}
				return
			}
			if !errors.Is(err, sigstore.ErrTrust) {
				t.Fatalf("err = %v, want ErrTrust", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadTrustedRoot(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	path := filepath.Join(t.TempDir(), "root.json")
	if err := os.WriteFile(path, s.TrustedRoot(), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := sigstore.LoadTrustedRoot(path)
	if err != nil || m.TrustedRoot == nil || m.SigningConfig != nil || m.HasTlog() {
		t.Fatalf("LoadTrustedRoot = %+v, %v; want a root and no signing config", m, err)
	}
	if _, err := sigstore.LoadTrustedRoot(path + ".absent"); !errors.Is(err, sigstore.ErrTrust) || !strings.Contains(err.Error(), "root.json.absent") {
		t.Errorf("missing file: err = %v, want ErrTrust naming it", err)
	}
}

// TestLoadPublicOffline checks option handling and that a failing TUF mirror gives a bounded,
// named error. Fetching the real public-good root needs the network and is not tested here.
func TestLoadPublicOffline(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(mirror.Close)
	rootJSON := tuf.DefaultRoot()
	tests := []struct {
		name     string
		cacheDir string
		opts     []sigstore.PublicOption
		want     []string
	}{
		{"no cache dir", "", nil, []string{"a TUF cache directory is required"}},
		{"mirror without root", t.TempDir(), []sigstore.PublicOption{sigstore.WithTUFMirror(mirror.URL, nil)}, []string{"initial root.json"}},
		{"bad timeout", t.TempDir(), []sigstore.PublicOption{sigstore.WithTUFTimeout(-time.Second)}, []string{"HTTP timeout"}},
		{"too many retries", t.TempDir(), []sigstore.PublicOption{sigstore.WithTUFRetries(11)}, []string{"retries 11"}},
		{"mirror down", t.TempDir(), []sigstore.PublicOption{sigstore.WithTUFMirror(mirror.URL, rootJSON), sigstore.WithTUFRetries(0)},
			[]string{"tuf at " + mirror.URL, "failed after 1 attempt(s): status 503"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := sigstore.LoadPublic(t.Context(), tc.cacheDir, tc.opts...)
			if err == nil {
				t.Fatal("LoadPublic succeeded offline")
			}
			t.Logf("error: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

package sigstore_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/signet-ci/signet/core/sigstore"
)

// TestGitHubTUFRoot checks that the embedded root is a TUF root of GitHub's repository, signed
// by its own threshold of keys (as gh ships it), and that a copy cannot change it.
func TestGitHubTUFRoot(t *testing.T) {
	t.Parallel()
	b := sigstore.GitHubTUFRoot()
	r, err := metadata.Root().FromBytes(b)
	if err != nil {
		t.Fatalf("the embedded root is not TUF root metadata: %v", err)
	}
	if r.Signed.Type != metadata.ROOT || r.Signed.Version < 1 {
		t.Fatalf("type %q version %d", r.Signed.Type, r.Signed.Version)
	}
	if err := r.VerifyDelegate(metadata.ROOT, r); err != nil {
		t.Errorf("the embedded root does not verify itself: %v", err)
	}
	b[0] = 'x'
	if sigstore.GitHubTUFRoot()[0] == 'x' {
		t.Error("GitHubTUFRoot returned the embedded bytes themselves")
	}
}

// TestGitHubSigningConfig: GitHub's instance signs with its Fulcio and timestamp authority and
// has no transparency log, so nothing is sent to a public log.
func TestGitHubSigningConfig(t *testing.T) {
	t.Parallel()
	sc, err := root.NewSigningConfigFromJSON(sigstore.GitHubSigningConfig())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca, err := root.SelectService(sc.FulcioCertificateAuthorityURLs(), []uint32{1}, now)
	if err != nil || ca.URL != "https://fulcio.githubapp.com" {
		t.Errorf("Fulcio %q, %v", ca.URL, err)
	}
	tsas, err := root.SelectServices(sc.TimestampAuthorityURLs(), sc.TimestampAuthorityURLsConfig(), []uint32{1}, now)
	if err != nil || len(tsas) != 1 || tsas[0].URL != "https://timestamp.githubapp.com/api/v1/timestamp" {
		t.Errorf("timestamp authorities %v, %v", tsas, err)
	}
	if len(sc.RekorLogURLs()) != 0 {
		t.Errorf("a transparency log is configured: %v", sc.RekorLogURLs())
	}
}

// TestLoadGitHubOffline: with the embedded root and a mirror that fails or does not answer,
// loading fails with a clear error naming GitHub's TUF repository and what to do offline.
func TestLoadGitHubOffline(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	for name, mirror := range map[string]string{"mirror answers 503": down.URL, "mirror unreachable": closed} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := sigstore.LoadGitHub(t.Context(), t.TempDir(), sigstore.WithTUFMirror(mirror, sigstore.GitHubTUFRoot()),
				sigstore.WithTUFRetries(0), sigstore.WithTUFTimeout(2*time.Second))
			if err == nil {
				t.Fatal("LoadGitHub succeeded offline")
			}
			if !errors.Is(err, sigstore.ErrTrust) {
				t.Errorf("err = %v, want ErrTrust", err)
			}
			for _, w := range []string{"GitHub's TUF repository at " + mirror, "--trusted-root"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to say %q", err, w)
				}
			}
		})
	}
	if _, err := sigstore.LoadGitHub(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "cache directory") {
		t.Errorf("no cache directory: %v", err)
	}
}

package sigstore_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
)

// failMode is how a flaky server fails a request.
type failMode int

const (
	fail503   failMode = iota // answers 503 Service Unavailable
	failReset                 // resets the TCP connection
	failSlow                  // answers nothing until the client gives up
)

// flaky fails its first failures requests (all of them when failures < 0), then proxies to
// target (a real service); it counts every request.
type flaky struct {
	srv   *httptest.Server
	calls atomic.Int64
}

func newFlaky(t *testing.T, target string, failures int, mode failMode) *flaky {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	f := &flaky{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.calls.Add(1)
		if failures >= 0 && n > int64(failures) {
			proxy.ServeHTTP(w, r)
			return
		}
		switch mode {
		case fail503:
			http.Error(w, "try again later", http.StatusServiceUnavailable)
		case failReset:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0) // close with RST
			}
			conn.Close()
		case failSlow:
			_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client hanging up
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// fastRetries keeps retry tests short.
var fastRetries = []sigstore.SignerOption{
	sigstore.WithRetries(3), sigstore.WithBackoff(10*time.Millisecond, 40*time.Millisecond), sigstore.WithHTTPTimeout(time.Second),
}

func TestRetriesRecover(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	tests := []struct {
		name      string
		tsa       bool // proxy the TSA instead of Fulcio
		failures  int
		mode      failMode
		wantCalls int64
	}{
		{"fulcio 503 twice", false, 2, fail503, 3},
		{"fulcio connection reset", false, 1, failReset, 2},
		{"tsa 503 twice", true, 2, fail503, 3},
		{"tsa timeout", true, 1, failSlow, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFlaky(t, s.URL(), tc.failures, tc.mode)
			m := editConfig(t, mat, func(sc *root.SigningConfig) *root.SigningConfig {
				if tc.tsa {
					return sc.WithTimestampAuthorityURLs(service(f.srv.URL+localsigstore.TimestampPath, 1))
				}
				return sc.WithFulcioCertificateAuthorityURLs(service(f.srv.URL, 1))
			})
			signer, err := sigstore.NewKeylessSigner(t.Context(), m, localToken(t, s, localsigstore.PresetEmail), fastRetries...)
			if err != nil {
				t.Fatal(err)
			}
			b, err := signer.SignStatement(t.Context(), statement(t, appBin))
			if err != nil {
				t.Fatalf("SignStatement: %v", err)
			}
			if n := f.calls.Load(); n != tc.wantCalls {
				t.Errorf("requests = %d, want %d", n, tc.wantCalls)
			}
			v, err := sigstore.NewVerifier(mat.TrustedRoot)
			if err != nil {
				t.Fatal(err)
			}
			policy := sigstore.IdentityPolicy{Issuer: s.Issuer(localsigstore.PresetEmail), SAN: "signet@example.com"}
			if _, err := v.Verify(t.Context(), b.JSON, "sha256", appBin.digest(), policy); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestRetriesGiveUp(t *testing.T) {
	t.Parallel()
	s := startLocal(t)
	mat := localMaterial(t, s)
	tests := []struct {
		name        string
		want        error
		unavailable bool // the error also wraps ErrUnavailable
		use         func(sc *root.SigningConfig, url string) *root.SigningConfig
		called      func(url string) string // the URL the error must name
	}{
		{"fulcio", sigstore.ErrFulcio, true,
			func(sc *root.SigningConfig, u string) *root.SigningConfig {
				return sc.WithFulcioCertificateAuthorityURLs(service(u, 1))
			}, func(u string) string { return "fulcio at " + u }},
		{"timestamp authority", sigstore.ErrTimestamp, true,
			func(sc *root.SigningConfig, u string) *root.SigningConfig {
				return sc.WithTimestampAuthorityURLs(service(u+localsigstore.TimestampPath, 1))
			}, func(u string) string { return "timestamp authority at " + u + localsigstore.TimestampPath }},
		{"rekor v1", sigstore.ErrTlog, false,
			func(sc *root.SigningConfig, u string) *root.SigningConfig {
				return sc.WithRekorLogURLs(service(u, 1))
			}, func(u string) string { return "rekor at " + u + " (API v1)" }},
		{"rekor v2", sigstore.ErrTlog, true,
			func(sc *root.SigningConfig, u string) *root.SigningConfig {
				return sc.WithRekorLogURLs(service(u, 2))
			}, func(u string) string { return "rekor at " + u + " (API v2)" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFlaky(t, s.URL(), -1, fail503)
			m := editConfig(t, mat, func(sc *root.SigningConfig) *root.SigningConfig { return tc.use(sc, f.srv.URL) })
			signer, err := sigstore.NewKeylessSigner(t.Context(), m, localToken(t, s, localsigstore.PresetEmail),
				sigstore.WithRetries(2), sigstore.WithBackoff(10*time.Millisecond, 40*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = signer.SignStatement(t.Context(), statement(t, appBin))
			elapsed := time.Since(start)
			if !errors.Is(err, tc.want) || (tc.unavailable && !errors.Is(err, sigstore.ErrUnavailable)) {
				t.Fatalf("err = %v, want %v (unavailable: %v)", err, tc.want, tc.unavailable)
			}
			if !strings.Contains(err.Error(), tc.called(f.srv.URL)) || !strings.Contains(err.Error(), "3 attempt") {
				t.Errorf("err = %v, want it to name %q and 3 attempts", err, tc.called(f.srv.URL))
			}
			if n := f.calls.Load(); n != 3 {
				t.Errorf("requests = %d, want 3 (1 + 2 retries)", n)
			}
			if elapsed > 5*time.Second {
				t.Errorf("gave up after %v, want well under 5s", elapsed)
			}
		})
	}
}

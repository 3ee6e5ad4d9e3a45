//go:build !nolocalsigstore

package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-ci/signet/localsigstore"
)

// syncBuffer is a bytes.Buffer safe to read while the server goroutine writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestSigstoreServeTokenAttest rehearses a CI identity the way the README shows: serve the local
// Sigstore, mint a GitHub-shaped token from it, attest with --sigstore STATE-DIR, verify.
func TestSigstoreServeTokenAttest(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"sigstore", "serve", "--addr", "127.0.0.1:0", "--state-dir", state},
			Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "signing config") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	tok, errOut, code := run(t, "", nil, "sigstore", "token", "--preset", "github", "--state-dir", state)
	if code != 0 || strings.Count(strings.TrimSpace(tok), ".") != 2 {
		t.Fatalf("token exit %d: %q %s", code, tok, errOut)
	}
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte(tok), 0o600)
	dir := workspace(t)
	if o, e, c := run(t, dir, nil, "attest", "--sigstore", state, "--identity-token-file", tokFile, "dist"); c != 0 {
		t.Fatalf("attest exit %d: %s%s", c, o, e)
	}
	gh := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	if o, e, c := run(t, dir, nil, "verify", "--sigstore", state, "--index", "attestations/index.json",
		"--certificate-identity", "https://github.com/"+gh["job_workflow_ref"].(string),
		"--certificate-oidc-issuer-regexp", `^http://127\.0\.0\.1:[0-9]+/oidc/github$`, "dist/app.tar.gz"); c != 0 {
		t.Fatalf("verify exit %d: %s%s", c, o, e)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit %d: %s", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(state, "server.json")); !os.IsNotExist(err) {
		t.Errorf("server.json left behind after serve stopped: %v", err)
	}
}

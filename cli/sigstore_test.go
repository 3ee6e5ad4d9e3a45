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

	"github.com/google/go-cmp/cmp"

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
	stop := startServe(t, state)
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
	stop()
	if _, err := os.Stat(filepath.Join(state, "server.json")); !os.IsNotExist(err) {
		t.Errorf("server.json left behind after serve stopped: %v", err)
	}
}

// startServe runs `signet sigstore serve` on state until the returned stop is called (or the
// test ends); stop fails the test unless serve exited 0.
func startServe(t *testing.T, state string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"sigstore", "serve", "--addr", "127.0.0.1:0", "--state-dir", state},
			Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "signing config") {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d before it came up: %s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not come up: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("serve exit %d: %s", code, out.String())
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// snapshot reads every regular file directly in dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if e.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[e.Name()] = string(b)
		}
	}
	return files
}

// TestServeOwnsStateDir checks that `attest --sigstore local` and a second `serve` leave the
// files of a running server's state directory as they are, so --sigstore STATE-DIR keeps
// working, and that a state directory whose server is gone can be served again.
func TestServeOwnsStateDir(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	stop := startServe(t, state)
	before := snapshot(t, state)
	for _, f := range []string{"trusted_root.json", "signing_config.json", "server.json"} {
		if before[f] == "" {
			t.Fatalf("serve wrote no %s in its state directory", f)
		}
	}

	local := workspace(t)
	if o, e, c := run(t, local, nil, "attest", "--sigstore", "local", "--state-dir", state, "dist"); c != 0 {
		t.Fatalf("attest --sigstore local exit %d: %s%s", c, o, e)
	}
	if diff := cmp.Diff(before, snapshot(t, state)); diff != "" {
		t.Fatalf("attest --sigstore local changed the running server's state directory (-before +after):\n%s", diff)
	}
	if o, e, c := run(t, local, nil, "verify", "--sigstore", "local", "--state-dir", state,
		"--index", "attestations/index.json", "dist/app.tar.gz"); c != 0 {
		t.Fatalf("verify --sigstore local of the local run exit %d: %s%s", c, o, e)
	}

	_, errOut, code := run(t, "", nil, "sigstore", "serve", "--addr", "127.0.0.1:0", "--state-dir", state)
	if code == 0 || !strings.Contains(errOut, "--state-dir "+state+" is owned by a running `signet sigstore serve`") {
		t.Fatalf("second serve on the same state directory: exit %d, stderr %q; want a refusal naming --state-dir", code, errOut)
	}
	if diff := cmp.Diff(before, snapshot(t, state)); diff != "" {
		t.Fatalf("the refused serve changed the state directory (-before +after):\n%s", diff)
	}

	tok, errOut, code := run(t, "", nil, "sigstore", "token", "--preset", "github", "--state-dir", state)
	if code != 0 {
		t.Fatalf("token exit %d: %s", code, errOut)
	}
	tokFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokFile, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	if o, e, c := run(t, workspace(t), nil, "attest", "--sigstore", state, "--identity-token-file", tokFile, "dist"); c != 0 {
		t.Fatalf("attest --sigstore STATE-DIR after a local run and a refused serve: exit %d: %s%s", c, o, e)
	}
	stop()

	// A server.json whose server is gone does not hold the directory.
	if err := os.WriteFile(filepath.Join(state, "server.json"), []byte(`{"url":"http://127.0.0.1:1"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	startServe(t, state)
}

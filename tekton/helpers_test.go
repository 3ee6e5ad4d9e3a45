package tekton

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/signet-ci/signet/localsigstore"
)

// sharedSigstore is one real in-process Sigstore (its OIDC issuer mints the test tokens) for
// the package's unit tests.
var sharedSigstore = sync.OnceValues(func() (*localsigstore.Sigstore, error) {
	return localsigstore.Start(context.Background())
})

// mint returns a Kubernetes-shaped token from the local Sigstore's issuer.
func mint(t testing.TB, opts ...localsigstore.TokenOption) string {
	t.Helper()
	s, err := sharedSigstore()
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	tok, err := s.Token(localsigstore.PresetKubernetes, opts...)
	if err != nil {
		t.Fatalf("minting a Kubernetes token: %v", err)
	}
	return tok
}

// writeFile writes body to dir/name, creating parent directories.
func writeFile(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// envOf returns a getenv reading vars.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

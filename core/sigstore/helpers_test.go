package sigstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, rewriting the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// startLocal runs an in-process Sigstore (real Fulcio and TSA code) for one test.
func startLocal(t *testing.T) *localsigstore.Sigstore {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s, err := localsigstore.Start(ctx)
	if err != nil {
		t.Fatalf("starting localsigstore: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing localsigstore: %v", err)
		}
	})
	return s
}

func localMaterial(t *testing.T, s *localsigstore.Sigstore) *sigstore.Material {
	t.Helper()
	m, err := sigstore.ParseMaterial(s.TrustedRoot(), s.SigningConfig())
	if err != nil {
		t.Fatalf("parsing localsigstore trust material: %v", err)
	}
	return m
}

// editConfig returns m with its signing configuration rewritten by edit.
func editConfig(t *testing.T, m *sigstore.Material, edit func(sc *root.SigningConfig) *root.SigningConfig) *sigstore.Material {
	t.Helper()
	sc, err := root.NewSigningConfigFromJSON(m.SigningConfigJSON)
	if err != nil {
		t.Fatal(err)
	}
	js, err := edit(sc).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sigstore.ParseMaterial(m.TrustedRootJSON, js)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func service(url string, version uint32) root.Service {
	return root.Service{URL: url, MajorAPIVersion: version, ValidityPeriodStart: time.Now().Add(-time.Hour)}
}

// artifact is a named file content and its sha256.
type artifact struct {
	name    string
	content []byte
}

func (a artifact) digest() string {
	d := sha256.Sum256(a.content)
	return hex.EncodeToString(d[:])
}

// statement is a provenance statement (deterministic) naming the artifacts.
func statement(t *testing.T, arts ...artifact) []byte {
	t.Helper()
	var subjects []core.Subject
	for _, a := range arts {
		subjects = append(subjects, core.Subject{Name: a.name, Digest: map[string]string{core.SHA256: a.digest()}})
	}
	pred := core.Predicate{Type: core.ProvenancePredicateType,
		JSON: json.RawMessage(`{"buildDefinition":{"buildType":"https://signet.dev/test/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://signet.dev/test"}}}`)}
	sts, err := core.Statements(subjects, pred, 100)
	if err != nil || len(sts) != 1 {
		t.Fatalf("building statement: %v (%d statements)", err, len(sts))
	}
	return sts[0]
}

var (
	appBin = artifact{name: "app-linux-amd64", content: []byte("signet test binary\n")}
	appTar = artifact{name: "app.tar.gz", content: []byte("signet test tarball\n")}
	other  = artifact{name: "other", content: []byte("not signed\n")}
)

// localToken mints one token from s's issuer for preset p.
func localToken(t *testing.T, s *localsigstore.Sigstore, p localsigstore.Preset, opts ...localsigstore.TokenOption) sigstore.StaticToken {
	t.Helper()
	tok, err := s.Token(p, opts...)
	if err != nil {
		t.Fatalf("minting a %s token: %v", p, err)
	}
	return sigstore.StaticToken(tok)
}

// mustNotContain fails when err's message leaks secret.
func mustNotContain(t *testing.T, err error, secret string) {
	t.Helper()
	if err != nil && secret != "" && bytes.Contains([]byte(err.Error()), []byte(secret)) {
		t.Errorf("error leaks a secret: %v", err)
	}
}

func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

func parseCert(der []byte) (*x509.Certificate, error) { return x509.ParseCertificate(der) }

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// noCTLogs is trusted material without certificate-transparency logs, as a local Sigstore's
// trusted root is: sigstore-go's VirtualSigstore lists a CT log but issues certificates
// without SCTs, which a root with CT logs refuses (TestVerifyRequiresSCT).
type noCTLogs struct{ root.TrustedMaterial }

func (noCTLogs) CTLogs() map[string]*root.TransparencyLog { return nil }

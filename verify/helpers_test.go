package verify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/provenance"
	"github.com/signet-ci/signet/verify"
)

// shared is the one local Sigstore (real Fulcio CA and timestamp-authority code, real OIDC
// issuers) the package's end-to-end tests sign with.
var shared struct {
	once sync.Once
	f    *fixture
	err  error
}

type fixture struct {
	ls          *localsigstore.Sigstore
	mat         *sigstore.Material
	trustedRoot []byte
	verifier    *sigstore.Verifier
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.f != nil {
		shared.f.ls.Close()
	}
	os.Exit(code)
}

// local returns the shared local Sigstore, starting it on first use. A failure to start is a
// test failure, never a skip.
func local(t testing.TB) *fixture {
	t.Helper()
	shared.once.Do(func() { shared.f, shared.err = startFixture() })
	if shared.err != nil {
		t.Fatalf("starting the local Sigstore: %v", shared.err)
	}
	return shared.f
}

func startFixture() (*fixture, error) {
	state, err := os.MkdirTemp("", "signet-verify-test-")
	if err != nil {
		return nil, err
	}
	ls, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(state))
	if err != nil {
		return nil, err
	}
	mat, err := sigstore.ParseMaterial(ls.TrustedRoot(), ls.SigningConfig())
	if err != nil {
		ls.Close()
		return nil, err
	}
	v, err := sigstore.NewVerifier(mat.TrustedRoot)
	if err != nil {
		ls.Close()
		return nil, err
	}
	return &fixture{ls: ls, mat: mat, trustedRoot: ls.TrustedRoot(), verifier: v}, nil
}

// run is one signed CI run: a workspace with dist/ files and the bundle signed over them.
type run struct {
	dir       string
	bundle    string
	artifacts []core.Subject
}

// signOpts shape a run.
type signOpts struct {
	claims        map[string]any               // token claims over the preset's
	editPredicate func(map[string]any)         // edits the provenance predicate before signing
	predicate     *core.Predicate              // signs this predicate instead of provenance
	files         map[string]string            // dist files; two small ones by default
	signer        func(*testing.T) core.Signer // signs with this signer instead of keylessly
}

// sign builds the preset platform's real provenance for a workspace's files, with the token the
// local issuer mints, and signs it keylessly through the local Fulcio and TSA.
func (f *fixture) sign(t *testing.T, preset localsigstore.Preset, o signOpts) *run {
	t.Helper()
	ctx := context.Background()
	r := &run{dir: t.TempDir()}
	files := o.files
	if files == nil {
		files = map[string]string{"dist/app.tar.gz": "archive " + t.Name(), "dist/app-linux-amd64": "binary " + t.Name()}
	}
	r.artifacts = writeFiles(t, r.dir, files)
	tok, err := f.ls.Token(preset, localsigstore.WithClaims(o.claims))
	if err != nil {
		t.Fatalf("minting a %s token: %v", preset, err)
	}
	pred := o.predicate
	if pred == nil {
		p := f.provenance(t, preset, tok, r.dir)
		pred = &p
	}
	if o.editPredicate != nil {
		pred = editPredicate(t, *pred, o.editPredicate)
	}
	sts, err := core.Statements(r.artifacts, *pred, core.DefaultMaxSubjects)
	if err != nil {
		t.Fatal(err)
	}
	var signer core.Signer
	if o.signer != nil {
		signer = o.signer(t)
	} else if signer, err = sigstore.NewKeylessSigner(ctx, f.mat, sigstore.StaticToken(tok)); err != nil {
		t.Fatalf("keyless signer: %v", err)
	}
	b, err := signer.SignStatement(ctx, sts[0])
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	r.bundle = filepath.Join(r.dir, "attestations", "provenance.sigstore.json")
	writeFile(t, r.bundle, b.JSON)
	return r
}

// provenance is the platform's own predicate for the token's verified claims.
func (f *fixture) provenance(t testing.TB, preset localsigstore.Preset, tok, dir string) core.Predicate {
	t.Helper()
	ctx := context.Background()
	claims, err := provenance.VerifyToken(ctx, tok)
	if err != nil {
		t.Fatalf("verifying the %s token: %v", preset, err)
	}
	noEnv := func(string) string { return "" }
	var bc core.ProvenanceSource
	switch preset {
	case localsigstore.PresetGitHub:
		bc, err = provenance.NewGitHub(claims, noEnv)
	case localsigstore.PresetGitLab:
		bc, err = provenance.NewGitLab(claims, noEnv)
	case localsigstore.PresetKubernetes:
		bc, err = provenance.NewTekton(claims, provenance.TektonParams{TaskRunName: "release-run-7x2kq", UID: "9f1c",
			GitURL: "https://github.com/signet-ci/signet-demo", GitCommit: localsigstore.DefaultSHA})
	default:
		bc, err = provenance.NewLocal(ctx, dir, "test")
	}
	if err != nil {
		t.Fatalf("%s build context: %v", preset, err)
	}
	now := time.Now().UTC()
	p, err := bc.Provenance(ctx, core.Run{StartedOn: now, FinishedOn: now})
	if err != nil {
		t.Fatalf("%s provenance: %v", preset, err)
	}
	return p
}

func editPredicate(t *testing.T, p core.Predicate, edit func(map[string]any)) *core.Predicate {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(p.JSON, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return &core.Predicate{Type: p.Type, JSON: b}
}

// at walks a decoded JSON document: keys for objects, ints for arrays.
func at(doc any, path ...any) map[string]any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			doc = doc.(map[string]any)[k]
		case int:
			doc = doc.([]any)[k]
		}
	}
	return doc.(map[string]any)
}

func writeFiles(t *testing.T, dir string, files map[string]string) []core.Subject {
	t.Helper()
	var refs []core.FileRef
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		writeFile(t, p, []byte(body))
		refs = append(refs, core.FileRef{Name: name, Path: p})
	}
	subjects, err := core.DigestFiles(context.Background(), refs, core.SHA256, 2)
	if err != nil {
		t.Fatal(err)
	}
	return subjects
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// editJSON rewrites a JSON file through edit.
func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readFile(t, path), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b)
}

// check verifies artifacts against a bundle source with a policy and the given verifier.
func check(t *testing.T, bv verify.BundleVerifier, p verify.Policy, src verify.Source, artifacts []core.Subject) *verify.Report {
	t.Helper()
	c, err := p.Compile()
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	v, err := verify.New(bv, c, src)
	if err != nil {
		t.Fatal(err)
	}
	r, err := v.Verify(context.Background(), artifacts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// strangerChain returns a leaf and its root CA, base64 DER, that nothing in the tests signs with.
func strangerChain(t *testing.T, name string) []any {
	t.Helper()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	valid := func(c *x509.Certificate) *x509.Certificate {
		c.NotBefore, c.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
		return c
	}
	root := valid(&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " root", Organization: []string{"stranger"}},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign})
	leaf := valid(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name, Organization: []string{"stranger"}},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping, x509.ExtKeyUsageCodeSigning}})
	rootDER, err := x509.CreateCertificate(rand.Reader, root, root, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, root, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString
	return []any{map[string]any{"rawBytes": enc(leafDER)}, map[string]any{"rawBytes": enc(rootDER)}}
}

// replaceAuthority returns a verifier whose trusted root swaps every certificate of one kind of
// authority ("certificateAuthorities" or "timestampAuthorities") for a stranger's CA.
func (f *fixture) replaceAuthority(t *testing.T, kind string) verify.BundleVerifier {
	t.Helper()
	var tr map[string]any
	if err := json.Unmarshal(f.trustedRoot, &tr); err != nil {
		t.Fatal(err)
	}
	auths, ok := tr[kind].([]any)
	if !ok || len(auths) == 0 {
		t.Fatalf("trusted root has no %s", kind)
	}
	chain := strangerChain(t, "stranger "+kind)
	if kind == "certificateAuthorities" {
		chain = chain[1:] // a CA's chain ends at its root; Fulcio's has no leaf
	}
	for _, a := range auths {
		at(a)["certChain"] = map[string]any{"certificates": chain}
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trusted_root.json")
	writeFile(t, path, b)
	mat, err := sigstore.LoadTrustedRoot(path)
	if err != nil {
		t.Fatalf("loading the edited trusted root: %v", err)
	}
	v, err := sigstore.NewVerifier(mat.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	return verify.Sigstore(v)
}

func (f *fixture) bundleVerifier(t *testing.T, opts ...sigstore.VerifyOption) verify.BundleVerifier {
	t.Helper()
	if len(opts) == 0 {
		return verify.Sigstore(f.verifier)
	}
	v, err := sigstore.NewVerifier(f.mat.TrustedRoot, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return verify.Sigstore(v)
}

func subjectRef(name, content string) core.Subject {
	return core.Subject{Name: name, Digest: map[string]string{core.SHA256: fmt.Sprintf("%x", sha256Sum(content))}}
}

func sha256Sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

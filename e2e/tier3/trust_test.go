//go:build tier3

package tier3

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/signet-ci/signet/internal/golden"
)

// File names signet's --sigstore DIR reads.
const (
	trustedRootFile   = "trusted_root.json"
	signingConfigFile = "signing_config.json"
)

// trust is the trust material of the running stack, as written to Dir.
type trust struct {
	Dir      string
	RekorID  []byte // Rekor v1 log ID: SHA-256 of the log's DER public key
	Issuers  map[string]string
	Services stack
}

// writeTrust fetches the stack's CA bundle, TSA chain and Rekor key and writes trusted_root.json
// and signing_config.json into a fresh directory.
func writeTrust(ctx context.Context, t testing.TB, s stack) trust {
	t.Helper()
	dir := t.TempDir()
	tr, rekorID, err := trustedRoot(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := signingConfig(s, time.Now().Add(-time.Minute).Truncate(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]json.Marshaler{trustedRootFile: tr, signingConfigFile: sc} {
		b, err := v.MarshalJSON()
		if err != nil {
			t.Fatalf("encoding %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return trust{Dir: dir, RekorID: rekorID, Services: s, Issuers: map[string]string{
		"email": s.OIDC + "/oidc/email", "github": s.OIDC + "/oidc/github", "gitlab": s.OIDC + "/oidc/gitlab",
	}}
}

// trustedRoot builds the trusted root of the stack: Fulcio's CA, the TSA, Rekor v1; no CT log.
func trustedRoot(ctx context.Context, s stack) (*root.TrustedRoot, []byte, error) {
	ca, err := fulcioAuthority(ctx, s.Fulcio)
	if err != nil {
		return nil, nil, err
	}
	tsa, err := timestampAuthority(ctx, s.TSA)
	if err != nil {
		return nil, nil, err
	}
	tlog, err := rekorLog(ctx, s.Rekor)
	if err != nil {
		return nil, nil, err
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{ca}, nil, []root.TimestampingAuthority{tsa},
		map[string]*root.TransparencyLog{fmt.Sprintf("%x", tlog.ID): tlog})
	if err != nil {
		return nil, nil, fmt.Errorf("assembling the trusted root: %w", err)
	}
	return tr, tlog.ID, nil
}

// fulcioAuthority reads GET /api/v2/trustBundle: one chain, intermediates first, root last.
func fulcioAuthority(ctx context.Context, base string) (*root.FulcioCertificateAuthority, error) {
	url := base + "/api/v2/trustBundle"
	body, err := call(ctx, "fulcio", "GET", url, nil)
	if err != nil {
		return nil, err
	}
	var bundle struct {
		Chains []struct {
			Certificates []string `json:"certificates"`
		} `json:"chains"`
	}
	if err := json.Unmarshal(body, &bundle); err != nil {
		return nil, fmt.Errorf("fulcio GET %s: expected a JSON trust bundle: %w", url, err)
	}
	if len(bundle.Chains) != 1 {
		return nil, fmt.Errorf("fulcio GET %s: %d chains, expected 1 (one ephemeral CA)", url, len(bundle.Chains))
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(strings.Join(bundle.Chains[0].Certificates, "\n")))
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("fulcio GET %s: expected PEM certificates: %v", url, err)
	}
	rootCert := certs[len(certs)-1]
	return &root.FulcioCertificateAuthority{
		Root: rootCert, Intermediates: certs[:len(certs)-1], ValidityPeriodStart: rootCert.NotBefore, URI: base,
	}, nil
}

// timestampAuthority reads GET /api/v1/timestamp/certchain: leaf first, root last.
func timestampAuthority(ctx context.Context, base string) (*root.SigstoreTimestampingAuthority, error) {
	url := base + "/api/v1/timestamp/certchain"
	body, err := call(ctx, "timestamp-server", "GET", url, nil)
	if err != nil {
		return nil, err
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(body)
	if err != nil || len(certs) < 2 {
		return nil, fmt.Errorf("timestamp-server GET %s: expected a PEM chain of leaf..root, got %d certificates: %v", url, len(certs), err)
	}
	rootCert := certs[len(certs)-1]
	return &root.SigstoreTimestampingAuthority{
		Leaf: certs[0], Intermediates: certs[1 : len(certs)-1], Root: rootCert,
		ValidityPeriodStart: rootCert.NotBefore, URI: base,
	}, nil
}

// rekorLog reads GET /api/v1/log/publicKey; the log ID is the SHA-256 of the DER key.
func rekorLog(ctx context.Context, base string) (*root.TransparencyLog, error) {
	url := base + "/api/v1/log/publicKey"
	body, err := call(ctx, "rekor", "GET", url, nil)
	if err != nil {
		return nil, err
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(body)
	if err != nil {
		return nil, fmt.Errorf("rekor GET %s: expected a PEM public key: %w", url, err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("rekor GET %s: encoding the key: %w", url, err)
	}
	id := sha256.Sum256(der)
	return &root.TransparencyLog{
		BaseURL: base, ID: id[:], HashFunc: crypto.SHA256, PublicKey: pub, SignatureHashFunc: crypto.SHA256,
		ValidityPeriodStart: time.Now().Add(-time.Hour).Truncate(time.Second),
	}, nil
}

// signingConfig lists the stack's services: Fulcio, the three OIDC issuers, Rekor v1 and the TSA.
func signingConfig(s stack, start time.Time) (*root.SigningConfig, error) {
	svc := func(url string) root.Service {
		return root.Service{URL: url, MajorAPIVersion: 1, ValidityPeriodStart: start, Operator: "signet-tier3"}
	}
	var oidc []root.Service
	for _, p := range []string{"email", "github", "gitlab"} {
		oidc = append(oidc, svc(s.OIDC+"/oidc/"+p))
	}
	pickAny := root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY}
	sc, err := root.NewSigningConfig(root.SigningConfigMediaType02,
		[]root.Service{svc(s.Fulcio)}, oidc, []root.Service{svc(s.Rekor)}, pickAny,
		[]root.Service{svc(s.TSA + "/api/v1/timestamp")}, pickAny)
	if err != nil {
		return nil, fmt.Errorf("assembling the signing config: %w", err)
	}
	return sc, nil
}

// TestTrustMaterial checks that the trust material built from the live services loads back with
// sigstore-go and names exactly the stack, and that the signing config keeps its golden shape.
func TestTrustMaterial(t *testing.T) {
	t.Parallel()
	s := loadStack(t)
	tr := writeTrust(t.Context(), t, s)

	loaded, err := root.NewTrustedRootFromPath(filepath.Join(tr.Dir, trustedRootFile))
	if err != nil {
		t.Fatalf("sigstore-go cannot load the trusted root it wrote: %v", err)
	}
	got := map[string]int{
		"certificate authorities": len(loaded.FulcioCertificateAuthorities()),
		"timestamp authorities":   len(loaded.TimestampingAuthorities()),
		"transparency logs":       len(loaded.RekorLogs()),
		"CT logs":                 len(loaded.CTLogs()),
	}
	want := map[string]int{"certificate authorities": 1, "timestamp authorities": 1, "transparency logs": 1, "CT logs": 0}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("trusted root contents (-want +got):\n%s", d)
	}
	if l, ok := loaded.RekorLogs()[fmt.Sprintf("%x", tr.RekorID)]; !ok || l.BaseURL != s.Rekor {
		t.Errorf("trusted root has no Rekor log %x at %s", tr.RekorID, s.Rekor)
	}

	if _, err := root.NewSigningConfigFromPath(filepath.Join(tr.Dir, signingConfigFile)); err != nil {
		t.Fatalf("sigstore-go cannot load the signing config it wrote: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(tr.Dir, signingConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "signing_config.golden.json"), normalizeSigningConfig(t, raw, s))
}

// normalizeSigningConfig replaces the stack's URLs and the validity start with placeholders.
func normalizeSigningConfig(t testing.TB, raw []byte, s stack) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("signing config is not JSON: %v", err)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(s.OIDC, "$OIDC", s.Fulcio, "$FULCIO", s.Rekor, "$REKOR", s.TSA, "$TSA").Replace(string(out))
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, `"start":`) {
			l = l[:strings.Index(l, `"start":`)] + `"start": "$START"`
		}
		lines = append(lines, l)
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

package provenance

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"
	"github.com/signet-ci/signet/core"
	fulcioconfig "github.com/sigstore/fulcio/pkg/config"
	"github.com/sigstore/fulcio/pkg/identity"
	"github.com/sigstore/fulcio/pkg/identity/ciprovider"
	"github.com/sigstore/fulcio/pkg/identity/kubernetes"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"go.yaml.in/yaml/v3"
)

// fulcioCA issues certificates the way Fulcio's server does: the principal Fulcio's own
// identity packages derive from the token embeds the SAN and extensions, then a CA signs.
type fulcioCA struct {
	cfg  *fulcioconfig.FulcioConfig
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newFulcioCA(t *testing.T) *fulcioCA {
	t.Helper()
	b, err := os.ReadFile("testdata/fulcio/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Decoded without fulcioconfig.Read, whose prepare step contacts every public issuer; the
	// principals only need the issuer table and the CI templates.
	cfg := &fulcioconfig.FulcioConfig{}
	if err := yaml.Unmarshal(b, cfg); err != nil {
		t.Fatalf("Fulcio config: %v", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test fulcio"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: tokenNow.Add(-time.Hour), NotAfter: tokenNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &fulcioCA{cfg: cfg, key: key, cert: ca}
}

// issue verifies the token with go-oidc as Fulcio does, picks Fulcio's principal for the
// platform, and returns the parsed certificate's summary.
func (f *fulcioCA) issue(t *testing.T, ti *testIssuer, token string, p Platform) certificate.Summary {
	t.Helper()
	ctx := fulcioconfig.With(context.Background(), f.cfg)
	idt, err := oidc.NewVerifier("", &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&ti.key.PublicKey}},
		&oidc.Config{ClientID: "sigstore", SkipIssuerCheck: true, Now: func() time.Time { return tokenNow }}).Verify(ctx, token)
	if err != nil {
		t.Fatalf("go-oidc: %v", err)
	}
	var principal identity.Principal
	if p == Tekton {
		principal, err = kubernetes.PrincipalFromIDToken(ctx, idt)
	} else {
		principal, err = ciprovider.WorkflowPrincipalFromIDToken(ctx, idt)
	}
	if err != nil {
		t.Fatalf("Fulcio principal: %v", err)
	}
	leaf, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: tokenNow, NotAfter: tokenNow.Add(10 * time.Minute),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
	if err := principal.Embed(ctx, tmpl); err != nil {
		t.Fatalf("Fulcio Embed: %v", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.cert, &leaf.PublicKey, f.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestPredicatesMatchFulcioCertificates issues, for every CI and Tekton fixture, the
// certificate Fulcio's own code builds from the token, and checks that ExpectedExtensions
// predicts its extensions exactly and that the predicate's source repository, commit, ref,
// builder and invocation equal what the certificate says.
func TestPredicatesMatchFulcioCertificates(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	ca := newFulcioCA(t)
	for _, g := range loadFixtures(t) {
		if g.platform == Local || g.fx.WantErr != "" {
			continue
		}
		t.Run(string(g.platform)+"/"+g.name, func(t *testing.T) {
			t.Parallel()
			raw := map[string]any{"aud": "sigstore", "iat": tokenNow.Unix(), "exp": tokenNow.Add(5 * time.Minute).Unix()}
			for k, v := range g.fx.Claims {
				raw[k] = v
			}
			token := ti.sign(t, raw)
			sum := ca.issue(t, ti, token, g.platform)
			claims := verifiedClaims(t, ti, g.fx.Claims)
			if diff := cmp.Diff(sum.Extensions, ExpectedExtensions(claims)); diff != "" {
				t.Errorf("ExpectedExtensions differs from Fulcio's certificate (-fulcio +expected):\n%s", diff)
			}
			bc, err := buildContext(t, g, claims)
			if err != nil {
				t.Fatal(err)
			}
			pred, err := bc.Provenance(t.Context(), core.Run{})
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckConsistency(pred, sum.Extensions); err != nil {
				t.Errorf("CheckConsistency with Fulcio's certificate: %v", err)
			}
			assertFactsMatchCertificate(t, g.platform, pred, sum)
		})
	}
}

func assertFactsMatchCertificate(t *testing.T, p Platform, pred core.Predicate, sum certificate.Summary) {
	t.Helper()
	f, err := predicateFacts(pred.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if f.BuilderID != sum.SubjectAlternativeName {
		t.Errorf("builder id %q, certificate SAN %q", f.BuilderID, sum.SubjectAlternativeName)
	}
	if p == Tekton {
		return // Kubernetes certificates carry no source or run extensions
	}
	got := []string{f.SourceRepo, f.Commit, f.Ref, f.BuilderID, f.InvocationID}
	want := []string{sum.SourceRepositoryURI, sum.SourceRepositoryDigest, sum.SourceRepositoryRef, sum.BuildSignerURI, sum.RunInvocationURI}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("predicate [repo commit ref builder invocation] differ from the certificate (-cert +predicate):\n%s", diff)
	}
}

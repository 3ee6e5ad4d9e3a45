package verify_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// TestSHA512Run attests files with --digest-algorithm sha512 and verifies them as signet
// verify does (files digested with sha256 first): unchanged files pass through the index,
// the directory and the bundle file; a changed file is "modified"; a digest given with
// another algorithm than the statement's is a digest algorithm mismatch, not a modification.
func TestSHA512Run(t *testing.T) {
	t.Parallel()
	f := local(t)
	r := attestFiles(t, 3, core.SHA512)
	ix, err := verify.ReadIndex(r.index)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ix.Subjects {
		if len(s.Digest) != 1 || s.Digest[core.SHA512] == "" {
			t.Fatalf("subject %s digests %v, want sha512 only", s.Name, s.Digest)
		}
	}
	bundle := filepath.Join(filepath.Dir(r.index), ix.Attestations[0].Bundle)
	bv, c := verify.Sigstore(f.verifier), githubDemoPolicy(t)
	sources := map[string]func(t *testing.T) verify.Source{
		"index": func(t *testing.T) verify.Source {
			s, err := verify.OpenIndex(r.index)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"directory": func(t *testing.T) verify.Source {
			s, err := verify.OpenDir(filepath.Dir(r.index))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"bundle file": func(*testing.T) verify.Source { return verify.Files{bundle} },
	}
	ctx := context.Background()
	sha256Of := func(name string) string {
		s := sha256.Sum256(readFile(t, filepath.Join(r.dir, name)))
		return fmt.Sprintf("%x", s)
	}
	t.Run("as signed", func(t *testing.T) {
		for name, src := range sources {
			t.Run(name+"/unchanged", func(t *testing.T) {
				t.Parallel()
				arts, err := verify.Artifacts(ctx, r.dir, r.names, nil)
				if err != nil {
					t.Fatal(err)
				}
				rep := runVerify(t, bv, c, src(t), arts)
				if !rep.Verified || rep.Summary.Verified != 3 {
					t.Fatalf("verified %d of 3: %v", rep.Summary.Verified, failures(rep))
				}
			})
			t.Run(name+"/sha256 digest given", func(t *testing.T) {
				t.Parallel()
				ref := r.names[1] + "@sha256:" + sha256Of(r.names[1])
				arts, err := verify.Artifacts(ctx, t.TempDir(), []string{ref}, nil)
				if err != nil {
					t.Fatal(err)
				}
				rep := runVerify(t, bv, c, src(t), arts)
				want := "digest algorithm mismatch: statement has sha512, artifact digested with sha256"
				if rep.Verified || len(failures(rep)) != 1 || !strings.Contains(failures(rep)[0], want) {
					t.Fatalf("failures %v, want one saying %q", failures(rep), want)
				}
				if strings.Contains(failures(rep)[0], "modified") {
					t.Errorf("an algorithm mismatch is reported as a modification: %s", failures(rep)[0])
				}
			})
			t.Run(name+"/sha512 digest given", func(t *testing.T) {
				t.Parallel()
				ref := r.names[2] + "@sha512:" + ix.Subjects[2].Digest[core.SHA512]
				if ix.Subjects[2].Name != r.names[2] {
					t.Fatalf("index subject 2 is %s, not %s", ix.Subjects[2].Name, r.names[2])
				}
				arts, err := verify.Artifacts(ctx, t.TempDir(), []string{ref}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if rep := runVerify(t, bv, c, src(t), arts); !rep.Verified {
					t.Fatalf("sha512 digest: %v", failures(rep))
				}
			})
		}
	})
	// After the parallel group: one file changed after signing.
	t.Run("modified", func(t *testing.T) {
		writeFile(t, filepath.Join(r.dir, r.names[0]), []byte("evil"))
		for name, src := range sources {
			arts, err := verify.Artifacts(ctx, r.dir, r.names, nil)
			if err != nil {
				t.Fatal(err)
			}
			rep := runVerify(t, bv, c, src(t), arts)
			fs := failures(rep)
			if rep.Summary.Failed != 1 || !strings.Contains(fs[0], "modified or replaced after signing") ||
				!strings.Contains(fs[0], `expected "sha512:`+ix.Subjects[0].Digest[core.SHA512]) {
				t.Errorf("%s: failures %v, want %s modified against its signed sha512", name, fs, r.names[0])
			}
		}
	})
}

func runVerify(t *testing.T, bv verify.BundleVerifier, c *verify.Compiled, src verify.Source, arts []core.Subject) *verify.Report {
	t.Helper()
	v, err := verify.New(bv, c, src)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Verify(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// ownSigstore starts a local Sigstore whose state directory the test knows, so that the
// test can use its timestamp authority's key.
func ownSigstore(t *testing.T) (*fixture, string) {
	t.Helper()
	state := t.TempDir()
	ls, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(state))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { ls.Close() })
	mat, err := sigstore.ParseMaterial(ls.TrustedRoot(), ls.SigningConfig())
	if err != nil {
		t.Fatal(err)
	}
	v, err := sigstore.NewVerifier(mat.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{ls: ls, mat: mat, trustedRoot: ls.TrustedRoot(), verifier: v}, state
}

// retimestamp replaces the bundle's RFC 3161 timestamp by one the local timestamp authority's
// own key and certificate sign for the same signature at time at, built by the same
// digitorus/timestamp code its server runs. The local authority has no clock to set, so this
// is how a timestamp obtained at another time (after the certificate expired) is made.
func retimestamp(t *testing.T, state, bundlePath string, when time.Time) {
	t.Helper()
	keyPEM := readFile(t, filepath.Join(state, "tsa", "key.pem"))
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		t.Fatal("the timestamp authority's key is not PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var chain []*x509.Certificate
	for rest := readFile(t, filepath.Join(state, "tsa", "chain.pem")); ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		t.Fatal("no timestamp authority certificate")
	}
	editJSON(t, bundlePath, func(b map[string]any) {
		sig, err := base64.StdEncoding.DecodeString(at(b, "dsseEnvelope", "signatures", 0)["sig"].(string))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(sig)
		ts := timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: h[:], Time: when.UTC(), Nonce: big.NewInt(time.Now().UnixNano()),
			Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}, Accuracy: time.Second, AddTSACertificate: true, Certificates: chain[1:]}
		resp, err := ts.CreateResponseWithOpts(chain[0], key.(crypto.Signer), crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		at(b, "verificationMaterial", "timestampVerificationData", "rfc3161Timestamps", 0)["signedTimestamp"] = base64.StdEncoding.EncodeToString(resp)
	})
}

// TestTimestampOutsideCertificateValidity signs a bundle through the local Fulcio and TSA and
// re-timestamps its signature with the TSA's key after the certificate expired, and before it
// was issued: the failure is the timestamp, named with its time and the validity, not a chain
// failure. A timestamp inside the validity, made the same way, verifies.
func TestTimestampOutsideCertificateValidity(t *testing.T) {
	t.Parallel()
	f, state := ownSigstore(t)
	for _, tt := range []struct {
		name string
		when func(c *x509.Certificate) time.Time
		want []string // empty: verifies
	}{
		{"inside the validity", func(c *x509.Certificate) time.Time { return c.NotBefore.Add(time.Minute) }, nil},
		{"after the certificate expired", func(c *x509.Certificate) time.Time { return c.NotAfter.Add(time.Hour) },
			[]string{"timestamp: signed timestamp ", "is outside the certificate's validity", "timestamped after the certificate expired"}},
		{"a second after it expired", func(c *x509.Certificate) time.Time { return c.NotAfter.Add(time.Second) },
			[]string{"is outside the certificate's validity", "after the certificate expired"}},
		{"before the certificate was issued", func(c *x509.Certificate) time.Time { return c.NotBefore.Add(-time.Minute) },
			[]string{"is outside the certificate's validity", "before the certificate was issued"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.sign(t, localsigstore.PresetGitHub, signOpts{})
			info, err := verify.ParseBundle(readFile(t, r.bundle))
			if err != nil {
				t.Fatal(err)
			}
			when := tt.when(info.Certificate).Truncate(time.Second)
			retimestamp(t, state, r.bundle, when)
			policy := verify.Policy{Identity: verify.Identity{Issuer: f.ls.Issuer(localsigstore.PresetGitHub), Shorthands: verify.Shorthands{GitHub: demoRepo}}}
			rep := check(t, verify.Sigstore(f.verifier), policy, verify.Files{r.bundle}, r.artifacts)
			fs := failures(rep)
			if len(tt.want) == 0 {
				if !rep.Verified {
					t.Fatalf("a timestamp inside the validity: %v", fs)
				}
				if got := rep.Artifacts[0].SignedAt(); !got.Equal(when) {
					t.Errorf("signed at %v, want the new timestamp %v", got, when)
				}
				return
			}
			if rep.Summary.Failed != len(r.artifacts) {
				t.Fatalf("%d of %d failed: %v", rep.Summary.Failed, len(r.artifacts), fs)
			}
			for _, got := range fs {
				for _, w := range append(tt.want, when.UTC().Format(time.RFC3339), info.Certificate.NotAfter.UTC().Format(time.RFC3339)) {
					if !strings.Contains(got, w) {
						t.Errorf("failure %q does not say %q", got, w)
					}
				}
				if strings.Contains(got, "does not chain") {
					t.Errorf("a time outside the validity is reported as a chain failure: %s", got)
				}
			}
		})
	}
}

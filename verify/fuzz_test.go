package verify

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseBundle feeds the bundle reader arbitrary bytes: it must never panic, and what it
// accepts must be a bundle (v0.1 to v0.3) whose statement, or message digest, it can describe.
//
//	go test ./verify -run '^$' -fuzz FuzzParseBundle -fuzztime 30s
func FuzzParseBundle(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "release", "attestations", "provenance.sigstore.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"k"},` +
		`"tlogEntries":[{"logIndex":"x"}]},"dsseEnvelope":{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}}`))
	f.Add([]byte("null"))
	for _, c := range []string{"happy-path-v0.1", "happy-path-v0.3", "rekor2-happy-path", "managed-key-happy-path", "intoto-with-custom-trust-root"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "conformance", "bundle-verify", c, "bundle.sigstore.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ParseBundle(b)
		if err != nil {
			if !errors.Is(err, ErrNotBundle) {
				t.Fatalf("error %v does not wrap ErrNotBundle", err)
			}
			return
		}
		if info.Certificate == nil && info.KeyHint == "" && info.Summary != nil {
			t.Fatal("a summary without a certificate")
		}
		if info.IsMessage() && (info.PredicateType != "" || len(info.Subjects) != 0 || info.MessageDigest.Hex == "") {
			t.Fatalf("a message signature with a statement or without a digest: %+v", info)
		}
		_ = info.Names(map[string]string{"sha256": "00"})
		if _, err := json.Marshal(inspectionOf(t, info)); err != nil {
			t.Fatal(err)
		}
	})
}

func inspectionOf(t *testing.T, info *BundleInfo) *Inspection {
	t.Helper()
	return &Inspection{PredicateType: info.PredicateType, Subjects: info.Subjects, LogEntries: info.TlogEntries,
		SBOM: sbomSummary(info.PredicateType, info.Statement)}
}

// FuzzParsePolicy feeds the policy reader arbitrary documents: it must never panic, every
// error must wrap ErrInvalidPolicy, and an accepted policy must compile or fail closed.
//
//	go test ./verify -run '^$' -fuzz FuzzParsePolicy -fuzztime 30s
func FuzzParsePolicy(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "policies", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed policies: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("identity: {github: a/b, gitlab: c/d}\n"))
	f.Add([]byte("identity:\n  sourceRef: '['\n"))
	f.Add([]byte("version: 2\n"))
	f.Add([]byte("{\"identity\": {\"issuerRegexp\": \"(\"}}"))
	f.Add([]byte("identity: [1, 2]\n"))
	f.Add([]byte("identity:\n  sourceRef: refs/tags/v*\n  sourceref: main\n"))
	f.Add([]byte("{\"identity\": {\"github\": \"o/r\", \"github\": \"o/evil\"}}"))
	f.Add([]byte("identity:\n  issuer: https://i.example\n  signerWorkflow: o/r/.github/workflows/x.yml@refs/tags/v*\n"))
	f.Add([]byte("identity:\n  issuerRegexp: '^https://i\\.example/.*$'\n  identityRegexp: '^a|b$'\n"))
	f.Add([]byte("x: &a {github: o/r}\nidentity: *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			var pe *PolicyError
			if !errors.Is(err, ErrInvalidPolicy) || !errors.As(err, &pe) {
				t.Fatalf("error %v does not wrap ErrInvalidPolicy", err)
			}
			return
		}
		c, err := p.Compile()
		if err != nil {
			if !errors.Is(err, ErrNoIdentityPolicy) && !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("an accepted policy fails to compile with %v", err)
			}
			return
		}
		// A compiled policy pins an issuer and an identity the certificate binds.
		id := c.Policy.Identity
		if id.Issuer == "" && c.issuer == nil {
			t.Fatalf("compiled without an issuer: %+v", id)
		}
		if id.Subject == "" && c.subject == nil && c.repo == "" && !c.signer.bindsRepository() {
			t.Fatalf("compiled without a bound identity: %+v", id)
		}
	})
}

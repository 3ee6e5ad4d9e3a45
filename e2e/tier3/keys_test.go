//go:build tier3

package tier3

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature/kms/aws"

	"github.com/signet-ci/signet/core"
)

// awsSecret is the secret key given to signet and cosign; no output may show it.
const awsSecret = "tier3-SECRET-a8f1c07e55d2"

// kmsEnv is the environment that points the AWS SDK (in signet and in cosign alike) at the
// stack's local-kms on loopback, with test credentials and without the EC2 metadata service.
func kmsEnv(url string) []string {
	return []string{
		"AWS_ENDPOINT_URL_KMS=" + url, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=AKIDSIGNETTIER3", "AWS_SECRET_ACCESS_KEY=" + awsSecret,
	}
}

// kmsURL is the stack's local-kms, named by scripts/tier3.sh.
func kmsURL(t *testing.T) string {
	t.Helper()
	u := strings.TrimRight(os.Getenv("SIGNET_TIER3_KMS_URL"), "/")
	if u == "" {
		t.Fatal("tier-3 KMS tests need SIGNET_TIER3_KMS_URL: run scripts/tier3.sh, which starts local-kms")
	}
	return u
}

// createKMSKey creates a key of spec (ECC_NIST_P256, ECC_NIST_P384, ...) under a fresh alias in
// local-kms through sigstore's own AWS KMS module, and returns its reference and public key.
func createKMSKey(ctx context.Context, t *testing.T, url, spec string) (string, crypto.PublicKey) {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	ref := "awskms:///alias/signet-" + strings.ToLower(spec) + "-" + hex.EncodeToString(b)
	sv, err := aws.LoadSignerVerifier(ctx, ref, awsconfig.WithRegion("us-east-1"), awsconfig.WithBaseEndpoint(url),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDSIGNETTIER3", awsSecret, "")))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sv.CreateKey(ctx, spec)
	if err != nil {
		t.Fatalf("creating a %s key in local-kms: %v", spec, err)
	}
	return ref, pub
}

// writePublicKey writes pub as a PEM file and returns its path.
func writePublicKey(t *testing.T, dir string, pub crypto.PublicKey) string {
	t.Helper()
	pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "release.pub")
	writeFile(t, path, pemBytes)
	return path
}

// writeTrustedKeysFile writes a trusted_keys.json listing pub from start to end (zero: open).
func writeTrustedKeysFile(t *testing.T, pub crypto.PublicKey, start, end time.Time) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	vf := map[string]string{"start": start.UTC().Format(time.RFC3339)}
	if !end.IsZero() {
		vf["end"] = end.UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(map[string]any{"mediaType": "application/vnd.dev.signet.trustedkeys+json;version=0.1",
		"keys": []any{map[string]any{"name": "kms-release", "publicKey": map[string]any{
			"rawBytes": base64.StdEncoding.EncodeToString(der), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": vf}}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trusted_keys.json")
	writeFile(t, path, b)
	return path
}

// provenanceBundle returns the path of the run's provenance bundle, from its index.
func provenanceBundle(t *testing.T, out string) string {
	t.Helper()
	ix, err := core.ReadIndex(filepath.Join(out, core.IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ix.Attestations {
		if a.PredicateType == slsaProvenance {
			if len(a.Timestamps) != 1 || a.LogEntry != nil {
				t.Errorf("%s: %d timestamps, log entry %v; a key-signed bundle has one TSA timestamp and no log entry", a.Bundle, len(a.Timestamps), a.LogEntry)
			}
			return filepath.Join(out, a.Bundle)
		}
	}
	t.Fatalf("%s: no provenance bundle in the index", out)
	return ""
}

// cosignVerifyKey runs cosign verify-blob-attestation on a key-signed bundle: the key (a PEM
// file or a KMS reference cosign resolves itself), the stack's TSA through the trusted root,
// no transparency log (key-signed bundles are timestamped only).
func cosignVerifyKey(ctx context.Context, t *testing.T, tr trust, env []string, key, bundlePath, artifact string) result {
	t.Helper()
	r := run(ctx, t, filepath.Dir(artifact), env, tr.Services.Cosign, "verify-blob-attestation",
		"--key", key, "--bundle", bundlePath, "--trusted-root", filepath.Join(tr.Dir, trustedRootFile),
		"--use-signed-timestamps", "--insecure-ignore-tlog", "--type", slsaProvenance, artifact)
	if r.Err == nil && !strings.Contains(r.Stderr+r.Stdout, "Verified OK") {
		r.Err = errors.New("cosign exited 0 without printing \"Verified OK\"")
	}
	return r
}

// mustNotShow fails when any output shows secret.
func (r result) mustNotShow(t *testing.T, what, secret string) {
	t.Helper()
	if strings.Contains(r.Stdout+r.Stderr, secret) {
		t.Fatalf("%s printed a secret:\nstdout:\n%s\nstderr:\n%s", what, r.Stdout, r.Stderr)
	}
}

// TestKMSSignVerifyCosign signs with a P-256 key that stays in a real KMS emulator (local-kms,
// built from the module proxy, on loopback), timestamped by the stack's TSA, and verifies the
// bundles with signet (the key fetched from the KMS, and as a PEM file) and with cosign v3.1.3
// (the same two ways); both reject a modified artifact. Then it attacks the --key reference.
func TestKMSSignVerifyCosign(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := loadStack(t)
	url := kmsURL(t)
	tr := writeTrust(ctx, t, s)
	env := kmsEnv(url)
	ref, pub := createKMSKey(ctx, t, url, "ECC_NIST_P256")
	work, names := writeArtifacts(t)
	out := filepath.Join(work, "attestations")

	att := run(ctx, t, work, env, s.Signet, "attest", "--sigstore", tr.Dir, "--key", ref, "--output-dir", out, "--format", "json", names[0], names[1])
	att.mustSucceed(t, "signet attest --key "+ref)
	att.mustNotShow(t, "signet attest", awsSecret)
	prov := provenanceBundle(t, out)
	pubFile := writePublicKey(t, work, pub)

	verify := func(key string, files ...string) result {
		args := append([]string{"verify", "--sigstore", tr.Dir, "--public-key", key, "--index", filepath.Join(out, core.IndexFile)}, files...)
		return run(ctx, t, work, env, s.Signet, args...)
	}
	verify(ref, names...).mustSucceed(t, "signet verify --public-key "+ref)
	verify(pubFile, names...).mustSucceed(t, "signet verify --public-key release.pub")
	cosignVerifyKey(ctx, t, tr, nil, pubFile, prov, filepath.Join(work, names[0])).mustSucceed(t, "cosign verify-blob-attestation --key release.pub")
	cosignVerifyKey(ctx, t, tr, env, ref, prov, filepath.Join(work, names[0])).mustSucceed(t, "cosign verify-blob-attestation --key "+ref)

	// Rotation: the upstream TSA's timestamp must fall inside the key's window.
	now := time.Now()
	for _, tc := range []struct {
		name       string
		start, end time.Time
		want       string // "" passes
	}{
		{"open window", now.Add(-time.Hour), time.Time{}, ""},
		{"closed window", now.Add(-time.Hour), now.Add(-10 * time.Minute), "it was signed after the window closed"},
		{"future window", now.Add(time.Hour), time.Time{}, "it was signed before the window opened"},
	} {
		tk := writeTrustedKeysFile(t, pub, tc.start, tc.end)
		r := run(ctx, t, work, nil, s.Signet, "verify", "--sigstore", tr.Dir, "--trusted-keys", tk, "--index", filepath.Join(out, core.IndexFile), names[0])
		if tc.want == "" {
			r.mustSucceed(t, "signet verify --trusted-keys ("+tc.name+")")
		} else {
			r.mustFail(t, "signet verify --trusted-keys ("+tc.name+")", tc.want)
		}
	}

	// Another KMS key of the right curve is not the signer.
	otherRef, _ := createKMSKey(ctx, t, url, "ECC_NIST_P256")
	verify(otherRef, names...).mustFail(t, "signet verify with another KMS key", "2 of 2 artifact(s) rejected")

	tamper(t, filepath.Join(work, names[0]))
	verify(ref, names...).mustFail(t, "signet verify of a modified artifact", "1 of 2 artifact(s) rejected")
	cosignVerifyKey(ctx, t, tr, nil, pubFile, prov, filepath.Join(work, names[0])).mustFail(t, "cosign verify-blob-attestation of a modified artifact",
		"provided artifact digests do not match digests in statement")

	// Attacks on the reference and the service.
	p384, _ := createKMSKey(ctx, t, url, "ECC_NIST_P384")
	writeFile(t, filepath.Join(work, "awskms:alias", "x"), []byte("not a key"))
	noCreds := []string{"AWS_ENDPOINT_URL_KMS=" + url, "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"}
	dead := kmsEnv("http://127.0.0.1:9") // discard port: nothing answers
	for _, tc := range []struct {
		name string
		env  []string
		key  string
		want string
	}{
		{"P-384 key", env, p384, "ECDSA curve P-384: expected P-256"},
		{"upper-case scheme", env, strings.Replace(ref, "awskms", "AWSKMS", 1), `scheme "AWSKMS" must be written in lowercase`},
		{"one slash", env, strings.Replace(ref, "awskms:///", "awskms:/", 1), "is not a valid AWS KMS reference"},
		{"a file named like a scheme", env, "awskms:alias/x", "for a file of that name write ./awskms:"},
		{"unknown scheme", env, "awskms2:///alias/x", `unknown scheme "awskms2:"`},
		{"no such alias", env, "awskms:///alias/signet-missing", "NotFoundException"},
		{"missing credentials", noCreds, ref, "AWS KMS " + ref + ": fetching the public key"},
		{"no KMS answers", dead, ref, "AWS KMS " + ref + ": fetching the public key: failed after 3 attempt(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(ctx, t, work, tc.env, s.Signet, "attest", "--sigstore", tr.Dir, "--key", tc.key,
				"--output-dir", filepath.Join(t.TempDir(), "out"), names[1])
			r.mustFail(t, "signet attest --key "+tc.key, tc.want)
			if !strings.Contains(r.Stderr, "--key") {
				t.Errorf("the error does not name --key:\n%s", r.Stderr)
			}
			r.mustNotShow(t, "signet attest", awsSecret)
		})
	}
}

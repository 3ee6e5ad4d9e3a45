package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/signet-ci/signet/verify"
)

// conformanceDir holds the Sigstore client conformance suite's bundle-verify vectors
// (testdata/conformance/README.md says from which commit).
const conformanceDir = "../testdata/conformance"

// Defaults of the suite's harness (test/client.py) for cases without identity or issuer files.
const (
	conformanceIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	conformanceIssuer   = "https://token.actions.githubusercontent.com"
)

// conformanceExceptions are the valid vectors signet rejects by design, with the reason;
// docs/verify.md lists them too. Each must still be rejected, and by the check named.
var conformanceExceptions = map[string]struct{ check, reason string }{
	"happy-path-intoto-in-dsse-v3": {verify.CheckConsistency,
		"its SLSA provenance names source repository https://github.com/loosebazooka/aa-test; its certificate, https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon"},
	"rekor2-dsse-happy-path": {verify.CheckConsistency,
		"its SLSA provenance names builder id https://github.com/sigstore-conformance/rekor2-dsse-hashedrekord-regen; its certificate, the beacon's workflow"},
}

// conformanceInputRefusals are the _fail vectors whose own input, not the bundle, is invalid:
// signet refuses it before any bundle is read (exit 1, no report), with this message.
var conformanceInputRefusals = map[string]string{
	"managed-key-wrong-key_fail":                  "--public-key",                                       // a P-256 point not on the curve
	"trust-root-tlog-missing-validity-start_fail": "tlog missing public key validity period start time", // an invalid trusted root
}

// conformanceCase is one vector directory, read as the suite's harness reads it.
type conformanceCase struct {
	name, bundle, trustedRoot, key, artifact, identity, issuer string
}

func readConformanceCase(t *testing.T, dir string) conformanceCase {
	t.Helper()
	c := conformanceCase{name: filepath.Base(dir), bundle: filepath.Join(dir, "bundle.sigstore.json"),
		trustedRoot: filepath.Join(conformanceDir, "trusted_root.public-good.json"),
		artifact:    filepath.Join(conformanceDir, "bundle-verify", "a.txt"),
		identity:    conformanceIdentity, issuer: conformanceIssuer}
	exists := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	if exists("trusted_root.json") {
		c.trustedRoot = filepath.Join(dir, "trusted_root.json")
	}
	if exists("key.pub") {
		c.key = filepath.Join(dir, "key.pub")
	}
	if exists("artifact") {
		c.artifact = filepath.Join(dir, "artifact")
	}
	for name, dst := range map[string]*string{"identity": &c.identity, "issuer": &c.issuer} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			*dst = strings.TrimSpace(string(b))
		}
	}
	return c
}

// args is the signet verify command line that mirrors the suite's verify-bundle call: a key
// when the case has one, else the identity and issuer; the artifact file, or its digest.
func (c conformanceCase) args(t *testing.T, byDigest bool) []string {
	t.Helper()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	args := []string{"verify", "--format", "json", "--bundle", abs(c.bundle), "--trusted-root", abs(c.trustedRoot)}
	if c.key != "" {
		args = append(args, "--public-key", abs(c.key))
	} else {
		args = append(args, "--certificate-identity", c.identity, "--certificate-oidc-issuer", c.issuer)
	}
	if !byDigest {
		return append(args, abs(c.artifact))
	}
	b, err := os.ReadFile(c.artifact)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return append(args, "--digest", "sha256:"+hex.EncodeToString(sum[:]))
}

// TestVerifyConformance runs every bundle-verify vector of the Sigstore conformance suite
// through signet verify, with the artifact file and with its digest, as the suite does: every
// _fail case must be rejected and every other case accepted, except the by-design exceptions,
// which must be rejected by the check their reason names.
func TestVerifyConformance(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(filepath.Join(conformanceDir, "bundle-verify"))
	if err != nil {
		t.Fatal(err)
	}
	var cases, runs, agreements, exceptions, wantFail int
	seen := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c := readConformanceCase(t, filepath.Join(conformanceDir, "bundle-verify", e.Name()))
		cases++
		fail := strings.HasSuffix(c.name, "_fail")
		if fail {
			wantFail++
		}
		exc, isException := conformanceExceptions[c.name]
		seen[c.name] = isException
		for _, byDigest := range []bool{false, true} {
			runs++
			mode := map[bool]string{false: "artifact", true: "digest"}[byDigest]
			out, errOut, code := run(t, "", nil, c.args(t, byDigest)...)
			var rep verify.Report
			_ = json.Unmarshal([]byte(out), &rep) // a refusal before any bundle is read prints no report
			switch {
			case isException:
				if code == 0 || len(rep.Artifacts) != 1 || rep.Artifacts[0].Failure == nil || rep.Artifacts[0].Failure.Check != exc.check {
					t.Errorf("%s (%s): by-design exception must be rejected by the %q check: exit %d\n%s%s", c.name, mode, exc.check, code, out, errOut)
					continue
				}
				exceptions++
			case fail && code == 0:
				t.Errorf("%s (%s): FALSE ACCEPT: an invalid bundle verified\n%s", c.name, mode, out)
			case fail && conformanceInputRefusals[c.name] != "":
				if code != 1 || !strings.Contains(errOut, conformanceInputRefusals[c.name]) {
					t.Errorf("%s (%s): expected a refusal of its input naming %q: exit %d\n%s%s", c.name, mode, conformanceInputRefusals[c.name], code, out, errOut)
					continue
				}
				agreements++
				t.Logf("%s (%s): input refused: %s", c.name, mode, strings.TrimSpace(errOut))
			case fail && (code != 1 || len(rep.Artifacts) != 1 || rep.Artifacts[0].Failure == nil):
				t.Errorf("%s (%s): rejected by exit %d, not by a verification failure in the report\n%s%s", c.name, mode, code, out, errOut)
			case fail:
				agreements++
				t.Logf("%s (%s): rejected: %v", c.name, mode, rep.Artifacts[0].Failure)
			case !fail && code != 0:
				t.Errorf("%s (%s): valid bundle rejected: exit %d\n%s%s", c.name, mode, code, out, errOut)
			default:
				agreements++
			}
		}
	}
	for name := range conformanceExceptions {
		if _, ok := seen[name]; !ok {
			t.Errorf("exception %q names no vector", name)
		}
	}
	if cases != 70 || wantFail != 49 {
		t.Errorf("vendored vectors: %d cases, %d _fail; expected 70 and 49 (testdata/conformance/README.md)", cases, wantFail)
	}
	t.Logf("conformance: %d cases (%d _fail), %d runs (artifact and digest), %d agreements, %d by-design exceptions (%s)",
		cases, wantFail, runs, agreements, exceptions, strings.Join(slices.Sorted(maps.Keys(conformanceExceptions)), ", "))
	if agreements+exceptions != runs {
		t.Errorf("conformance: %d of %d runs disagree with the suite", runs-agreements-exceptions, runs)
	}
}

// TestVerifyMessageSignatureFlags verifies a real message-signature bundle (a conformance
// vector) with signet verify: it passes on its digest and signer and the report says it carries
// no provenance; every provenance requirement, by flag or policy file, is refused by name.
func TestVerifyMessageSignatureFlags(t *testing.T) {
	t.Parallel()
	c := readConformanceCase(t, filepath.Join(conformanceDir, "bundle-verify", "rekor2-happy-path"))
	base := c.args(t, false)[3:] // without --format json
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("version: 1\nprovenance:\n  buildType: https://example.com/*\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		extra []string
		code  int
		want  []string
	}{
		{name: "no provenance requirement", code: 0, want: []string{"PASS", "carries no provenance", "1 by a message signature"}},
		{name: "--builder-id", extra: []string{"--builder-id", "https://github.com/*"}, code: 1,
			want: []string{"FAIL", "so --builder-id cannot be checked", "carries no provenance"}},
		{name: "--type given", extra: []string{"--type", "https://slsa.dev/provenance/v1"}, code: 1, want: []string{"so --type cannot be checked"}},
		{name: "--build-type in --policy", extra: []string{"--policy", policy}, code: 1,
			want: []string{"so --build-type (provenance.buildType in --policy) cannot be checked"}},
		{name: "another identity", extra: []string{"--certificate-identity", c.identity + "x"}, code: 1, want: []string{"FAIL", "identity"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"verify"}, append(append([]string{}, base...), tc.extra...)...)
			out, errOut, code := run(t, "", nil, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("report lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestInspectMessageSignature shows what message-signature bundles of every version claim.
func TestInspectMessageSignature(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"happy-path-v0.1", "happy-path-v0.2", "happy-path-v0.3", "rekor2-happy-path", "managed-key-happy-path"} {
		p, err := filepath.Abs(filepath.Join(conformanceDir, "bundle-verify", name, "bundle.sigstore.json"))
		if err != nil {
			t.Fatal(err)
		}
		out, errOut, code := run(t, "", nil, "inspect", p)
		if code != 0 || !strings.Contains(out, "message signature: a signed artifact digest; it carries no provenance") ||
			!strings.Contains(out, "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf") {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, errOut)
		}
	}
}

// TestVerifyConformanceTampered attacks real bundles of other clients: each edit or misuse of a
// valid conformance vector must be rejected, by the check named.
func TestVerifyConformanceTampered(t *testing.T) {
	t.Parallel()
	otherDigest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		name, vector string
		edit         func(map[string]any)
		args         func(c conformanceCase, args []string) []string
		check, want  string
	}{
		{name: "v0.1 without its log entry", vector: "happy-path-v0.1",
			edit:  func(b map[string]any) { delete(b["verificationMaterial"].(map[string]any), "tlogEntries") },
			check: verify.CheckBundle, want: "v0.1 must carry a transparency-log entry"},
		{name: "message signature for another digest", vector: "rekor2-happy-path",
			args: func(c conformanceCase, args []string) []string {
				return append(args[:len(args)-1], "--digest", otherDigest)
			}, check: verify.CheckSubject, want: "signs another digest"},
		{name: "stated digest replaced by another", vector: "happy-path-v0.2",
			edit: func(b map[string]any) {
				b["messageSignature"].(map[string]any)["messageDigest"].(map[string]any)["digest"] = "q83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq80="
			},
			args: func(c conformanceCase, args []string) []string {
				return append(args[:len(args)-1], "--digest", "sha256:abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd")
			}, check: verify.CheckTlog},
		{name: "key-signed without --public-key", vector: "managed-key-happy-path",
			args: func(c conformanceCase, args []string) []string {
				out := []string{}
				for i := 0; i < len(args); i++ {
					if args[i] == "--public-key" {
						i++
						continue
					}
					out = append(out, args[i])
				}
				return append(out[:len(out)-1], "--certificate-identity", conformanceIdentity, "--certificate-oidc-issuer", conformanceIssuer, out[len(out)-1])
			}, check: verify.CheckSignature, want: "no public key is trusted"},
		{name: "certificate identity of another workflow", vector: "happy-path-v0.3",
			args: func(c conformanceCase, args []string) []string {
				for i := range args {
					if args[i] == "--certificate-identity" {
						args[i+1] = strings.Replace(args[i+1], "refs/heads/main", "refs/heads/evil", 1)
					}
				}
				return args
			}, check: verify.CheckIdentity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := readConformanceCase(t, filepath.Join(conformanceDir, "bundle-verify", tc.vector))
			if tc.edit != nil {
				b, err := os.ReadFile(c.bundle)
				if err != nil {
					t.Fatal(err)
				}
				var doc map[string]any
				if err := json.Unmarshal(b, &doc); err != nil {
					t.Fatal(err)
				}
				tc.edit(doc)
				if b, err = json.Marshal(doc); err != nil {
					t.Fatal(err)
				}
				c.bundle = filepath.Join(t.TempDir(), "bundle.sigstore.json")
				if err := os.WriteFile(c.bundle, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := c.args(t, false)
			if tc.args != nil {
				args = tc.args(c, args)
			}
			out, errOut, code := run(t, "", nil, args...)
			var rep verify.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || len(rep.Artifacts) != 1 || rep.Artifacts[0].Failure == nil {
				t.Fatalf("exit %d, want a rejection in the report\n%s%s", code, out, errOut)
			}
			if f := rep.Artifacts[0].Failure; f.Check != tc.check || !strings.Contains(f.Error(), tc.want) {
				t.Errorf("failure %q (check %q), want check %q saying %q", f.Error(), f.Check, tc.check, tc.want)
			}
		})
	}
}

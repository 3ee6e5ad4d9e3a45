package action_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/signet-ci/signet/localsigstore"
)

// writeKey writes a fresh ECDSA P-256 private key as a PKCS#8 PEM file at path, and its public
// key next to it (path + ".pub"); it returns the private key's base64 body, which no output
// may show.
func writeKey(t testing.TB, path string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(path, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(priv), "\n")[1]
}

// TestRunnerContractKey runs the action as the runner does with the key input naming a PEM file
// in the workspace: the key signs (Fulcio is never asked), the job's ID token still gives the
// provenance its verified facts, and the summary's commands pass as printed: signet verify with
// --public-key and no identity flags, and no gh command (gh checks certificates only).
func TestRunnerContractKey(t *testing.T) {
	t.Parallel()
	bin := buildLikeRelease(t)
	ss, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	ep := newTokenEndpoint(t, ss)
	_, meta := readActionYAML(t)
	claims := localsigstore.DefaultClaims(localsigstore.PresetGitHub)

	st := newStep(t, ss, ep, meta, claims, map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore", "key": "keys/release.pem"})
	body := writeKey(t, filepath.Join(st.ws, "keys", "release.pem"))
	res := st.run(t, bin, "attest")
	if res.code != 0 {
		t.Fatalf("attest exited %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if n := ss.Requests("fulcio"); n != 0 {
		t.Errorf("a key-signed run asked Fulcio %d time(s) for a certificate", n)
	}
	outs := parseOutputs(t, st.env["GITHUB_OUTPUT"])
	checkOutputs(t, st.ws, outs, 1)
	summary := readFile(t, st.env["GITHUB_STEP_SUMMARY"])
	for what, s := range map[string]string{"stdout": res.stdout, "stderr": res.stderr, "summary": summary,
		"outputs": readFile(t, st.env["GITHUB_OUTPUT"]), "index.json": readFile(t, filepath.Join(st.ws, outs["index-path"]))} {
		if strings.Contains(s, body) {
			t.Errorf("the private key shows in %s", what)
		}
	}
	if !strings.Contains(summary, "--key attestations/signing-key.pub") || !strings.Contains(summary, "signed with a key") ||
		!strings.Contains(summary, "Signed with the key <code>") {
		t.Errorf("summary: want cosign --key, saying the run was signed with a key:\n%s", summary)
	}
	var verify []string
	for _, c := range summaryCommands(t, summary) {
		if c[0] == "gh" {
			t.Errorf("the summary offers %q for a key-signed run: gh checks certificates only", c)
		}
		if c[0] != "signet" {
			continue
		}
		if v := st.run(t, bin, c[1:]...); v.code != 0 {
			t.Errorf("%q, as the summary prints it, failed (exit %d):\n%s\n%s", c, v.code, v.stdout, v.stderr)
		}
		if c[1] == "verify" {
			verify = c
		}
	}
	if !slices.Contains(verify, "--public-key") || slices.Contains(verify, "--certificate-identity") {
		t.Fatalf("the summary's verify command %q: want --public-key and no identity flags", verify)
	}
	// The same command with another key in place of the run's must fail.
	writeKey(t, filepath.Join(st.ws, "other.pem"))
	other := slices.Clone(verify[1:])
	other[slices.Index(other, "--public-key")+1] = "other.pem.pub"
	if v := st.run(t, bin, other...); v.code == 0 {
		t.Errorf("signet verify accepted the bundles for another key:\n%s", v.stdout)
	}
	ep.assertNeverShown(t, res.stdout, res.stderr, summary)

	t.Run("without id-token permission", func(t *testing.T) {
		st := newStep(t, ss, ep, meta, claims, map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore", "key": "release.pem"})
		writeKey(t, filepath.Join(st.ws, "release.pem"))
		delete(st.env, "ACTIONS_ID_TOKEN_REQUEST_URL")
		delete(st.env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
		res := st.run(t, bin, "attest")
		if res.code == 0 {
			t.Fatalf("attest succeeded without the ID token its GitHub provenance comes from:\n%s", res.stdout)
		}
		for _, want := range []string{"input key (INPUT_KEY): the key signs, but github provenance describes the build from the pipeline's verified identity token",
			"::error file=.github/workflows/release.yml,title=signet%3A id-token%3A write permission missing::"} {
			if !strings.Contains(res.stdout+res.stderr, want) {
				t.Errorf("output lacks %q:\n%s\n%s", want, res.stdout, res.stderr)
			}
		}
	})
	t.Run("a key file missing", func(t *testing.T) {
		st := newStep(t, ss, ep, meta, claims, map[string]string{"subject-path": "dist/app.tar.gz", "sigstore": "sigstore", "key": "keys/none.pem"})
		res := st.run(t, bin, "attest")
		want := "::error file=.github/workflows/release.yml,title=signet%3A input key::"
		if res.code == 0 || !strings.Contains(res.stdout, want) || !strings.Contains(res.stderr, `input key (INPUT_KEY): "keys/none.pem"`) {
			t.Errorf("exit %d; want an annotation %q and the input named:\n%s\n%s", res.code, want, res.stdout, res.stderr)
		}
	})
}

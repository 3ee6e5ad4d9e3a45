package gitlab_test

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

	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/shellwords"
	"github.com/signet-ci/signet/localsigstore"
)

// writeKey writes a fresh ECDSA P-256 private key as a PKCS#8 PEM file at path, and its public
// key at path + ".pub"; it returns the private key's first base64 line, which nothing may show.
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

// TestJobContractKey runs the rendered job's script line with the binary, the key input naming
// a PEM file of the project: the key signs (Fulcio is never asked), the job's ID token still
// gives the provenance its verified facts, and the verify command the log prints passes as
// printed, from the project directory with nothing of the job's environment, and fails for a
// tampered file.
func TestJobContractKey(t *testing.T) {
	t.Parallel()
	bin := checkout.BuildSignet(t)
	ss, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	c, _ := readTemplate(t)
	j := newJob(t, c, ss, map[string]any{"subject-path": "dist/", "key": "keys/release.pem"})
	body := writeKey(t, filepath.Join(j.dir, "keys", "release.pem"))
	res := j.run(t, bin, j.script...)
	if res.code != 0 {
		t.Fatalf("the job failed (exit %d)\nlog:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if n := ss.Requests("fulcio"); n != 0 {
		t.Errorf("a key-signed job asked Fulcio %d time(s) for a certificate", n)
	}
	j.assertNoToken(t, res)
	if strings.Contains(res.stdout+res.stderr+string(readFile(t, j.path("SIGNET_DOTENV"))), body) {
		t.Error("the private key shows in the job log or the dotenv report")
	}
	text := summaryCommand(t, res.stderr, "signet verify")
	words, err := shellwords.Split(text)
	if err != nil {
		t.Fatalf("the printed verify command is not one a shell runs as printed: %v", err)
	}
	if !slices.Contains(words, "--public-key") || slices.Contains(words, "--certificate-identity") {
		t.Fatalf("the printed verify command %q: want --public-key and no identity flags", text)
	}
	home := t.TempDir()
	releaseManager := map[string]string{"HOME": home, "XDG_CACHE_HOME": filepath.Join(home, ".cache")}
	if v := runCLI(t, j.dir, releaseManager, words[1:]...); v.code != 0 {
		t.Fatalf("the printed verify command failed (exit %d):\n%s\n%s\n%s", v.code, text, v.stdout, v.stderr)
	}
	other := slices.Clone(words[1:])
	writeKey(t, filepath.Join(j.dir, "other.pem"))
	other[slices.Index(other, "--public-key")+1] = "other.pem.pub"
	if v := runCLI(t, j.dir, releaseManager, other...); v.code == 0 {
		t.Errorf("signet verify accepted the bundles for another key:\n%s", v.stdout)
	}
	writeFiles(t, j.dir, map[string]string{"dist/app.tar.gz": "tampered"})
	if v := runCLI(t, j.dir, releaseManager, words[1:]...); v.code == 0 {
		t.Errorf("the printed verify command accepted a tampered file:\n%s", v.stdout)
	}

	t.Run("without id_tokens", func(t *testing.T) {
		j := newJob(t, c, ss, map[string]any{"subject-path": "dist/", "key": "release.pem"})
		writeKey(t, filepath.Join(j.dir, "release.pem"))
		j.setEnv(map[string]string{"SIGSTORE_ID_TOKEN": "-"})
		res := j.run(t, bin, j.script...)
		want := "input key (SIGNET_KEY): the key signs, but gitlab provenance describes the build from the pipeline's verified identity token"
		if res.code == 0 || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore") {
			t.Errorf("exit %d; want %q and the id_tokens hint:\n%s%s", res.code, want, res.stdout, res.stderr)
		}
	})
	t.Run("a key with whitespace", func(t *testing.T) {
		if _, err := c.render(map[string]any{"key": "my key.pem"}); err == nil {
			t.Error("the template accepted a key input with whitespace")
		}
	})
}

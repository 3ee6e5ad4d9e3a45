package tekton_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"

	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/tekton"
)

// writeKey writes a fresh ECDSA P-256 private key as a PKCS#8 PEM file at path, and its public
// key at path + ".pub"; it returns the private key's first base64 line, which nothing may show.
func writeKey(t *testing.T, path string) string {
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
	priv := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	writeBytes(t, path, string(priv))
	writeBytes(t, path+".pub", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})))
	return strings.Split(string(priv), "\n")[1]
}

// TestTaskRunContractKey runs the built signet as the Task's and the StepAction's step runs it,
// the key param naming a PEM file relative to the source workspace: the key signs (Fulcio is
// never asked), the projected token still gives the provenance its verified facts, and signet
// verify --public-key passes with the public key the run wrote and with the key's own, and fails
// with another key.
func TestTaskRunContractKey(t *testing.T) {
	t.Parallel()
	s, trust := startSigstore(t)
	for name, task := range map[string]*v1.Task{"task": defaultedTask(t), "stepaction": stepActionTask(t)} {
		t.Run(name, func(t *testing.T) {
			p := newPod(t, s, trust)
			p.writeToken(mustToken(t, s))
			files := []string{filepath.Join(p.ws, "dist", "app"), filepath.Join(p.ws, "dist", "app.tar.gz")}
			for _, f := range files {
				writeBytes(t, f, "output "+f)
			}
			body := writeKey(t, filepath.Join(p.ws, "keys", "release.pem"))
			fulcio := s.Requests("fulcio")
			stdout, stderr, err := p.run(task, map[string][]string{"workspace-path": {p.ws}, "subject-path": {"dist/app\ndist/app.tar.gz"},
				"sigstore": {trust}, "key": {"keys/release.pem"}, "CHAINS-GIT_URL": {gitURL}, "CHAINS-GIT_COMMIT": {localsigstore.DefaultSHA}})
			if err != nil {
				t.Fatalf("the step failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, body) {
				t.Error("the step's log shows the private key")
			}
			if s.Requests("fulcio") != fulcio {
				t.Error("a key-signed run asked Fulcio for a certificate")
			}
			got := p.checkResults(task)
			p.checkProvenance(got[tekton.ResultBundlePath])
			index := filepath.Join(p.ws, got[tekton.ResultIndexPath])
			written := filepath.Join(filepath.Dir(index), "signing-key.pub")
			for key, want := range map[string]bool{written: true, filepath.Join(p.ws, "keys", "release.pem.pub"): true, "": false} {
				if key == "" {
					key = filepath.Join(t.TempDir(), "other.pem")
					writeKey(t, key)
					key += ".pub"
				}
				args := append([]string{"verify", "--sigstore", trust, "--index", index, "--public-key", key,
					"--build-type", "https://signet-ci.github.io/buildtypes/tekton/v1"}, files...)
				cmd := exec.Command(checkout.BuildSignet(t), args...)
				cmd.Env = []string{"HOME=" + t.TempDir()}
				out, err := cmd.CombinedOutput()
				if (err == nil) != want {
					t.Errorf("signet verify --public-key %s: err %v, want pass %v\n%s", key, err, want, lastLines(string(out), 10))
				}
			}
		})
	}
	t.Run("no projected token", func(t *testing.T) {
		p := newPod(t, s, trust)
		writeBytes(t, filepath.Join(p.ws, "dist", "app"), "output")
		writeKey(t, filepath.Join(p.ws, "release.pem"))
		_, stderr, err := p.run(defaultedTask(t), map[string][]string{"subject-path": {"dist/app"}, "sigstore": {trust}, "key": {"release.pem"}})
		want := "input key (SIGNET_TEKTON_KEY): the key signs, but tekton provenance describes the build from the pipeline's verified identity token"
		if err == nil || !strings.Contains(stderr, want) {
			t.Errorf("err %v; want %q:\n%s", err, want, stderr)
		}
	})
	t.Run("a key file missing", func(t *testing.T) {
		p := newPod(t, s, trust)
		p.writeToken(mustToken(t, s))
		writeBytes(t, filepath.Join(p.ws, "dist", "app"), "output")
		_, stderr, err := p.run(defaultedTask(t), map[string][]string{"subject-path": {"dist/app"}, "sigstore": {trust}, "key": {"keys/none.pem"}})
		want := `input key (SIGNET_TEKTON_KEY): "keys/none.pem": there is no file`
		if err == nil || !strings.Contains(stderr, want) {
			t.Errorf("err %v; want %q:\n%s", err, want, stderr)
		}
		if _, err := os.Stat(filepath.Join(p.results, tekton.ResultIndexPath)); err == nil {
			t.Error("a failed step wrote results")
		}
	})
}

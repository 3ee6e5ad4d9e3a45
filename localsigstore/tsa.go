package localsigstore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	tsaapi "github.com/sigstore/timestamp-authority/pkg/api"
	tsaserver "github.com/sigstore/timestamp-authority/pkg/server"
	tsasigner "github.com/sigstore/timestamp-authority/pkg/signer"
	tsax509 "github.com/sigstore/timestamp-authority/pkg/x509"
	"github.com/spf13/viper"
)

// Files of a timestamp authority's identity, under <state dir>/tsa.
const (
	tsaDir       = "tsa"
	tsaKeyFile   = "key.pem"
	tsaChainFile = "chain.pem"
)

// maxTimestampRequest bounds a timestamp request body (an RFC 3161 query is a few hundred bytes).
const maxTimestampRequest = 1 << 16

// tsaIdentity is one instance's timestamping key and certificate chain (leaf first), as files the
// timestamp authority's file signer reads.
type tsaIdentity struct {
	keyPath   string
	chainPath string
	chain     []*x509.Certificate
}

// loadTSAIdentity loads the identity kept in stateDir/tsa, generating it the first time.
func loadTSAIdentity(stateDir string) (*tsaIdentity, error) {
	dir := filepath.Join(stateDir, tsaDir)
	if err := ensureDir(dir, generateTSAIdentity); err != nil {
		return nil, err
	}
	id := &tsaIdentity{keyPath: filepath.Join(dir, tsaKeyFile), chainPath: filepath.Join(dir, tsaChainFile)}
	pemChain, err := os.ReadFile(id.chainPath)
	if err != nil {
		return nil, fmt.Errorf("reading the timestamp authority's chain: %w", err)
	}
	id.chain, err = cryptoutils.UnmarshalCertificatesFromPEM(pemChain)
	if err != nil {
		return nil, fmt.Errorf("parsing the timestamp authority's chain %q: %w", id.chainPath, err)
	}
	signer, err := tsasigner.NewFileSigner(id.keyPath, "", crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading the timestamp authority's key %q: %w", id.keyPath, err)
	}
	if err := tsax509.VerifyCertChain(id.chain, signer, true); err != nil {
		return nil, fmt.Errorf("checking the timestamp authority's chain %q against key %q: %w", id.chainPath, id.keyPath, err)
	}
	return id, nil
}

// generateTSAIdentity writes a P-256 timestamping key and a root → intermediate → leaf chain
// (made by the timestamp authority's own NewTimestampingCertWithChain) into dir.
func generateTSAIdentity(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating the timestamp authority's key: %w", err)
	}
	chain, err := tsasigner.NewTimestampingCertWithChain(key)
	if err != nil {
		return fmt.Errorf("creating the timestamp authority's chain: %w", err)
	}
	if err := writePrivateKey(filepath.Join(dir, tsaKeyFile), key); err != nil {
		return err
	}
	return writeCertificates(filepath.Join(dir, tsaChainFile), chain...)
}

// timestampHost owns the process's one timestamp authority. The timestamp-authority server keeps
// its signer and chain in package globals configured from the global viper, so all instances
// share one handler; each request is served under a lock, after switching the globals to the
// requesting instance's identity when another instance used them last.
type timestampHost struct {
	once    sync.Once
	initErr error

	mu      sync.Mutex
	handler http.Handler
	active  *tsaIdentity
}

// tsaHost is the process-wide timestamp authority: the upstream package allows only one.
var tsaHost timestampHost

// init builds the upstream handler once, with a throwaway in-memory signer.
func (h *timestampHost) init() error {
	h.once.Do(func() {
		quietLoggers()
		h.mu.Lock()
		defer h.mu.Unlock()
		viper.Set("timestamp-signer", tsasigner.MemoryScheme)
		viper.Set("timestamp-signer-hash", "sha256")
		h.initErr = recoverPanic("starting the timestamp authority", func() {
			h.handler = tsaserver.NewRestAPIServer("127.0.0.1", 0, []string{"http"}, false, 10*time.Second, 10*time.Second).GetHandler()
		})
	})
	return h.initErr
}

// handlerFor returns the timestamp authority's HTTP handler signing with id.
func (h *timestampHost) handlerFor(id *tsaIdentity) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTimestampRequest))
		if err != nil {
			http.Error(w, fmt.Sprintf("reading the timestamp request: %v", err), http.StatusBadRequest)
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		var buf bufferedResponse
		if err := h.serveAs(id, &buf, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		buf.copyTo(w)
	})
}

func (h *timestampHost) serveAs(id *tsaIdentity, w http.ResponseWriter, r *http.Request) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.active != id {
		if err := activate(id); err != nil {
			h.active = nil
			return err
		}
		h.active = id
	}
	h.handler.ServeHTTP(w, r)
	return nil
}

// release forgets id so that a later identity with the same address cannot be mistaken for it.
func (h *timestampHost) release(id *tsaIdentity) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.active == id {
		h.active = nil
	}
}

// activate points the upstream globals at id's key and chain. Callers hold tsaHost.mu.
func activate(id *tsaIdentity) error {
	viper.Set("timestamp-signer", tsasigner.FileScheme)
	viper.Set("timestamp-signer-hash", "sha256")
	viper.Set("file-signer-key-path", id.keyPath)
	viper.Set("file-signer-passwd", "")
	viper.Set("certificate-chain-path", id.chainPath)
	viper.Set("enforce-intermediate-eku", true)
	return recoverPanic("loading the timestamp authority's key "+id.keyPath, tsaapi.ConfigureAPI)
}

// recoverPanic runs f, turning a panic (the upstream packages panic on bad configuration) into an error.
func recoverPanic(what string, f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: %v", what, p)
		}
	}()
	f()
	return nil
}

// bufferedResponse holds a response so the upstream handler never waits on a client under the lock.
type bufferedResponse struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header {
	if b.header == nil {
		b.header = http.Header{}
	}
	return b.header
}

func (b *bufferedResponse) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	b.WriteHeader(http.StatusOK)
	w.WriteHeader(b.code)
	_, _ = w.Write(b.body.Bytes())
}

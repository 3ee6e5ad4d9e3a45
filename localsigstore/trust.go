package localsigstore

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	fulcioca "github.com/sigstore/fulcio/pkg/ca"
	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// Names of the files WriteConfig writes.
const (
	TrustedRootFile   = "trusted_root.json"
	SigningConfigFile = "signing_config.json"
)

// buildTrust renders the trusted root and the signing configuration once, at start.
func (s *Sigstore) buildTrust(ctx context.Context, ca fulcioca.CertificateAuthority) error {
	bundle, err := ca.TrustBundle(ctx)
	if err != nil {
		return fmt.Errorf("reading the Fulcio CA chain: %w", err)
	}
	if len(bundle) == 0 || len(bundle[0]) == 0 {
		return errors.New("reading the Fulcio CA chain: the CA has no certificate")
	}
	chain := bundle[0]
	fulcio := &root.FulcioCertificateAuthority{
		Root:                chain[len(chain)-1],
		Intermediates:       chain[:len(chain)-1],
		ValidityPeriodStart: chain[0].NotBefore,
		URI:                 s.url,
	}
	tsaChain := s.tsa.chain
	tsa := &root.SigstoreTimestampingAuthority{
		Leaf:                tsaChain[0],
		Intermediates:       middle(tsaChain),
		Root:                tsaChain[len(tsaChain)-1],
		ValidityPeriodStart: tsaChain[0].NotBefore,
		URI:                 s.TimestampURL(),
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{fulcio}, nil, []root.TimestampingAuthority{tsa}, nil)
	if err != nil {
		return fmt.Errorf("building the trusted root: %w", err)
	}
	if s.trust, err = tr.MarshalJSON(); err != nil {
		return fmt.Errorf("encoding the trusted root: %w", err)
	}
	return s.buildSigningConfig()
}

// middle returns the certificates between a chain's leaf and its root.
func middle(chain []*x509.Certificate) []*x509.Certificate {
	if len(chain) < 3 {
		return nil
	}
	return slices.Clone(chain[1 : len(chain)-1])
}

func (s *Sigstore) buildSigningConfig() error {
	service := func(url string) root.Service {
		return root.Service{URL: url, MajorAPIVersion: 1, ValidityPeriodStart: s.started}
	}
	anyOne := root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY}
	sc, err := root.NewSigningConfig(root.SigningConfigMediaType02,
		[]root.Service{service(s.url)},
		[]root.Service{service(s.Issuer(PresetEmail))},
		nil, anyOne,
		[]root.Service{service(s.TimestampURL())}, anyOne)
	if err != nil {
		return fmt.Errorf("building the signing configuration: %w", err)
	}
	if s.signing, err = sc.MarshalJSON(); err != nil {
		return fmt.Errorf("encoding the signing configuration: %w", err)
	}
	return nil
}

// TrustedRoot returns trusted_root.json for this instance: the Fulcio CA and the timestamp
// authority's chain, no transparency log and no CT log.
func (s *Sigstore) TrustedRoot() []byte { return slices.Clone(s.trust) }

// SigningConfig returns signing_config.json (media type
// application/vnd.dev.sigstore.signingconfig.v0.2+json) for this instance: Fulcio, the email
// issuer and the timestamp authority, each selected ANY; no Rekor.
func (s *Sigstore) SigningConfig() []byte { return slices.Clone(s.signing) }

// WriteConfig writes TrustedRootFile and SigningConfigFile into dir (created if missing), each
// atomically.
func (s *Sigstore) WriteConfig(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating configuration directory %q: %w", dir, err)
	}
	if err := writeFileAtomic(filepath.Join(dir, TrustedRootFile), s.trust, 0o644); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, SigningConfigFile), s.signing, 0o644)
}

// maxTrustedRootSize bounds how much of an existing trusted_root.json WriteTrustedRoot reads.
const maxTrustedRootSize = 4 << 20

// WriteTrustedRoot writes TrustedRootFile into dir (created if missing) unless the file there
// already trusts exactly this instance's keys: its Fulcio CA chain and its timestamp
// authority's chain. It never writes SigningConfigFile, so the files of a `signet sigstore
// serve` that owns dir (same keys, its own URLs) are left as they are. written reports whether
// the file was replaced.
func (s *Sigstore) WriteTrustedRoot(dir string) (written bool, err error) {
	path := filepath.Join(dir, TrustedRootFile)
	same, err := s.trustsSameKeys(path)
	if err != nil || same {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("creating configuration directory %q: %w", dir, err)
	}
	return true, writeFileAtomic(path, s.trust, 0o644)
}

// trustsSameKeys reports whether the trusted root at path holds the same certificates as this
// instance's. A missing or unreadable-as-a-trusted-root file is not the same; other read errors
// are returned.
func (s *Sigstore) trustsSameKeys(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %q: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTrustedRootSize+1))
	if err != nil {
		return false, fmt.Errorf("reading %q: %w", path, err)
	}
	if len(b) > maxTrustedRootSize {
		return false, nil
	}
	theirs, err := root.NewTrustedRootFromJSON(b)
	if err != nil {
		return false, nil
	}
	ours, err := root.NewTrustedRootFromJSON(s.trust)
	if err != nil {
		return false, fmt.Errorf("parsing this instance's trusted root: %w", err)
	}
	return slices.EqualFunc(trustedCerts(theirs), trustedCerts(ours), bytes.Equal), nil
}

// trustedCerts lists the DER of every CA and timestamp authority certificate in tr, in order.
func trustedCerts(tr *root.TrustedRoot) [][]byte {
	var certs [][]byte
	add := func(cs ...*x509.Certificate) {
		for _, c := range cs {
			if c != nil {
				certs = append(certs, c.Raw)
			}
		}
	}
	for _, ca := range tr.FulcioCertificateAuthorities() {
		if f, ok := ca.(*root.FulcioCertificateAuthority); ok {
			add(f.Root)
			add(f.Intermediates...)
		}
	}
	for _, ta := range tr.TimestampingAuthorities() {
		if t, ok := ta.(*root.SigstoreTimestampingAuthority); ok {
			add(t.Leaf, t.Root)
			add(t.Intermediates...)
		}
	}
	return certs
}

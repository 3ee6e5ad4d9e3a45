package sigstore

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"

	"github.com/signet-ci/signet/core"
)

// KeylessSigner is one keyless signing session: one ephemeral ECDSA P-256 key and one Fulcio
// certificate, fetched on the first SignStatement and reused for every statement after it.
// It is safe for concurrent use.
type KeylessSigner struct {
	session
	certs *certificateCache
	tlog  core.TlogDecision
}

var (
	_ core.Signer     = (*KeylessSigner)(nil)
	_ core.Identifier = (*KeylessSigner)(nil)
)

// NewKeylessSigner chooses Fulcio, the timestamp authorities and the transparency logs from
// mat's signing configuration. It does no network I/O: the token is read and the
// certificate requested on the first SignStatement.
func NewKeylessSigner(ctx context.Context, mat *Material, tokens core.TokenSource, opts ...SignerOption) (*KeylessSigner, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if mat == nil || mat.SigningConfig == nil {
		return nil, fmt.Errorf("%w: keyless signing needs a signing config (%s)", ErrTrust, SigningConfigFile)
	}
	if tokens == nil {
		return nil, fmt.Errorf("%w: no token source", core.ErrNoToken)
	}
	cfg, err := newSignerConfig(opts)
	if err != nil {
		return nil, err
	}
	svc, err := keylessServices(mat.SigningConfig, cfg)
	if err != nil {
		return nil, err
	}
	kp, err := sign.NewEphemeralKeypair(nil) // ECDSA P-256, SHA-256
	if err != nil {
		return nil, fmt.Errorf("generating the ephemeral key: %w", err)
	}
	s := &KeylessSigner{
		certs: &certificateCache{tokens: tokens, url: svc.fulcio, net: cfg.net, now: cfg.now, sem: make(chan struct{}, 1), rec: cfg.rec},
		tlog:  tlogDecision(svc.tlogs, cfg.tlog),
	}
	s.session = session{keypair: kp, certs: s.certs, tsas: svc.tsas, net: cfg.net, rec: cfg.rec}
	if err := s.addLogs(svc.tlogs); err != nil {
		return nil, err
	}
	if mat.TrustedRoot != nil {
		if s.verifier, err = NewVerifier(mat.TrustedRoot); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func keylessServices(sc *root.SigningConfig, cfg signerConfig) (services, error) {
	now := cfg.now()
	var svc services
	var err error
	if svc.fulcio, err = selectFulcio(sc, now); err != nil {
		return svc, err
	}
	if svc.tsas, err = selectTSAs(sc, now); err != nil {
		return svc, err
	}
	if svc.tlogs, err = selectTlogs(sc, now, cfg.tlog); err != nil {
		return svc, err
	}
	if len(svc.tsas) > 0 {
		return svc, nil
	}
	for _, l := range svc.tlogs {
		if l.MajorAPIVersion == rekorMajorV1 {
			return svc, nil // Rekor v1 entries carry a signed integrated time
		}
	}
	return svc, fmt.Errorf("%w: %w", ErrTrust, errNoTrustedTime)
}

func (s *session) addLogs(logs []root.Service) error {
	for _, l := range logs {
		t, err := newTransparency(l, s.net)
		if err != nil {
			return err
		}
		s.logs = append(s.logs, timedLog{t, s.rec})
		s.logURLs = append(s.logURLs, l.URL)
	}
	return nil
}

func tlogDecision(logs []root.Service, want *bool) core.TlogDecision {
	if len(logs) > 0 {
		names := make([]string, len(logs))
		for i, l := range logs {
			names[i] = fmt.Sprintf("rekor v%d at %s", l.MajorAPIVersion, l.URL)
		}
		return core.TlogDecision{Used: true, Reason: strings.Join(names, ", ")}
	}
	if want != nil {
		return core.TlogDecision{Reason: "transparency log turned off: timestamped only"}
	}
	return core.TlogDecision{Reason: "the signing config lists no transparency log: timestamped only"}
}

// SignStatement signs one in-toto statement into a Sigstore bundle v0.3.
func (s *KeylessSigner) SignStatement(ctx context.Context, statement []byte) (*core.Bundle, error) {
	return s.sign(ctx, statement)
}

// Identity returns the certificate's SAN and OIDC issuer; it is empty before the first
// statement is signed.
func (s *KeylessSigner) Identity() core.Identity {
	if c := s.certs.issued.Load(); c != nil {
		return c.identity
	}
	return core.Identity{}
}

// Certificate returns the session's Fulcio certificate, or nil before the first signature.
func (s *KeylessSigner) Certificate() *x509.Certificate {
	if c := s.certs.issued.Load(); c != nil {
		return c.cert
	}
	return nil
}

// Extensions returns the Fulcio certificate extensions of the session, requesting the
// certificate now if no statement was signed yet (it is the same single request either way).
// Callers use it to check what they are about to sign against the certificate that will sign it.
func (s *KeylessSigner) Extensions(ctx context.Context) (certificate.Extensions, error) {
	if _, err := s.certs.GetCertificate(ctx, s.keypair, nil); err != nil {
		return certificate.Extensions{}, err
	}
	sum, err := certificate.SummarizeCertificate(s.Certificate())
	if err != nil {
		return certificate.Extensions{}, fmt.Errorf("%w: reading the certificate's extensions: %w", ErrCertificate, err)
	}
	return sum.Extensions, nil
}

// TlogDecision says whether bundles are sent to a transparency log, and to which.
func (s *KeylessSigner) TlogDecision() core.TlogDecision { return s.tlog }

// certificateCache is a sign.CertificateProvider that asks Fulcio once per session.
type certificateCache struct {
	tokens core.TokenSource
	url    string
	net    netConfig
	now    func() time.Time
	sem    chan struct{} // one request in flight; waiters honour their context
	issued atomic.Pointer[issuedCert]
	rec    core.Recorder
}

type issuedCert struct {
	der      []byte
	cert     *x509.Certificate
	identity core.Identity
}

// GetCertificate returns the session's certificate, requesting it on first use. The token in
// opts is ignored: the session's token source supplies it.
func (c *certificateCache) GetCertificate(ctx context.Context, kp sign.Keypair, _ *sign.CertificateProviderOptions) ([]byte, error) {
	if ic := c.issued.Load(); ic != nil {
		return c.valid(ic)
	}
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if ic := c.issued.Load(); ic != nil {
		return c.valid(ic)
	}
	ic, err := c.request(ctx, kp)
	if err != nil {
		return nil, err
	}
	c.issued.Store(ic)
	return ic.der, nil
}

func (c *certificateCache) request(ctx context.Context, kp sign.Keypair) (*issuedCert, error) {
	defer core.StartPhase(c.rec, core.PhaseCertificate)()
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		if !core.IsTokenError(err) {
			err = fmt.Errorf("%w: %w", core.ErrNoToken, err)
		}
		return nil, err
	}
	// Say what Fulcio would refuse before asking it, in core's words.
	if _, err := core.CheckToken(tok, "the identity token", c.now()); err != nil {
		return nil, err
	}
	f := sign.NewFulcio(&sign.FulcioOptions{BaseURL: c.url, Timeout: -1, Transport: c.net.client(ctx).Transport})
	der, err := f.GetCertificate(ctx, kp, &sign.CertificateProviderOptions{IDToken: tok})
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %w", ErrFulcio, c.url, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: unparseable certificate: %w", ErrFulcio, c.url, err)
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: certificate without Sigstore identity: %w", ErrFulcio, c.url, err)
	}
	return &issuedCert{der: der, cert: cert, identity: core.Identity{Subject: sum.SubjectAlternativeName, Issuer: sum.Issuer}}, nil
}

// errCertExpired is wrapped when a session outlives its certificate.
var errCertExpired = errors.New("the session's certificate has expired: a signing session must finish within the certificate's validity")

func (c *certificateCache) valid(ic *issuedCert) ([]byte, error) {
	if c.now().After(ic.cert.NotAfter) {
		return nil, fmt.Errorf("%w at %s: %w (not after %s)", ErrFulcio, c.url, errCertExpired, ic.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return ic.der, nil
}

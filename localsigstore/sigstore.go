package localsigstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	fulciolog "github.com/sigstore/fulcio/pkg/log"
	tsalog "github.com/sigstore/timestamp-authority/pkg/log"
	"go.uber.org/zap"
)

// Services whose requests Requests counts.
const (
	ServiceFulcio = "fulcio"
	ServiceTSA    = "tsa"
	ServiceOIDC   = "oidc"
)

// TimestampPath is where the timestamp authority answers RFC 3161 requests.
const TimestampPath = "/api/v1/timestamp"

// shutdownTimeout bounds how long Close waits for requests in flight.
const shutdownTimeout = 5 * time.Second

// Sigstore is a running local Sigstore: Fulcio, a timestamp authority and OIDC issuers on one
// loopback HTTP server. Its methods are safe for concurrent use.
type Sigstore struct {
	url      string
	started  time.Time
	issuers  map[Preset]*issuer
	tsa      *tsaIdentity
	tempDir  string
	srv      *http.Server
	served   chan error
	fulcio   atomic.Pointer[http.Handler]
	counts   map[string]*atomic.Int64
	inflight atomic.Int64 // requests being served
	trust    []byte
	signing  []byte
	closeErr error
	closing  sync.Once
}

// Start runs a local Sigstore until Close. ctx bounds the start-up only.
func Start(ctx context.Context, opts ...Option) (*Sigstore, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	quietLoggers()
	if err := tsaHost.init(); err != nil {
		return nil, err
	}
	s := &Sigstore{started: time.Now().UTC().Truncate(time.Second), served: make(chan error, 1)}
	s.counts = map[string]*atomic.Int64{ServiceFulcio: {}, ServiceTSA: {}, ServiceOIDC: {}}
	if err := s.start(ctx, o); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

func (s *Sigstore) start(ctx context.Context, o options) error {
	stateDir := o.stateDir
	if stateDir == "" {
		tmp, err := os.MkdirTemp("", "signet-localsigstore-*")
		if err != nil {
			return fmt.Errorf("creating a temporary directory for the timestamp authority: %w", err)
		}
		s.tempDir = tmp
	}
	ca, err := newCA(o.stateDir, o.caOrg)
	if err != nil {
		return err
	}
	s.tsa, err = loadTSAIdentity(firstNonEmpty(stateDir, s.tempDir))
	if err != nil {
		return err
	}
	if err := s.listen(ctx, o.addr); err != nil {
		return err
	}
	cfg, err := fulcioConfig(s.issuerURLs())
	if err != nil {
		return err
	}
	h, err := newFulcioHandler(ctx, cfg, ca)
	if err != nil {
		return err
	}
	s.fulcio.Store(&h)
	return s.buildTrust(ctx, ca)
}

// listen binds addr, creates the issuers for the resulting URL and starts serving.
func (s *Sigstore) listen(ctx context.Context, addr string) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	s.url = "http://" + ln.Addr().String()
	s.issuers = map[Preset]*issuer{}
	for _, p := range Presets() {
		if s.issuers[p], err = newIssuer(s.url, p); err != nil {
			ln.Close()
			return err
		}
	}
	s.srv = &http.Server{
		Handler:           s.counting(s.routes()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	return nil
}

func (s *Sigstore) routes() http.Handler {
	oidc := http.NewServeMux()
	for _, iss := range s.issuers {
		iss.routes(oidc)
	}
	tsa := tsaHost.handlerFor(s.tsa)
	mux := http.NewServeMux()
	mux.Handle("/oidc/", s.count(ServiceOIDC, oidc))
	mux.Handle("/api/v2/", s.count(ServiceFulcio, http.HandlerFunc(s.serveFulcio)))
	mux.Handle(TimestampPath, s.count(ServiceTSA, tsa))
	mux.Handle(TimestampPath+"/", s.count(ServiceTSA, tsa))
	return mux
}

// serveFulcio answers 503 until Fulcio's configuration (which needs the issuers served) is read.
func (s *Sigstore) serveFulcio(w http.ResponseWriter, r *http.Request) {
	h := s.fulcio.Load()
	if h == nil {
		http.Error(w, "fulcio is starting", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

func (s *Sigstore) count(service string, h http.Handler) http.Handler {
	n := s.counts[service]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	})
}

func (s *Sigstore) issuerURLs() map[Preset]string {
	urls := make(map[Preset]string, len(s.issuers))
	for p, iss := range s.issuers {
		urls[p] = iss.url
	}
	return urls
}

// URL returns the server's base URL, such as http://127.0.0.1:40123 (Fulcio's base URL too).
func (s *Sigstore) URL() string { return s.url }

// TimestampURL returns the timestamp authority's RFC 3161 endpoint.
func (s *Sigstore) TimestampURL() string { return s.url + TimestampPath }

// Issuer returns preset p's issuer URL (the iss of its tokens), or "" for an unknown preset.
func (s *Sigstore) Issuer(p Preset) string {
	if iss, ok := s.issuers[p]; ok {
		return iss.url
	}
	return ""
}

// DefaultClaims returns the claims preset p puts in this instance's tokens: the package-level
// DefaultClaims plus iss. It returns nil for an unknown preset.
func (s *Sigstore) DefaultClaims(p Preset) map[string]any {
	c := DefaultClaims(p)
	if c != nil {
		c["iss"] = s.Issuer(p)
	}
	return c
}

// Token mints an OIDC ID token from preset p's issuer, with aud "sigstore" and a ten-minute
// lifetime unless opts say otherwise.
func (s *Sigstore) Token(p Preset, opts ...TokenOption) (string, error) {
	iss, ok := s.issuers[p]
	if !ok {
		_, err := ParsePreset(string(p))
		return "", err
	}
	o, err := buildTokenOptions(opts)
	if err != nil {
		return "", err
	}
	return iss.mint(o)
}

// Requests returns how many HTTP requests the service (ServiceFulcio, ServiceTSA or ServiceOIDC)
// has served; 0 for any other name.
func (s *Sigstore) Requests(service string) int64 {
	if n, ok := s.counts[service]; ok {
		return n.Load()
	}
	return 0
}

// Close stops the server, waiting up to five seconds for requests in flight, and removes
// temporary files. The listener is closed when Close returns. Close is idempotent.
func (s *Sigstore) Close() error {
	s.closing.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

// counting tracks the requests in flight, so Close knows when none is left.
func (s *Sigstore) counting(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		h.ServeHTTP(w, r)
	})
}

// shutdown stops accepting connections and waits up to shutdownTimeout for requests in flight.
// A connection that never sent a request (a client's spare dial) does not hold it: net/http's
// Shutdown would wait five seconds for such a connection, so once no request is in flight the
// remaining connections are closed.
func (s *Sigstore) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.srv.Shutdown(ctx) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return errors.Join(fmt.Errorf("stopping the local sigstore at %s: %d request(s) still in flight: %w",
					s.url, s.inflight.Load(), err), s.srv.Close())
			}
			return nil
		case <-tick.C:
			if s.inflight.Load() == 0 {
				s.srv.Close() // Shutdown then returns as soon as it sees the connections gone
			}
		}
	}
}

func (s *Sigstore) close() error {
	var errs []error
	if s.srv != nil {
		if err := s.shutdown(); err != nil {
			errs = append(errs, err)
		}
		if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serving the local sigstore at %s: %w", s.url, err))
		}
	}
	if s.tsa != nil {
		tsaHost.release(s.tsa)
	}
	if s.tempDir != "" {
		if err := os.RemoveAll(s.tempDir); err != nil {
			errs = append(errs, fmt.Errorf("removing temporary directory %q: %w", s.tempDir, err))
		}
	}
	return errors.Join(errs...)
}

var quietOnce sync.Once

// quietLoggers silences Fulcio's and the timestamp authority's package loggers (development zap
// loggers writing to stdout by default). They are process-wide; signet never uses them.
func quietLoggers() {
	quietOnce.Do(func() {
		fulciolog.Logger = zap.NewNop().Sugar()
		tsalog.Logger = zap.NewNop().Sugar()
	})
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

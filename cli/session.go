package cli

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/keys"
	"github.com/signet-ci/signet/provenance"
	"github.com/signet-ci/signet/sbom"
)

// errNoToken explains every way to supply an identity token. It is core.ErrNoToken, so every
// adapter's Fail recognises it.
var errNoToken = fmt.Errorf("%w: pass --identity-token-file FILE, set SIGSTORE_ID_TOKEN, "+
	"run in CI with an identity token (GitHub: permissions: id-token: write; GitLab: id_tokens: SIGSTORE_ID_TOKEN: aud: %s), "+
	"sign with --key FILE, or try --sigstore local to rehearse with the embedded Sigstore", core.ErrNoToken, core.Audience)

// session is the trust material, identity and signer of one run.
type session struct {
	// sigstore is the Sigstore the run signs with: "public", "github", "local" or a directory
	// (--sigstore auto resolved).
	sigstore string
	local    localStack
	material *sigstore.Material
	tokens   core.TokenSource
	claims   *provenance.Claims
	signer   core.Signer
	tlog     core.TlogDecision
	kmsKey   *keys.Signer // --key naming a KMS or HSM key
}

// Close stops the embedded Sigstore, if one was started, and releases a KMS or HSM key.
func (s *session) Close() {
	if s.local != nil {
		s.local.Close()
	}
	if s.kmsKey != nil {
		_ = s.kmsKey.Close()
	}
}

func openSession(ctx context.Context, env Env, cfg attestConfig) (*session, error) {
	s := &session{}
	if cfg.KeyFile == "" && cfg.Sigstore != "local" && !hasToken(env, cfg) {
		return nil, errNoToken // say so before fetching trust material
	}
	if cfg.Sigstore == "auto" || cfg.Sigstore == "" {
		// auto decides by the verified token's repository visibility, so the identity comes first.
		cfg.Sigstore = "public"
		if cfg.KeyFile == "" {
			if err := s.identity(ctx, env, cfg); err != nil {
				return nil, err
			}
			cfg.Sigstore = autoSigstore(s.claims)
		}
	}
	s.sigstore = cfg.Sigstore
	if err := s.loadTrust(ctx, env, cfg); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.KeyFile != "" {
		if err := s.keySigner(ctx, env, cfg); err != nil {
			s.Close()
			return nil, err
		}
		if err := s.buildIdentity(ctx, env, cfg); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	if s.claims == nil {
		if err := s.identity(ctx, env, cfg); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.tlog = tlogDecision(s.material, s.claims, cfg.PrivateTlog)
	signer, err := sigstore.NewKeylessSigner(ctx, s.material, s.tokens, sigstore.WithTransparencyLog(s.tlog.Used),
		sigstore.WithRecorder(cfg.recorder))
	if err != nil {
		s.Close()
		return nil, err
	}

	if s.tlog.Used {
		s.tlog = signer.TlogDecision() // names the logs
	}
	s.signer = signer
	return s, nil
}

// loadTrust selects trusted_root.json and signing_config.json per --sigstore.
func (s *session) loadTrust(ctx context.Context, env Env, cfg attestConfig) error {
	var err error
	switch cfg.Sigstore {
	case "public", "":
		load := sigstore.LoadPublic
		if cfg.instances.public != nil {
			load = cfg.instances.public
		}
		s.material, err = load(ctx, tufCacheDir(env))
	case "github":
		load := sigstore.LoadGitHub
		if cfg.instances.github != nil {
			load = cfg.instances.github
		}
		s.material, err = load(ctx, tufCacheDir(env))
	case "local":
		stateDir := cfg.StateDir
		if stateDir == "" {
			stateDir = defaultStateDir(env)
		}
		s.local, err = startLocal(ctx, stateDir)
		if err != nil {
			return fmt.Errorf("starting the local Sigstore: %w", err)
		}
		s.material, err = s.useLocal(stateDir)
	default:
		s.material, err = sigstore.LoadDir(cfg.Sigstore)
	}
	if err != nil {
		return fmt.Errorf("--sigstore %s: %w", cfg.Sigstore, err)
	}
	return nil
}

// keySigner signs with --key: a PEM file, or a KMS or HSM key that never leaves its service.
// Its errors name the key as the user gave it (keyName).
func (s *session) keySigner(ctx context.Context, env Env, cfg attestConfig) error {
	name := keyName(cfg)
	ref, err := keys.Parse(cfg.KeyFile)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	s.tlog = core.TlogDecision{Used: false, Reason: "key-based signing: timestamped only"}
	if ref.IsFile() {
		pem, err := os.ReadFile(cfg.KeyFile)
		if err != nil {
			return fmt.Errorf("reading %s file %q: %w", name, cfg.KeyFile, err)
		}
		signer, err := sigstore.NewKeySigner(ctx, pem, s.material, sigstore.WithRecorder(cfg.recorder))
		if err != nil {
			return fmt.Errorf("%s %q: %w", name, cfg.KeyFile, err)
		}
		s.signer = signer
		return nil
	}
	if s.kmsKey, err = keys.Open(ctx, ref, keyOptions(env)...); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	signer, err := sigstore.NewCryptoKeySigner(ctx, s.kmsKey, s.material, sigstore.WithRecorder(cfg.recorder))
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, ref, err)
	}
	s.signer = signer
	return nil
}

// keyName names the signing key in errors: the platform input it came from, or --key.
func keyName(cfg attestConfig) string {
	if cfg.KeyFrom != "" {
		return cfg.KeyFrom
	}
	return "--key"
}

// buildIdentity verifies the pipeline's identity token of a key-signed run on a CI platform:
// the key signs, and the token's verified claims are where the provenance takes every
// platform fact from (buildContext), as in a keyless run. A local run, or one without
// provenance, needs no token.
func (s *session) buildIdentity(ctx context.Context, env Env, cfg attestConfig) error {
	switch provenance.Platform(cfg.Platform) {
	case provenance.GitHub, provenance.GitLab, provenance.Tekton:
	default:
		return nil
	}
	if cfg.NoProvenance || cfg.Sigstore == "local" {
		return nil
	}
	if err := s.identity(ctx, env, cfg); err != nil {
		return fmt.Errorf("%s: the key signs, but %s provenance describes the build from the pipeline's verified identity token, "+
			"and it could not be read (the token signs nothing here): %w", keyName(cfg), cfg.Platform, err)
	}
	return nil
}

// verifyKey is the --public-key a verifier passes for a key-signed run (ci.Outcome.PublicKey):
// the KMS or HSM reference keyFile names, with pemFile nil; or, for a key file or a reference
// whose PIN must not be printed, the path of PublicKeyFile in outDir and the PEM public key to
// write there (publishPublicKey). "" for a keyless run.
func (s *session) verifyKey(outDir, keyFile string) (ref string, pemFile []byte, err error) {
	ks, ok := s.signer.(*sigstore.KeySigner)
	if !ok {
		return "", nil, nil
	}
	if s.kmsKey != nil {
		if ref, ok := printableRef(s.kmsKey.Ref(), keyFile); ok {
			return ref, nil, nil
		}
	}
	der, err := x509.MarshalPKIXPublicKey(ks.PublicKey())
	if err != nil {
		return "", nil, fmt.Errorf("encoding the --key public key: %w", err)
	}
	return filepath.Join(outDir, PublicKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// publishPublicKey writes the public key file verifyKey named, atomically, after the run's
// bundles were written; the run refused an existing file before signing (Output.Check).
func publishPublicKey(path string, pemFile []byte) error {
	if pemFile == nil {
		return nil
	}
	if err := core.WriteFileAtomic(path, pemFile, 0o644); err != nil {
		return fmt.Errorf("writing the --key public key: %w", err)
	}
	return nil
}

// printableRef returns a KMS or HSM reference as a printed command may carry it: only when it
// shows all of given, so a command naming it passes as printed; a PKCS#11 URI with pin-value=
// shows the PIN as REDACTED and is not printable.
func printableRef(ref keys.Ref, given string) (string, bool) {
	r := ref.String()
	return r, r == given
}

// PublicKeyFile is the file in the output directory holding the public key of a key-signed
// run's PEM key, for `signet verify --public-key` and `cosign --key`.
const PublicKeyFile = "signing-key.pub"

// keyOptions are the environment's settings for KMS and HSM keys: SIGNET_PKCS11_PIN, the
// PKCS#11 user PIN when the URI has no pin-source (the cloud SDKs read their own variables).
func keyOptions(env Env) []keys.Option {
	var opts []keys.Option
	if pin := env.Getenv("SIGNET_PKCS11_PIN"); pin != "" {
		opts = append(opts, keys.WithPIN(pin))
	}
	return opts
}

// hasToken reports whether a token source was given, without reading it.
func hasToken(env Env, cfg attestConfig) bool {
	return cfg.Token != "" || cfg.TokenFile != "" || env.Getenv("SIGSTORE_ID_TOKEN") != "" || cfg.PlatformToken != nil
}

// identity picks the token source by the one identity rule (chooseToken) and verifies the
// token's claims, from which the provenance takes every platform fact.
func (s *session) identity(ctx context.Context, env Env, cfg attestConfig) error {
	var local core.TokenSource
	if s.local != nil {
		local = s.local
	}
	src, err := chooseToken(env, cfg, local)
	if err != nil {
		return err
	}
	s.tokens = src
	raw, err := s.tokens.Token(ctx)
	if err != nil {
		return fmt.Errorf("reading the identity token: %w", err)
	}
	s.claims, err = provenance.VerifyToken(ctx, raw)
	if err != nil {
		return fmt.Errorf("identity token: %w", err)
	}
	return nil
}

// chooseToken is the one identity rule of every platform: the first that applies wins.
//  1. --identity-token;
//  2. --identity-token-file (re-read at each use);
//  3. SIGSTORE_ID_TOKEN (on GitLab, the job's id_tokens token);
//  4. the embedded Sigstore's own token (--sigstore local: its Fulcio trusts only its issuer);
//  5. the platform's own token (the GitHub runner's, Tekton's projected token file).
//
// --key, before all of them, needs no token. Every token but the embedded Sigstore's is
// checked before use (ci.Checked).
func chooseToken(env Env, cfg attestConfig, local core.TokenSource) (core.TokenSource, error) {
	switch {
	case cfg.Token != "":
		return ci.Checked(tokenValue(cfg.Token), "--identity-token"), nil
	case cfg.TokenFile != "":
		return ci.Checked(sigstore.FileToken(cfg.TokenFile), fmt.Sprintf("--identity-token-file %q", cfg.TokenFile)), nil
	case env.Getenv("SIGSTORE_ID_TOKEN") != "":
		return ci.Checked(tokenValue(env.Getenv("SIGSTORE_ID_TOKEN")), "SIGSTORE_ID_TOKEN"), nil
	case local != nil:
		return local, nil
	case cfg.PlatformToken != nil:
		return ci.Checked(cfg.PlatformToken, cfg.PlatformTokenFrom), nil
	}
	return nil, errNoToken
}

// tokenValue is a token given as a value, by a flag or a variable; ci.Checked checks it, so
// its errors name that flag or variable.
type tokenValue string

// Token returns the token without surrounding whitespace.
func (t tokenValue) Token(ctx context.Context) (string, error) {
	return strings.TrimSpace(string(t)), ctx.Err()
}

// localStack is the embedded Sigstore as one run uses it: it writes its trust files and mints
// an email-shaped identity token at each use. Release images built with the nolocalsigstore
// tag leave it out (see local_off.go).
type localStack interface {
	core.TokenSource
	TrustedRoot() []byte
	SigningConfig() []byte
	WriteTrustedRoot(dir string) (bool, error)
	Close() error
}

// useLocal signs with the embedded Sigstore's trust material, held in memory, and leaves its
// trusted root in stateDir for `signet verify --sigstore local`. It never writes the signing
// configuration there: a running `signet sigstore serve` owns that file (with the same keys but
// its own URLs), and this instance's port is gone when the run ends.
func (s *session) useLocal(stateDir string) (*sigstore.Material, error) {
	if _, err := s.local.WriteTrustedRoot(stateDir); err != nil {
		return nil, err
	}
	return sigstore.ParseMaterial(s.local.TrustedRoot(), s.local.SigningConfig())
}

// instances loads the trust material of the named Sigstore instances; nil fields are
// sigstore.LoadPublic and sigstore.LoadGitHub. Tests put a local Sigstore behind the names to
// follow --sigstore auto's choice through a whole run without the network.
type instances struct {
	public, github func(ctx context.Context, cacheDir string, opts ...sigstore.PublicOption) (*sigstore.Material, error)
}

// autoSigstore is --sigstore auto's choice, as actions/attest makes it: GitHub's own Sigstore
// instance (its certificates go to no public log) for a private or internal GitHub repository,
// by the verified token's repository_visibility; the public-good instance, with Rekor, for
// everything else.
func autoSigstore(claims *provenance.Claims) string {
	if claims != nil && claims.Platform() == provenance.GitHub && claims.IsPrivate() {
		return "github"
	}
	return "public"
}

// errGitHubRefused is added to a Fulcio error of GitHub's instance: the usual cause is a plan
// without artifact attestations for private repositories.
const errGitHubRefused = "GitHub's Sigstore instance (used for private and internal repositories) refused or failed to certify the token: " +
	"artifact attestations for private and internal repositories need a GitHub plan that offers them (GitHub Enterprise Cloud); " +
	"otherwise pass --sigstore public (the input sigstore: public), which publishes the repository's name and workflow in " +
	"public-good Fulcio's certificate transparency log, or a self-managed Sigstore with --sigstore DIR"

// withSigstoreAdvice explains a Fulcio error of GitHub's instance.
func withSigstoreAdvice(used string, err error) error {
	if used == "github" && errors.Is(err, sigstore.ErrFulcio) {
		return fmt.Errorf("%w; %s", err, errGitHubRefused)
	}
	return err
}

// tlogDecision skips the transparency log for private or internal repositories unless opted in.
func tlogDecision(m *sigstore.Material, claims *provenance.Claims, optIn bool) core.TlogDecision {
	if !m.HasTlog() {
		return core.TlogDecision{Used: false, Reason: "the signing config names no transparency log: timestamped only"}
	}
	if claims != nil && claims.IsPrivate() {
		if optIn {
			return core.TlogDecision{Used: true, Reason: "private repository, logged because --private-repo-tlog was set"}
		}
		return core.TlogDecision{Used: false, Reason: fmt.Sprintf("repository visibility %q: not sent to the transparency log "+
			"(timestamped only); pass --private-repo-tlog to log it", claims.Visibility())}
	}
	return core.TlogDecision{Used: true}
}

// buildRequest assembles the statements to sign: provenance, custom predicate, SBOMs.
func buildRequest(ctx context.Context, env Env, cfg attestConfig, s *session, base string, subjects []core.Subject) (core.Request, error) {
	req := core.Request{Subjects: subjects, MaxSubjects: cfg.MaxSubjects, SBOMFormats: cfg.SBOMFormats, Tlog: s.tlog}
	if !cfg.NoProvenance {
		ext := expectedFrom(s.claims)
		if e, ok := s.signer.(extensioner); ok {
			ext = e.Extensions
		}
		src, err := provenanceSource(ctx, env, cfg, s.claims, base, ext)
		if err != nil {
			return req, err
		}
		req.Provenance = src
	}
	switch {
	case cfg.PredType != "" && cfg.PredJSON != nil:
		req.Custom = &core.Predicate{Type: cfg.PredType, JSON: cfg.PredJSON}
	case cfg.PredType != "":
		p, err := readPredicate(cfg.PredType, cfg.PredFile)
		if err != nil {
			return req, err
		}
		req.Custom = p
	}
	if len(cfg.SBOMFormats) > 0 {
		gen, err := sbom.NewGenerator(sbom.WithToolVersion(version()), sbom.WithFileDigests(cfg.SBOMFileDigests))
		if err != nil {
			return req, err
		}
		req.SBOM = gen
	}
	return req, nil
}

func tufCacheDir(env Env) string {
	if d := env.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "signet", "tuf")
	}
	return filepath.Join(env.Getenv("HOME"), ".cache", "signet", "tuf")
}

// version is the module version signet was built from ("devel" for a plain go build or go run).
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

package cli

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/keys"
	"github.com/signet-ci/signet/verify"
)

// errIdentityFlags is added to a refusal for lack of an identity policy.
const errIdentityFlags = "--policy FILE can hold the whole policy; only --sigstore local has a default identity policy"

// policyFlags names each policy-file key by the verify flag that sets it.
var policyFlags = map[string]string{
	"identity.issuer": "--certificate-oidc-issuer", "identity.issuerRegexp": "--certificate-oidc-issuer-regexp",
	"identity.identity": "--certificate-identity", "identity.identityRegexp": "--certificate-identity-regexp",
	"identity.sourceRepository": "--source-repository", "identity.sourceRef": "--source-ref",
	"identity.sourceDigest": "--source-digest", "identity.signerWorkflow": "--signer-workflow",
	"identity.runnerEnvironment": "--runner-environment", "identity.trigger": "--trigger",
	"identity.github": "--github", "identity.gitlab": "--gitlab", "identity.gitlabURL": "--gitlab-url",
	"identity.kubernetesNamespace": "--kubernetes-namespace", "identity.serviceAccount": "--service-account",
	"provenance.predicateType": "--type", "provenance.builderID": "--builder-id", "provenance.buildType": "--build-type",
	"publicKey": "--public-key",
}

// flagName names a policy field in the verify command's words: its flag and, when a policy file
// is read too, the file's key.
func flagName(policyFile string) func(key string) string {
	return func(key string) string {
		flag, ok := policyFlags[key]
		switch {
		case !ok:
			return key + " (in --policy)"
		case policyFile == "" || key == "publicKey":
			return flag
		}
		return flag + " (" + key + " in --policy)"
	}
}

// verifyConfig is one verify run as the command line describes it.
type verifyConfig struct {
	Bundles     []string
	Index       string
	Digests     []string
	Sigstore    string
	TrustedRoot string
	StateDir    string
	PublicKey   string
	TrustedKeys string
	PolicyFile  string
	Policy      verify.Policy
	Format      string
	Output      string
	Workers     int
	VSAOutput   string
	VSAKey      string
	TokenFile   string
	ResourceURI string
	Metrics     metricsConfig
	// Owner fetches bundles from the attestation store of every repository of a GitHub owner.
	Owner        string
	sigstoreFlag bool
	typeFlag     bool // --type given: a requirement, not the default
	// command is the command line after "signet verify", for the HTML report's commands.
	command []string
	// source, when set, is where the bundles come from (a registry's, for oci:// images).
	source verify.Source
}

func newVerifyCmd(env Env) *cobra.Command {
	cfg := verifyConfig{}
	cmd := &cobra.Command{
		Use:   "verify ARTIFACT... (--bundle FILE|DIR | --index FILE) | verify oci://IMAGE...",
		Short: "Verify artifacts offline against their bundles, an identity policy and a provenance policy",
		Long: `verify checks each artifact (a file, NAME@sha256:HEX such as an OCI image digest, or --digest) against
the bundles that name it: the signature and certificate chain against a trusted root, a signed timestamp
or a log's integrated time within the certificate's validity, the signer's identity against the policy
(the same flags read GitHub, GitLab and Kubernetes certificates), and the signed SLSA provenance against
both the policy and its own certificate. No network is used when a trusted root is given.
Any valid Sigstore bundle v0.1 to v0.3 is read: attestations, and message signatures (cosign
sign-blob and other clients), which verify the artifact's digest and signer but carry no
provenance, so --type, --builder-id and --build-type fail them by name.

A policy pins the OIDC issuer exactly (or by a regexp written ^...$ whose scheme and host are literal)
and an identity the certificate binds: its SAN, its source repository (--github, --gitlab,
--source-repository), a whole signer workflow OWNER/REPO/.github/workflows/FILE, or a Kubernetes
namespace and service account. Identity flags are checked against certificate fields only; the signed
provenance must agree with them but never stands in for them, so email and Kubernetes certificates
(which carry no source) cannot satisfy --source-repository or --source-ref. Refs are full names:
--source-ref main means refs/heads/main; tags are refs/tags/.... Regexps must match the whole value.
Matching is case-sensitive. --public-key pins a key instead, and refuses identity flags.

An argument oci://REGISTRY/REPOSITORY:TAG (or @sha256:HEX) verifies an image in its registry: the
tag is resolved to a digest once, and the Sigstore bundles attached to that digest are found by
both the referrers API and the sha256-<hex> referrers tag, then verified under the same policy. An
image with no attestation, or none that passes, fails, naming its digest. Credentials come from
the Docker config (DOCKER_CONFIG, ~/.docker/config.json, credential helpers).

Exit status: 0 only when every artifact verified; 1 when any failed, and the report says why, one line
each; 2 for a usage or policy error, before any bundle is read.`,
		Example: `  signet verify --sigstore local --index attestations/index.json ./dist/*
  signet verify --trusted-root trusted_root.json --bundle provenance.sigstore.json --github org/repo --source-ref 'refs/tags/v*' app.tar.gz
  signet verify --github org/repo --signer-workflow .github/workflows/release.yml --source-ref main --index attestations/index.json dist/*
  signet verify --policy policy.yaml --trusted-root trusted_root.json --index attestations/index.json --format markdown dist/*
  signet verify --gitlab group/project --source-ref main --digest sha256:<hex> --bundle attestations/
  signet verify --certificate-oidc-issuer https://accounts.google.com --certificate-identity release@example.com --bundle attestations/ app.tar.gz
  signet verify --public-key cosign.pub --index attestations/index.json dist/*
  signet verify --github org/repo --index attestations/index.json --format html --output report.html dist/*
  signet verify --github org/repo --source-ref main oci://ghcr.io/org/app:v1.2.3`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.sigstoreFlag = cmd.Flags().Changed("sigstore")
			cfg.typeFlag = cmd.Flags().Changed("type")
			cfg.command = append(checkArgs(cmd.Flags()), args...)
			return runVerify(cmd.Context(), env, cfg, args)
		},
	}
	addVerifyFlags(cmd.Flags(), &cfg)
	return cmd
}

func addVerifyFlags(f *pflag.FlagSet, cfg *verifyConfig) {
	f.StringArrayVar(&cfg.Bundles, "bundle", nil, "Sigstore bundle, or a directory of bundles, to verify against (repeatable)")
	f.StringVar(&cfg.Index, "index", "", "index.json written by signet attest; its bundles are found by artifact digest")
	f.StringArrayVar(&cfg.Digests, "digest", nil, "verify this artifact digest, sha256:HEX, without the artifact (repeatable)")
	f.StringVar(&cfg.Sigstore, "sigstore", "public", "trust: public (public-good, via TUF), github (GitHub's instance, via GitHub's TUF repository), local (the local Sigstore's trusted_root.json), or a directory with trusted_root.json")
	f.StringVar(&cfg.TrustedRoot, "trusted-root", "", "trusted_root.json to verify against; no network is used")
	f.StringVar(&cfg.StateDir, "state-dir", "", "state directory of the local Sigstore (default: $XDG_STATE_HOME/signet/localsigstore)")
	f.StringVar(&cfg.PublicKey, "public-key", "", "PEM public key file, or KMS/HSM key reference (awskms://…, pkcs11:…), the bundles must be signed with (signet attest --key); excludes identity flags")
	f.StringVar(&cfg.TrustedKeys, "trusted-keys", "", "trusted_keys.json: public keys with validity windows the bundles must be signed with, timestamped inside the key's window (docs/keys.md); excludes --public-key and identity flags")
	addPolicyFlags(f, &cfg.PolicyFile, &cfg.Policy)
	// verify reads --github further than policy export: without --index/--bundle it also names
	// where the bundles come from.
	f.Lookup("github").Usage = "shorthand: GitHub Actions issuer and source repository https://github.com/OWNER/REPO; without --index/--bundle, the bundles come from the repository's attestation store (GH_TOKEN or GITHUB_TOKEN)"
	f.StringVar(&cfg.Owner, "owner", "", "fetch the bundles from the attestation store of every repository of this GitHub owner (GH_TOKEN or GITHUB_TOKEN); defaults the policy to the GitHub Actions issuer and source repositories https://github.com/OWNER/*")
	f.StringVar(&cfg.Format, "format", "text", "report format: text, json, markdown, or html (one self-contained page; use with --output)")
	f.StringVar(&cfg.Output, "output", "", "write the report to this file instead of standard output")
	f.IntVar(&cfg.Workers, "workers", 0, "artifacts verified at once (default: the number of CPUs)")
	f.StringVar(&cfg.VSAOutput, "vsa-output", "", "write a signed SLSA Verification Summary Attestation bundle to this file")
	f.StringVar(&cfg.VSAKey, "key", "", "sign the VSA with this PEM private key instead of keylessly")
	f.StringVar(&cfg.TokenFile, "identity-token-file", "", "OIDC identity token for signing the VSA keylessly")
	f.StringVar(&cfg.ResourceURI, "resource-uri", "", "resourceUri of the VSA (default: the artifact names)")
	addMetricsFlags(f, &cfg.Metrics)
}

// verifyOnce is runVerify without the metrics file; rec times its phases when not nil. It
// returns the report when there is one (not for --format html).
func verifyOnce(ctx context.Context, env Env, cfg verifyConfig, args []string, rec core.Recorder) (*verify.Report, error) {
	format, err := parseFormat(cfg.Format)
	if err != nil {
		return nil, err
	}
	refs, err := splitOCI(cfg, args)
	if err != nil {
		return nil, err
	}
	endSetup := core.StartPhase(rec, core.PhaseSetup)
	var images *ociArtifacts
	if len(refs) > 0 {
		if _, err := compilePolicy(env, cfg); err != nil {
			return nil, err // a policy error is reported before the registry is asked
		}
		if images, err = fetchOCI(ctx, env, refs); err != nil {
			return nil, err
		}
		defer images.close()
		cfg.source = images.bundles
	}
	var store *storeSource
	if len(refs) == 0 {
		if store, err = openStore(env, cfg); err != nil {
			return nil, err
		}
	} else if cfg.Owner != "" {
		return nil, &ExitError{Code: 2, Err: errors.New("--owner fetches bundles from GitHub's attestation store; oci:// images take theirs from the registry: give one or the other")}
	}
	if store != nil {
		defer store.close()
		cfg = ownerPolicy(cfg)
	}
	v, err := buildVerifier(ctx, env, cfg, store)
	if err != nil {
		return nil, err
	}
	endSetup()
	endDigest := core.StartPhase(rec, core.PhaseDigest)
	var artifacts []core.Subject
	if images != nil {
		artifacts = images.artifacts
	} else if artifacts, err = verify.Artifacts(ctx, env.Dir, args, cfg.Digests); err != nil {
		return nil, err
	}
	endDigest()
	if format == verify.FormatHTML {
		defer core.StartPhase(rec, core.PhaseVerify)()
		return nil, verifyHTML(ctx, env, cfg, v, artifacts)
	}
	endVerify := core.StartPhase(rec, core.PhaseVerify)
	report, err := v.Verify(ctx, artifacts)
	if err != nil {
		return nil, err
	}
	endVerify()
	if images != nil {
		images.rename(report)
	}
	if store != nil {
		store.label(report)
	}
	relativize(env, report)
	endWrite := core.StartPhase(rec, core.PhaseWrite)
	if err := writeReport(env, cfg.Output, func(w io.Writer) error { return verify.Render(w, report, format) }); err != nil {
		return report, err
	}
	endWrite()
	if cfg.VSAOutput != "" {
		defer core.StartPhase(rec, core.PhaseSign)()
		if _, err := writeVSA(ctx, env, cfg, report); err != nil {
			return report, err
		}
	}
	return report, verdictError(report)
}

// verdictError is nil when every artifact verified, else exit status 1 with the count.
func verdictError(report *verify.Report) error {
	if !report.Verified {
		return &ExitError{Code: 1, Err: fmt.Errorf("verification failed: %d of %d artifact(s) rejected",
			report.Summary.Failed, report.Summary.Total)}
	}
	return nil
}

// buildVerifier loads trust (parsed once), compiles the policy and opens the bundle source.
func buildVerifier(ctx context.Context, env Env, cfg verifyConfig, store *storeSource) (*verify.Verifier, error) {
	policy, err := compilePolicy(env, cfg)
	if err != nil {
		return nil, err
	}
	src := cfg.source
	if src == nil && store != nil {
		src = store
	}
	if src == nil {
		if src, err = bundleSource(env, cfg); err != nil {
			return nil, err
		}
	}
	sv, err := loadVerifier(ctx, env, cfg)
	if err != nil {
		return nil, err
	}
	opts := []verify.Option{verify.WithFieldNames(flagName(cfg.PolicyFile))}
	if cfg.Workers > 0 {
		opts = append(opts, verify.WithWorkers(cfg.Workers))
	}
	return verify.New(verify.Sigstore(sv), policy, src, opts...)
}

// ownerPolicy defaults the identity policy of --owner OWNER, as gh's --owner does: the GitHub
// Actions issuer and a source repository of the owner. Flags already given stand.
func ownerPolicy(cfg verifyConfig) verifyConfig {
	id := &cfg.Policy.Identity
	if cfg.Owner == "" {
		return cfg
	}
	if id.Issuer == "" && id.IssuerRegexp == "" {
		id.Issuer = verify.GitHubIssuer
	}
	if id.SourceRepository == "" {
		id.SourceRepository = "https://github.com/" + cfg.Owner + "/*"
	}
	return cfg
}

// compilePolicy merges the policy file and the flags, and fails closed without an identity.
func compilePolicy(env Env, cfg verifyConfig) (*verify.Compiled, error) {
	p := verify.Policy{}
	if cfg.PolicyFile != "" {
		var err error
		if p, err = verify.ReadPolicy(inDir(env, cfg.PolicyFile)); err != nil {
			return nil, &ExitError{Code: 2, Err: fmt.Errorf("--policy: %w", err)}
		}
	}
	flags := cfg.Policy
	if !cfg.typeFlag {
		flags.Provenance.PredicateType = "" // the flag's default is no requirement: the policy defaults it
	}
	var opts []verify.CompileOption
	switch {
	case cfg.PublicKey != "" || cfg.TrustedKeys != "":
		opts = append(opts, verify.WithTrustedKey())
	case cfg.Sigstore == "local" && cfg.TrustedRoot == "":
		opts = append(opts, verify.WithDefaultIdentity(verify.LocalDefault()))
	}
	c, err := p.Merge(flags).Compile(opts...)
	if err == nil {
		return c, nil
	}
	msg := err.Error()
	var pe *verify.PolicyError
	if errors.As(err, &pe) {
		msg = pe.Describe(flagName(cfg.PolicyFile))
	}
	if errors.Is(err, verify.ErrNoIdentityPolicy) {
		msg += "; " + errIdentityFlags
	}
	return nil, &ExitError{Code: 2, Err: errors.New(msg)}
}

// loadVerifier reads the trusted root once: --trusted-root, else --sigstore's.
func loadVerifier(ctx context.Context, env Env, cfg verifyConfig) (*sigstore.Verifier, error) {
	var opts []sigstore.VerifyOption
	if cfg.Policy.RequireTlog {
		opts = append(opts, sigstore.WithRequireTlog())
	}
	switch {
	case cfg.PublicKey != "" && cfg.TrustedKeys != "":
		return nil, &ExitError{Code: 2, Err: errors.New("give --public-key or --trusted-keys, not both")}
	case cfg.PublicKey != "":
		pub, err := loadPublicKey(ctx, env, cfg.PublicKey)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sigstore.WithPublicKey(pub))
	case cfg.TrustedKeys != "":
		ts, err := sigstore.LoadTrustedKeys(inDir(env, cfg.TrustedKeys))
		if err != nil {
			return nil, fmt.Errorf("--trusted-keys: %w", err)
		}
		opts = append(opts, sigstore.WithTrustedKeys(ts))
	}
	mat, err := loadTrustedRoot(ctx, env, cfg)
	if err != nil {
		return nil, err
	}
	return sigstore.NewVerifier(mat.TrustedRoot, opts...)
}

// keyArg resolves a key flag's value against the command's directory when it is a file path;
// a KMS or HSM reference is kept as given.
func keyArg(env Env, arg string) string {
	if ref, err := keys.Parse(arg); err == nil && !ref.IsFile() {
		return arg
	}
	return inDir(env, arg)
}

// loadPublicKey reads --public-key: a PEM file, or the public key of a KMS or HSM key.
func loadPublicKey(ctx context.Context, env Env, arg string) (crypto.PublicKey, error) {
	ref, err := keys.Parse(arg)
	if err != nil {
		return nil, fmt.Errorf("--public-key: %w", err)
	}
	if !ref.IsFile() {
		pub, err := keys.PublicKey(ctx, ref, keyOptions(env)...)
		if err != nil {
			return nil, fmt.Errorf("--public-key: %w", err)
		}
		return pub, nil
	}
	pem, err := os.ReadFile(inDir(env, arg))
	if err != nil {
		return nil, fmt.Errorf("reading --public-key %q: %w", arg, err)
	}
	pub, err := sigstore.ParsePublicKey(pem)
	if err != nil {
		return nil, fmt.Errorf("--public-key %q: %w", arg, err)
	}
	return pub, nil
}

func loadTrustedRoot(ctx context.Context, env Env, cfg verifyConfig) (*sigstore.Material, error) {
	var path, what string
	switch {
	case cfg.TrustedRoot != "":
		if cfg.sigstoreFlag {
			return nil, &ExitError{Code: 2, Err: errors.New("give --trusted-root or --sigstore, not both")}
		}
		path, what = inDir(env, cfg.TrustedRoot), "--trusted-root"
	case cfg.Sigstore == "local":
		dir := cfg.StateDir
		if dir == "" {
			dir = defaultStateDir(env)
		}
		path, what = filepath.Join(inDir(env, dir), sigstore.TrustedRootFile), "--sigstore local"
	case cfg.Sigstore == "public" || cfg.Sigstore == "":
		mat, err := sigstore.LoadPublic(ctx, tufCacheDir(env))
		if err != nil {
			return nil, fmt.Errorf("--sigstore public: %w", err)
		}
		return mat, nil
	case cfg.Sigstore == "github":
		mat, err := sigstore.LoadGitHub(ctx, tufCacheDir(env))
		if err != nil {
			return nil, fmt.Errorf("--sigstore github: %w", err)
		}
		return mat, nil
	default:
		path, what = filepath.Join(inDir(env, cfg.Sigstore), sigstore.TrustedRootFile), "--sigstore "+cfg.Sigstore
	}
	mat, err := sigstore.LoadTrustedRoot(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return mat, nil
}

// bundleSource picks where bundles come from: --index, or --bundle files and directories.
func bundleSource(env Env, cfg verifyConfig) (verify.Source, error) {
	switch {
	case cfg.Index != "" && len(cfg.Bundles) > 0:
		return nil, &ExitError{Code: 2, Err: errors.New("give --index or --bundle, not both")}
	case cfg.Index != "":
		return verify.OpenIndex(inDir(env, cfg.Index))
	case len(cfg.Bundles) == 0:
		return nil, &ExitError{Code: 2, Err: errors.New("no bundles: pass --bundle FILE|DIR, --index attestations/index.json, " +
			"or --github OWNER/REPO (or --owner OWNER) alone to fetch them from GitHub's attestation store")}
	}
	var files verify.Files
	var dirs []verify.Source
	for _, b := range cfg.Bundles {
		p := inDir(env, b)
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--bundle %q: %w", b, err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		d, err := verify.OpenDir(p)
		if err != nil {
			return nil, fmt.Errorf("--bundle %q: %w", b, err)
		}
		dirs = append(dirs, d)
	}
	return verify.Sources(append(dirs, files)...), nil
}

// inDir resolves a relative path against the command's directory.
func inDir(env Env, p string) string {
	if p == "" || filepath.IsAbs(p) || env.Dir == "" {
		return p
	}
	return filepath.Join(env.Dir, p)
}

// relativize shows bundle paths relative to the command's directory, as the user gave them.
func relativize(env Env, r *verify.Report) {
	if env.Dir == "" {
		return
	}
	rel := relPath(env)
	for _, a := range r.Artifacts {
		a.Bundle = rel(a.Bundle)
		for i := range a.Rejected {
			a.Rejected[i].Bundle = rel(a.Rejected[i].Bundle)
		}
	}
}

// writeVSA signs a Verification Summary Attestation of the report as attest signs: keylessly
// through the same session (token file, SIGSTORE_ID_TOKEN, the platform's token, or the local
// Sigstore), or with --key.
func writeVSA(ctx context.Context, env Env, cfg verifyConfig, r *verify.Report) (*core.Bundle, error) {
	trust := cfg.Sigstore
	if cfg.TrustedRoot != "" && !cfg.sigstoreFlag {
		trust = filepath.Dir(inDir(env, cfg.TrustedRoot))
	}
	s, err := openSession(ctx, env, attestConfig{Sigstore: trust, StateDir: cfg.StateDir, KeyFile: keyArg(env, cfg.VSAKey), TokenFile: inDir(env, cfg.TokenFile)})
	if err != nil {
		return nil, fmt.Errorf("--vsa-output: %w", err)
	}
	defer s.Close()
	b, err := verify.WriteVSA(ctx, s.signer, r, verify.VSAOptions{Version: version(), ResourceURI: cfg.ResourceURI,
		PolicyURI: cfg.PolicyFile}, inDir(env, cfg.VSAOutput))
	if err != nil {
		return nil, fmt.Errorf("--vsa-output %q: %w", cfg.VSAOutput, err)
	}
	return b, nil
}

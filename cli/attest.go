package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
	"github.com/signet-ci/signet/sbom"
)

// attestConfig is one attest run as the command line, or a platform adapter, describes it.
type attestConfig struct {
	Inputs      core.Inputs
	Dir         string // base directory for subject names
	Algorithm   string
	MaxSubjects int
	OutputDir   string
	Force       bool
	Sigstore    string // public | local | DIR
	StateDir    string // local Sigstore state
	Token       string
	TokenFile   string
	KeyFile     string
	// KeyFrom names where KeyFile came from in errors: "--key", or a platform's input
	// ("input key (INPUT_KEY)").
	KeyFrom     string
	SBOMFormats []string
	// SBOMFileDigests puts a digest of every cataloged file in the SBOMs (large documents).
	SBOMFileDigests bool
	Materials       []string
	Platform        string // auto | local | github | gitlab | tekton
	NoProvenance    bool
	PredType        string
	PredFile        string
	PredJSON        []byte // the predicate given inline by a platform input, instead of PredFile
	PrivateTlog     bool
	// Upload names a store to upload the bundles to after they are written ("github").
	Upload string
	Tekton provenance.TektonParams
	// PlatformToken is the CI platform's own identity token, the last place the identity may
	// come from (see session.identity).
	PlatformToken core.TokenSource
	// PlatformTokenFrom names the platform's token in errors.
	PlatformTokenFrom string
	// Images are --image references; ImagePlatforms is --image-platforms.
	Images         []string
	ImagePlatforms string
	// PushToRegistry is --push-to-registry.
	PushToRegistry bool
	// Registries are the platform's registry credentials (ci.Plan.Registries).
	Registries []ci.RegistryCredential
	// instances loads the named Sigstore instances (zero: from their TUF repositories).
	instances instances
	// platformAuto records that the platform was detected, not chosen: a CI-shaped token then
	// decides it, since the token is signed and the environment is not.
	platformAuto bool
	Metrics      metricsConfig
	recorder     core.Recorder // times the run's phases when Metrics asks; nil otherwise
}

// sigstoreUsed names the --sigstore value as an outcome reports it.
func sigstoreUsed(flag string) string {
	switch flag {
	case "", "public":
		return "public"
	case "local", "github":
		return flag
	}
	if abs, err := filepath.Abs(flag); err == nil {
		return abs
	}
	return flag
}

func newAttestCmd(env Env) *cobra.Command {
	cfg := attestConfig{}
	var format string
	cmd := &cobra.Command{
		Use:   "attest [PATH|GLOB|DIR]...",
		Short: "Digest build outputs, write SLSA provenance (and SBOMs) and sign them into Sigstore bundles",
		Long: `attest digests every build output, builds an in-toto Statement v1 with SLSA v1.0 provenance for
the platform it runs on, obtains ONE signing certificate for the run, signs every statement, and
writes Sigstore bundles (v0.3) and an index to --output-dir.

Identity token: --identity-token, --identity-token-file (re-read at use), SIGSTORE_ID_TOKEN, or the
platform's own (GitHub Actions, GitLab id_tokens, a Tekton projected token). With --sigstore local and
no token, a token is minted by the embedded local Sigstore.`,
		Example: `  signet attest --sigstore local ./dist
  signet attest 'dist/**/*.tar.gz' --subject-checksums SHA256SUMS --sbom spdx-json,cyclonedx-json
  signet attest --subject ghcr.io/org/app@sha256:<hex> --sigstore ./private-sigstore`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Inputs.Paths = args
			return attestOnPlatform(cmd.Context(), env, cfg, format)
		},
	}
	f := cmd.Flags()
	addMetricsFlags(f, &cfg.Metrics)
	f.StringArrayVar(&cfg.Inputs.ChecksumFiles, "subject-checksums", nil, "sha256sum/shasum output file whose lines are subjects (repeatable)")
	f.StringArrayVar(&cfg.Inputs.Refs, "subject", nil, "subject given by digest, NAME@sha256:HEX (repeatable)")
	f.StringArrayVar(&cfg.Images, "image", nil, "container image subject REGISTRY/REPOSITORY:TAG or @sha256:HEX, resolved to its digest once through the registry (repeatable)")
	f.StringVar(&cfg.ImagePlatforms, "image-platforms", "", "all: also sign each platform manifest of a multi-platform --image index as a subject")
	f.BoolVar(&cfg.PushToRegistry, "push-to-registry", false, "attach each bundle that names an --image to it in the registry, as an OCI referrer")
	f.StringVar(&cfg.Algorithm, "digest-algorithm", core.SHA256, "digest for files: sha256 or sha512")
	f.IntVar(&cfg.MaxSubjects, "max-subjects", core.DefaultMaxSubjects, "subjects per statement; more are split into several statements signed with the same certificate")
	f.StringVar(&cfg.OutputDir, "output-dir", "attestations", "directory for bundles, SBOMs and index.json")
	f.BoolVar(&cfg.Force, "force", false, "replace files already present in --output-dir (other files in it are kept)")
	f.StringVar(&cfg.Sigstore, "sigstore", "auto", "Sigstore to use: auto (github for a private or internal GitHub repository, by the verified token; public otherwise), public (public-good instance, with Rekor), github (GitHub's instance, no public log), local (embedded), or a directory with trusted_root.json and signing_config.json")
	f.StringVar(&cfg.StateDir, "state-dir", "", "state directory of the local Sigstore (default: $XDG_STATE_HOME/signet/localsigstore)")
	f.StringVar(&cfg.Token, "identity-token", "", "OIDC identity token (prefer --identity-token-file or SIGSTORE_ID_TOKEN: flags show in process lists)")
	f.StringVar(&cfg.TokenFile, "identity-token-file", "", "file holding the OIDC identity token, re-read when used")
	f.StringVar(&cfg.KeyFile, "key", "", "private key to sign without Fulcio: a PEM file (ECDSA P-256 or Ed25519), or a KMS/HSM key that never leaves it: awskms://, gcpkms://, azurekms://, hashivault://, pkcs11: (docs/keys.md)")
	f.StringSliceVar(&cfg.SBOMFormats, "sbom", nil, "also generate and sign SBOMs: spdx-json, cyclonedx-json (comma list)")
	f.BoolVar(&cfg.SBOMFileDigests, "sbom-file-digests", false, "with --sbom, record a digest of every file inside each output (documents get much larger)")
	f.StringArrayVar(&cfg.Materials, "material", nil, "resolved dependency URI@ALG:HEX recorded in the provenance (repeatable)")
	f.StringVar(&cfg.Platform, "platform", "auto", "build platform for provenance: auto, local, github, gitlab or tekton")
	f.BoolVar(&cfg.NoProvenance, "no-provenance", false, "do not sign SLSA provenance (with --predicate-type or --sbom)")
	f.StringVar(&cfg.PredType, "predicate-type", "", "also sign a custom predicate of this type (with --predicate)")
	f.StringVar(&cfg.PredFile, "predicate", "", "JSON file holding the custom predicate")
	f.BoolVar(&cfg.PrivateTlog, "private-repo-tlog", false, "log attestations of private or internal repositories in the transparency log too (off: timestamp only)")
	f.StringVar(&cfg.Upload, "upload", "", "after writing, upload every bundle to a store: github (the attestation store of GITHUB_REPOSITORY, with GH_TOKEN or GITHUB_TOKEN)")
	f.StringVar(&format, "format", "text", "report format: text or json")
	return cmd
}

// attestOnPlatform runs attest through the platform's adapter, if the run is on a CI platform.
func attestOnPlatform(ctx context.Context, env Env, cfg attestConfig, format string) error {
	platform, err := resolvePlatform(env, cfg.Platform)
	if err != nil {
		return err
	}
	cfg.platformAuto = cfg.Platform == "auto" || cfg.Platform == ""
	cfg.Platform = string(platform)
	store, err := uploadTarget(env, cfg.Upload)
	if err != nil {
		return err
	}
	ad := adapterFor(env, platform)
	if ad == nil {
		res, err := runAttest(ctx, env, cfg, nil)
		if err != nil {
			return withAttestAdvice(err)
		}
		if err := uploadRun(ctx, store, res); err != nil {
			return err
		}
		return reportAttest(env.Stdout, format, res)
	}
	res, err := attestWith(ctx, env, cfg, ad)
	if err == nil {
		err = uploadRun(ctx, store, res)
	}
	if err != nil {
		ad.Fail(err)
		return err
	}
	return reportAttest(env.Stdout, format, res)
}

// attestWith runs attest as the adapter's platform describes it and publishes the outcome.
func attestWith(ctx context.Context, env Env, cfg attestConfig, ad adapter) (*ci.Outcome, error) {
	plan, err := ad.Plan(ctx)
	if err != nil {
		return nil, err
	}
	cfg.apply(plan)
	res, err := runAttest(ctx, env, cfg, ad.Check)
	if err != nil {
		return nil, err
	}
	if err := ad.Publish(ctx, *res); err != nil {
		return nil, err
	}
	return res, nil
}

// withAttestAdvice adds to a library error of a local attest run what its user can do, in the
// command's flags. (On a CI platform the adapter's Fail says it in the platform's inputs.)
func withAttestAdvice(err error) error {
	var exists *core.ExistsError
	var limit *sbom.LimitError
	switch {
	case errors.As(err, &exists):
		return fmt.Errorf("%w; pass --force to replace it or choose another --output-dir", err)
	case errors.As(err, &limit):
		return fmt.Errorf("%w; the SBOMs attest signs are cataloged within fixed limits", err)
	}
	return err
}

// resolvePlatform maps --platform (auto detects from the environment) to a provenance platform.
func resolvePlatform(env Env, flag string) (provenance.Platform, error) {
	switch flag {
	case "auto", "":
		return provenance.Detect(env.Getenv), nil
	case "local":
		return provenance.Local, nil
	case "github":
		return provenance.GitHub, nil
	case "gitlab":
		return provenance.GitLab, nil
	case "tekton":
		return provenance.Tekton, nil
	}
	return "", fmt.Errorf("--platform %q: expected auto, local, github, gitlab or tekton", flag)
}

// attestOnce is runAttest without the metrics file.
func attestOnce(ctx context.Context, env Env, cfg attestConfig, check func([]core.Subject) error) (*ci.Outcome, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	dir := cfg.Dir
	if dir == "" {
		dir = env.Dir
	}
	col, err := core.NewCollector(orDot(dir), core.WithAlgorithm(cfg.Algorithm), core.WithOutputDir(cfg.OutputDir), core.WithRecorder(cfg.recorder))
	if err != nil {
		return nil, err
	}
	outDir := cfg.OutputDir
	if !filepath.IsAbs(outDir) {
		outDir = filepath.Join(col.Base(), outDir)
	}
	if err := checkOutputDir(cfg.OutputDir, outDir, col.Base()); err != nil {
		return nil, err
	}
	// Every refusal about the subjects comes before the output directory, the token or any
	// Sigstore service is touched.
	endResolve := core.StartPhase(cfg.recorder, core.PhaseCollect) // --image references: collecting subjects
	images, err := cfg.resolveImages(ctx)
	endResolve()
	if err != nil {
		return nil, err
	}
	subjects, err := col.Collect(ctx, cfg.Inputs)
	if err != nil {
		return nil, err
	}
	var pusher core.Pusher
	if cfg.PushToRegistry {
		if pusher, err = newImagePusher(images.reg, images, subjects); err != nil {
			return nil, err
		}
	}
	if check != nil {
		if err := check(subjects); err != nil {
			return nil, err
		}
	}
	endSetup := core.StartPhase(cfg.recorder, core.PhaseSetup)
	out, err := core.NewOutput(outDir, cfg.Force)
	if err != nil {
		return nil, fmt.Errorf("--output-dir %q: %w", cfg.OutputDir, err)
	}
	for _, d := range out.Recovered() {
		fmt.Fprintf(env.Stderr, "signet: removed %s, left by an interrupted run\n", core.PrintableName(d))
	}
	sess, err := openSession(ctx, env, cfg)
	if err != nil {
		return nil, withSigstoreAdvice(cfg.Sigstore, err)
	}
	defer sess.Close()
	cfg.Platform = string(platformFromToken(cfg, sess.claims))
	req, err := buildRequest(ctx, env, cfg, sess, col.Base(), subjects)
	if err != nil {
		return nil, err
	}
	endSetup()
	req.Recorder = cfg.recorder
	req.Pusher = pusher
	if req.SBOM != nil && len(images.images) > 0 {
		req.SBOM = &imageSBOMs{SBOMGenerator: req.SBOM, reg: images.reg, set: images}
	}
	pub, pubPEM, err := sess.verifyKey(outDir, cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	if pubPEM != nil {
		// The public key file is the run's output too: an existing one is refused before
		// anything is signed, as the bundles are (unless --force).
		if err := out.Check(PublicKeyFile); err != nil {
			return nil, fmt.Errorf("--output-dir %q: %w", cfg.OutputDir, err)
		}
	}
	ix, err := core.Attest(ctx, sess.signer, out, req)
	if err != nil {
		return nil, withSigstoreAdvice(sess.sigstore, err)
	}
	if err := publishPublicKey(pub, pubPEM); err != nil {
		return nil, err
	}
	noCT := sess.material != nil && len(sess.material.TrustedRoot.CTLogs()) == 0
	var visibility string
	if sess.claims != nil {
		visibility = sess.claims.Visibility()
	}
	return &ci.Outcome{Index: ix, Dir: col.Base(), OutputDir: outDir, Subjects: subjects, Sigstore: sigstoreUsed(sess.sigstore),
		NoCTLog: noCT, Visibility: visibility, PublicKey: pub}, nil
}

// checkOutputDir refuses an output directory that is, or contains, the base directory: a run
// publishes by replacing the output directory as a whole.
func checkOutputDir(flag, outDir, base string) error {
	real, err := filepath.EvalSymlinks(outDir)
	if err != nil {
		return nil // not there yet: it cannot contain the base
	}
	rel, err := filepath.Rel(real, base)
	if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("--output-dir %q is or contains the working directory %q: give a directory of its own "+
			"(each run replaces it as a whole), such as the default \"attestations\"", flag, base)
	}
	return nil
}

// platformFromToken lets a GitHub- or GitLab-shaped token decide a detected local platform: a
// local predicate signed by a CI identity would contradict its own certificate.
func platformFromToken(cfg attestConfig, claims *provenance.Claims) provenance.Platform {
	p := provenance.Platform(cfg.Platform)
	if !cfg.platformAuto || p != provenance.Local || claims == nil {
		return p
	}
	if tp := claims.Platform(); tp == provenance.GitHub || tp == provenance.GitLab {
		return tp
	}
	return p
}

func (c *attestConfig) validate() error {
	if c.MaxSubjects < 1 {
		return fmt.Errorf("--max-subjects %d: expected a positive number", c.MaxSubjects)
	}
	formats, err := core.CheckSBOMFormats(c.SBOMFormats)
	if err != nil {
		return fmt.Errorf("--sbom: %w", err)
	}
	c.SBOMFormats = formats
	if (c.PredType == "") != (c.PredFile == "" && c.PredJSON == nil) {
		return errors.New("--predicate-type and --predicate go together: give both or neither")
	}
	if c.NoProvenance && c.PredType == "" && len(c.SBOMFormats) == 0 {
		return errors.New("--no-provenance leaves nothing to sign: add --predicate-type/--predicate or --sbom")
	}
	if c.Token != "" && c.TokenFile != "" {
		return errors.New("--identity-token and --identity-token-file: give one, not both")
	}
	if err := checkImagePlatforms(c.ImagePlatforms, len(c.Images)); err != nil {
		return err
	}
	switch c.Platform {
	case "auto", "local", "github", "gitlab", "tekton":
	default:
		return fmt.Errorf("--platform %q: expected auto, local, github, gitlab or tekton", c.Platform)
	}
	return nil
}

func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

func reportAttest(w io.Writer, format string, res *ci.Outcome) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res.Index)
	case "text", "":
	default:
		return fmt.Errorf("--format %q: expected text or json", format)
	}
	ix := res.Index
	who := "a key"
	if ix.Signer != nil {
		who = core.PrintableName(ix.Signer.Subject)
		if ix.Signer.Issuer != "" {
			who += " (issuer " + core.PrintableName(ix.Signer.Issuer) + ")"
		}
	}
	fmt.Fprintf(w, "signed %d subject(s) into %d bundle(s) as %s\n", len(ix.Subjects), len(ix.Attestations), who)
	for _, a := range ix.Attestations {
		fmt.Fprintf(w, "  %s  %s  %d subject(s)%s\n", core.PrintableName(a.Bundle), core.PrintableName(a.PredicateType), a.SubjectCount, logNote(a))
		for _, p := range a.Pushed {
			fmt.Fprintf(w, "    pushed to %s@%s (%s, %s)\n", core.PrintableName(p.Repository), p.Manifest, core.PrintableName(p.Method), p.SubjectDigest)
		}
		if s := a.Store; s != nil {
			fmt.Fprintf(w, "    stored in %s's attestation store: %s\n", core.PrintableName(s.Name), core.PrintableName(s.URL))
		}
	}
	fmt.Fprintf(w, "transparency log %s\nindex: %s\n", core.PrintableName(ci.TlogText(ix.Tlog)), core.PrintableName(filepath.Join(res.OutputDir, core.IndexFile)))
	return nil
}

// logNote lists a bundle's proofs (ci.Proofs), with the log's search page when it has one.
func logNote(a core.IndexAttestation) string {
	var parts []string
	for _, p := range ci.Proofs(a) {
		if p.URL != "" {
			parts = append(parts, p.Text+" "+p.URL)
			continue
		}
		parts = append(parts, p.Text)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

// readPredicate reads a custom predicate file, which must hold a JSON object.
func readPredicate(typ, path string) (*core.Predicate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading --predicate file %q: %w", path, err)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("--predicate file %q: expected a JSON object: %w", path, err)
	}
	return &core.Predicate{Type: typ, JSON: b}, nil
}

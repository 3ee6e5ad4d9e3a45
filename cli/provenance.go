package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// certExtensions returns the extensions of the certificate that will sign the run.
type certExtensions func(ctx context.Context) (certificate.Extensions, error)

// extensioner is implemented by signers that can show their certificate before signing.
type extensioner interface {
	Extensions(ctx context.Context) (certificate.Extensions, error)
}

// expectedFrom predicts the extensions from the claims as public Fulcio's templates do; it
// serves when no certificate is at hand (signet provenance).
func expectedFrom(claims *provenance.Claims) certExtensions {
	return func(context.Context) (certificate.Extensions, error) {
		return provenance.ExpectedExtensions(claims), nil
	}
}

// provenanceSource builds the platform's provenance context from the verified claims and the
// environment, adds --material values, and checks the predicate against the signing
// certificate's extensions before anything is signed.
func provenanceSource(ctx context.Context, env Env, cfg attestConfig, claims *provenance.Claims, base string, ext certExtensions) (core.ProvenanceSource, error) {
	materials := make([]provenance.Material, 0, len(cfg.Materials))
	for _, m := range cfg.Materials {
		mat, err := provenance.ParseMaterial(m)
		if err != nil {
			return nil, fmt.Errorf("--material: %w", err)
		}
		materials = append(materials, mat)
	}
	bc, err := buildContext(ctx, env, provenance.Platform(cfg.Platform), cfg, claims, base)
	if err != nil {
		return nil, err
	}
	bc.WithMaterials(materials)
	if claims == nil {
		return bc, nil
	}
	if tp := claims.Platform(); bc.Platform() == provenance.Local && (tp == provenance.GitHub || tp == provenance.GitLab) {
		return nil, fmt.Errorf("--platform local with a %s identity token: the certificate will name the %s pipeline "+
			"(%s), which local provenance cannot describe, so verification would reject it; use --platform %s (or auto)",
			tp, tp, claims.Subject(), tp)
	}
	if bc.Platform() == provenance.Local {
		return bc, nil
	}
	return consistent{bc, ext}, nil
}

func buildContext(ctx context.Context, env Env, p provenance.Platform, cfg attestConfig, claims *provenance.Claims, base string) (provenance.BuildContext, error) {
	needClaims := func() error {
		if claims == nil {
			return fmt.Errorf("%s provenance needs the pipeline's OIDC identity token; key-based signing (--key) cannot describe a %s build", p, p)
		}
		return nil
	}
	switch p {
	case provenance.GitHub:
		if err := needClaims(); err != nil {
			return nil, err
		}
		return provenance.NewGitHub(claims, env.Getenv)
	case provenance.GitLab:
		if err := needClaims(); err != nil {
			return nil, err
		}
		return provenance.NewGitLab(claims, env.Getenv)
	case provenance.Tekton:
		if err := needClaims(); err != nil {
			return nil, err
		}
		return provenance.NewTekton(claims, cfg.Tekton)
	case provenance.Local, "":
		return provenance.NewLocal(ctx, base, version())
	}
	return nil, errors.New("unknown platform " + string(p))
}

// consistent wraps a build context with the pre-signing consistency check against the
// extensions of the certificate that signs the run.
type consistent struct {
	provenance.BuildContext
	ext certExtensions
}

// Provenance builds the predicate and refuses one that contradicts the signing certificate.
func (c consistent) Provenance(ctx context.Context, run core.Run) (core.Predicate, error) {
	p, err := c.BuildContext.Provenance(ctx, run)
	if err != nil {
		return p, err
	}
	want, err := c.ext(ctx)
	if err != nil {
		return p, err
	}
	return p, provenance.CheckConsistency(p, want)
}

func newProvenanceCmd(env Env) *cobra.Command {
	cfg := attestConfig{}
	cmd := &cobra.Command{
		Use:   "provenance",
		Short: "Print the SLSA provenance predicate for the current environment, without signing",
		Long: `provenance prints the predicate signet attest would sign here, to debug a pipeline. On a CI
platform it verifies the identity token first (from the same places attest reads it), since every
platform fact comes from the verified token; locally it reads the git state of the directory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return printProvenance(cmd.Context(), env, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Platform, "platform", "auto", "auto, local, github, gitlab or tekton")
	f.StringVar(&cfg.TokenFile, "identity-token-file", "", "file holding the OIDC identity token")
	f.StringArrayVar(&cfg.Materials, "material", nil, "resolved dependency URI@ALG:HEX (repeatable)")
	return cmd
}

func printProvenance(ctx context.Context, env Env, cfg attestConfig) error {
	platform, err := resolvePlatform(env, cfg.Platform)
	if err != nil {
		return err
	}
	cfg.Platform = string(platform)
	if ad := adapterFor(env, platform); ad != nil {
		plan, err := ad.Plan(ctx)
		if err != nil {
			ad.Fail(err)
			return err
		}
		cfg.apply(plan)
	}
	var claims *provenance.Claims
	if platform != provenance.Local {
		s := &session{}
		if err := s.identity(ctx, env, cfg); err != nil {
			return err
		}
		claims = s.claims
	}
	src, err := provenanceSource(ctx, env, cfg, claims, orDot(firstNonEmpty(cfg.Dir, env.Dir)), expectedFrom(claims))
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	p, err := src.Provenance(ctx, core.Run{StartedOn: now, FinishedOn: now})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, p.JSON, "", "  "); err != nil {
		return fmt.Errorf("formatting the predicate: %w", err)
	}
	out.WriteByte('\n')
	_, err = env.Stdout.Write(out.Bytes())
	return err
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

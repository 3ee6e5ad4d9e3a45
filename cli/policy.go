package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/policy"
	"github.com/signet-ci/signet/verify"
)

// addPolicyFlags adds the identity and provenance policy flags verify and policy export share.
func addPolicyFlags(f *pflag.FlagSet, file *string, p *verify.Policy) {
	id, prov := &p.Identity, &p.Provenance
	f.StringVar(file, "policy", "", "YAML or JSON policy file (docs/policy.schema.json); flags override its fields")
	f.StringVar(&id.Issuer, "certificate-oidc-issuer", "", "OIDC issuer the certificate must name, exact")
	f.StringVar(&id.IssuerRegexp, "certificate-oidc-issuer-regexp", "", "regular expression ^...$ the whole OIDC issuer must match; its scheme and host must be literal")
	f.StringVar(&id.Subject, "certificate-identity", "", "identity (certificate SAN) the certificate must name, exact")
	f.StringVar(&id.SubjectRegexp, "certificate-identity-regexp", "", "regular expression ^...$ the whole identity (certificate SAN) must match; it must fix the owner (^https://github\\.com/ORG/.*$) or the email domain (^.*@example\\.com$)")
	f.StringVar(&id.SourceRepository, "source-repository", "", "source repository URI the certificate must name (https://github.com/OWNER/REPO), exact or glob after OWNER/")
	f.StringVar(&id.SourceRef, "source-ref", "", "source ref the certificate must name: a full ref (refs/tags/v*) or a branch name (main = refs/heads/main); glob")
	f.StringVar(&id.SourceDigest, "source-digest", "", "source commit the certificate must name")
	f.StringVar(&id.SignerWorkflow, "signer-workflow", "", "build signer the certificate must name: OWNER/REPO/.github/workflows/FILE[@REF] (GitLab GROUP/PROJECT//PATH), or a path in --github/--gitlab's repository; glob")
	f.StringVar(&id.RunnerEnvironment, "runner-environment", "", "runner environment the certificate must name (github-hosted, gitlab-hosted), or !VALUE to deny one (!self-hosted)")
	f.StringVar(&id.Trigger, "trigger", "", "build trigger the certificate must name (push, release, web, ...), exact or glob")
	f.StringVar(&id.GitHub, "github", "", "shorthand: GitHub Actions issuer and source repository https://github.com/OWNER/REPO")
	f.StringVar(&id.GitLab, "gitlab", "", "shorthand: GitLab issuer and source repository GROUP/PROJECT on --gitlab-url")
	f.StringVar(&id.GitLabURL, "gitlab-url", "", "GitLab instance for --gitlab (default https://gitlab.com)")
	f.StringVar(&id.KubernetesNamespace, "kubernetes-namespace", "", "shorthand with --service-account: a Kubernetes service-account identity")
	f.StringVar(&id.ServiceAccount, "service-account", "", "Kubernetes service account for --kubernetes-namespace")
	f.StringVar(&prov.PredicateType, "type", core.ProvenancePredicateType, "predicate type the bundles must carry")
	f.StringVar(&prov.BuilderID, "builder-id", "", "runDetails.builder.id the provenance must name, exact or glob")
	f.StringVar(&prov.BuildType, "build-type", "", "buildDefinition.buildType the provenance must name, exact or glob")
	f.BoolVar(&p.RequireTlog, "require-tlog", false, "require a transparency-log entry, not only a signed timestamp")
}

// policyExportConfig is one policy export as the command line describes it.
type policyExportConfig struct {
	PolicyFile string
	Policy     verify.Policy
	Format     string
	Name       string
	Images     []string
	Output     string
	typeFlag   bool
}

func newPolicyCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Turn a verify policy into the admission policies of a Kubernetes cluster",
	}
	cmd.AddCommand(newPolicyExportCmd(env))
	return cmd
}

func newPolicyExportCmd(env Env) *cobra.Command {
	cfg := policyExportConfig{}
	cmd := &cobra.Command{
		Use:   "export --format policy-controller|kyverno --image PATTERN (verify's policy flags | --policy FILE)",
		Short: "Write the verify policy as a policy-controller ClusterImagePolicy or a Kyverno ClusterPolicy",
		Long: `export reads the same identity and provenance policy signet verify takes (--policy FILE and the
same flags, merged and checked the same way) and writes it as the cluster resource of an admission
controller, so the rule checked in CI is the rule the cluster admits: a sigstore policy-controller
ClusterImagePolicy (--format policy-controller) or a Kyverno ClusterPolicy with a verifyImages rule
(--format kyverno), both for public-good Sigstore.

A requirement the controller cannot check exactly is refused by name, never weakened: policy-controller
checks only the certificate's issuer and SAN (so --github, --source-ref and the like are refused; a whole
--signer-workflow is the SAN of GitHub and GitLab certificates); Kyverno also checks GitHub's source
repository, ref, commit and trigger exactly, but no globs there. docs/verify.md lists every case.
Exit status 2 when the policy cannot be expressed.`,
		Example: `  signet policy export --format policy-controller --image 'ghcr.io/org/app*' \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --signer-workflow 'org/app/.github/workflows/release.yml@refs/tags/v*'
  signet policy export --format kyverno --image 'ghcr.io/org/app*' --github org/app --source-ref main --output policy.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.typeFlag = cmd.Flags().Changed("type")
			return runPolicyExport(env, cfg)
		},
	}
	f := cmd.Flags()
	addPolicyFlags(f, &cfg.PolicyFile, &cfg.Policy)
	f.StringVar(&cfg.Format, "format", "", "policy-controller (ClusterImagePolicy) or kyverno (ClusterPolicy)")
	f.StringArrayVar(&cfg.Images, "image", nil, "image reference pattern the policy applies to, e.g. ghcr.io/org/app* (repeatable, required)")
	f.StringVar(&cfg.Name, "name", "signet-provenance", "name of the cluster resource")
	f.StringVar(&cfg.Output, "output", "", "write the resource to this file instead of standard output")
	return cmd
}

func runPolicyExport(env Env, cfg policyExportConfig) error {
	format, err := policy.ParseFormat(cfg.Format)
	if err != nil {
		return &ExitError{Code: 2, Err: fmt.Errorf("--%w", err)}
	}
	c, err := compilePolicy(env, verifyConfig{PolicyFile: cfg.PolicyFile, Policy: cfg.Policy, typeFlag: cfg.typeFlag})
	if err != nil {
		return err
	}
	opts := policy.Options{Name: cfg.Name, Images: cfg.Images}
	err = writeReport(env, cfg.Output, func(w io.Writer) error { return policy.Export(w, c, format, opts) })
	var ie *policy.InexpressibleError
	var oe *policy.OptionError
	switch {
	case errors.As(err, &ie):
		return &ExitError{Code: 2, Err: errors.New(ie.Describe(flagName(cfg.PolicyFile)))}
	case errors.As(err, &oe):
		return &ExitError{Code: 2, Err: fmt.Errorf("--%w", oe)}
	}
	return err
}

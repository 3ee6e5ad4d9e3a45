package verify

import (
	"fmt"
	"strings"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// maxCommandWords bounds the signet command shown (10,000 artifact names are not a command
// anyone copies).
const maxCommandWords = 80

// githubIssuer is GitHub Actions' OIDC issuer, the one gh attestation verify expects.
const githubIssuer = "https://token.actions.githubusercontent.com"

// commands are the shell commands that reproduce the check: signet's own, then gh's and
// cosign's for one verified file. Every value is quoted for a POSIX shell and escaped.
func commands(r *Report, o HTMLOptions) []commandView {
	args := o.Command
	if len(args) == 0 {
		args = policyArgs(r)
	}
	line := shellLine(append([]string{"signet", "verify"}, args[:min(len(args), maxCommandWords)]...))
	if more := len(args) - maxCommandWords; more > 0 {
		line = fmt.Sprintf("# shortened: add the other %d argument(s) (the artifacts as given)\n", more) + line
	}
	out := []commandView{{Tool: "signet", Text: line}}
	a := example(r)
	if a == nil {
		return out
	}
	pt := r.PredicateType
	if s := a.Signer; s != nil {
		if s.Issuer == githubIssuer || (a.Provenance != nil && a.Provenance.Platform == string(provenance.GitHub)) {
			repo := strings.TrimPrefix(s.SourceRepository, "https://github.com/")
			gh := []string{"gh", "attestation", "verify", a.Name, "--bundle", a.Bundle}
			if repo != "" && repo != s.SourceRepository {
				gh = append(gh, "--repo", repo)
			}
			gh = append(gh, "--cert-identity", s.Identity)
			if s.Issuer != githubIssuer {
				gh = append(gh, "--cert-oidc-issuer", s.Issuer)
			}
			if o.TrustedRoot != "" {
				gh = append(gh, "--custom-trusted-root", o.TrustedRoot)
			}
			out = append(out, commandView{Tool: "gh", Text: shellLine(gh)})
		}
	}
	cosign := []string{"cosign", "verify-blob-attestation", "--bundle", a.Bundle, "--type", pt}
	if s := a.Signer; s != nil {
		cosign = append(cosign, "--certificate-identity", s.Identity, "--certificate-oidc-issuer", s.Issuer)
	} else if o.PublicKey != "" {
		cosign = append(cosign, "--key", o.PublicKey)
	} else {
		return out
	}
	if o.TrustedRoot != "" {
		cosign = append(cosign, "--trusted-root", o.TrustedRoot)
	}
	cosign = append(cosign, "--use-signed-timestamps")
	if len(a.LogEntries) == 0 {
		cosign = append(cosign, "--insecure-ignore-tlog")
	}
	cosign = append(cosign, a.Name)
	return append(out, commandView{Tool: "cosign", Text: shellLine(cosign)})
}

// example is the first verified artifact given as a file (not NAME@sha256 or a bare digest).
func example(r *Report) *Result {
	for _, a := range r.Artifacts {
		if a.Verified && a.Bundle != "" && !strings.Contains(a.Name, "@sha") && !strings.HasPrefix(a.Name, "sha") {
			return a
		}
	}
	return nil
}

// policyArgs writes the applied policy as signet verify flags, with the artifacts and their
// bundles, when the caller did not give the command line.
func policyArgs(r *Report) []string {
	p := r.Policy
	var args []string
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	id := p.Identity
	add("--certificate-oidc-issuer", id.Issuer)
	add("--certificate-oidc-issuer-regexp", id.IssuerRegexp)
	add("--certificate-identity", id.Subject)
	add("--certificate-identity-regexp", id.SubjectRegexp)
	add("--source-repository", id.SourceRepository)
	add("--source-ref", id.SourceRef)
	add("--source-digest", id.SourceDigest)
	add("--signer-workflow", id.SignerWorkflow)
	add("--runner-environment", id.RunnerEnvironment)
	add("--trigger", id.Trigger)
	add("--builder-id", p.Provenance.BuilderID)
	add("--build-type", p.Provenance.BuildType)
	if p.Provenance.PredicateType != "" && p.Provenance.PredicateType != "https://slsa.dev/provenance/v1" {
		add("--type", p.Provenance.PredicateType)
	}
	if p.RequireTlog {
		args = append(args, "--require-tlog")
	}
	seen := map[string]bool{}
	for _, a := range r.Artifacts {
		if a.Bundle != "" && !seen[a.Bundle] {
			seen[a.Bundle] = true
			add("--bundle", a.Bundle)
		}
	}
	for _, a := range r.Artifacts {
		args = append(args, a.Name)
	}
	return args
}

// shellLine quotes each word for a POSIX shell and joins them, one flag and value per line.
func shellLine(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			if strings.HasPrefix(w, "--") && i > 2 {
				b.WriteString(" \\\n  ")
			} else {
				b.WriteString(" ")
			}
		}
		b.WriteString(core.ShellQuote(w))
	}
	return b.String()
}

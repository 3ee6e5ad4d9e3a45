package action

import (
	"fmt"
	"path"
	"strings"

	"github.com/signet-ci/signet/core"
)

// provenanceType is the SLSA predicate type gh attestation verify checks by default.
const provenanceType = "https://slsa.dev/provenance/v1"

// verify is the summary's section with commands a release manager can copy.
func (s summary) verify() string {
	var b strings.Builder
	b.WriteString("\n### Verify\n\nWith signet, offline:\n\n```sh\n")
	b.WriteString(s.signetCommand())
	b.WriteString("```\n")
	file, bundle := s.provenanceExample()
	if file == "" {
		return b.String()
	}
	fmt.Fprintf(&b, "\nThe same check for %s with the GitHub CLI, then with cosign:\n\n```sh\n", code(file))
	b.WriteString(s.ghCommand(file, bundle))
	b.WriteString("\n")
	b.WriteString(s.cosignCommand(file, bundle))
	b.WriteString("```\n")
	return b.String()
}

func (s summary) signetCommand() string {
	args := []string{"signet verify"}
	if s.Sigstore != "public" && s.Sigstore != "" {
		args = append(args, "--sigstore "+shellQuote(s.Sigstore))
	}
	args = append(args, "--index "+shellQuote(path.Join(s.OutDir, core.IndexFile)))
	args = append(args, s.identityFlags("--certificate-identity", "--certificate-oidc-issuer")...)
	arts := s.Artifacts
	more := 0
	if len(arts) > maxVerifyFiles {
		arts, more = arts[:maxVerifyFiles], len(arts)-maxVerifyFiles
	}
	for _, a := range arts {
		args = append(args, shellQuote(a))
	}
	cmd := strings.Join(args, " \\\n  ") + "\n"
	if more > 0 {
		cmd = fmt.Sprintf("# the first %d subjects are named; add the other %d (files, or NAME@sha256:HEX)\n", maxVerifyFiles, more) + cmd
	}
	return cmd
}

func (s summary) ghCommand(file, bundle string) string {
	args := []string{"gh attestation verify " + shellQuote(file), "--bundle " + shellQuote(bundle),
		"--repo " + shellQuote(s.Run.Repository)}
	if id := s.Index.Signer; id != nil && id.Issuer != "" && id.Issuer != GitHubIssuer {
		args = append(args, "--cert-oidc-issuer "+shellQuote(id.Issuer))
	}
	if root := s.trustedRoot(); root != "" {
		args = append(args, "--custom-trusted-root "+shellQuote(root))
	}
	return strings.Join(args, " \\\n  ") + "\n"
}

func (s summary) cosignCommand(file, bundle string) string {
	args := []string{"cosign verify-blob-attestation --bundle " + shellQuote(bundle), "--type " + provenanceType}
	args = append(args, s.identityFlags("--certificate-identity", "--certificate-oidc-issuer")...)
	if root := s.trustedRoot(); root != "" {
		args = append(args, "--trusted-root "+shellQuote(root))
	}
	args = append(args, "--use-signed-timestamps")
	if !s.Index.Tlog.Used {
		args = append(args, "--insecure-ignore-tlog")
	}
	args = append(args, shellQuote(file))
	return strings.Join(args, " \\\n  ") + "\n"
}

func (s summary) identityFlags(identity, issuer string) []string {
	id := s.Index.Signer
	if id == nil || id.Issuer == "" {
		return nil
	}
	return []string{identity + " " + shellQuote(id.Subject), issuer + " " + shellQuote(id.Issuer)}
}

func (s summary) trustedRoot() string {
	if s.Sigstore == "public" || s.Sigstore == "" {
		return ""
	}
	return path.Join(s.Sigstore, "trusted_root.json")
}

// provenanceExample picks the first file subject and its provenance bundle.
func (s summary) provenanceExample() (file, bundle string) {
	files := make(map[string]bool, len(s.Files))
	for _, f := range s.Files {
		files[f] = true
	}
	types := make(map[string]string, len(s.Index.Attestations))
	for _, a := range s.Index.Attestations {
		types[a.Bundle] = a.PredicateType
	}
	for _, sub := range s.Index.Subjects {
		if !files[sub.Name] {
			continue
		}
		for _, b := range sub.Bundles {
			if types[b] == provenanceType {
				return sub.Name, path.Join(s.OutDir, b)
			}
		}
	}
	return "", ""
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

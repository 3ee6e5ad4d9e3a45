package ci

import (
	"path/filepath"
	"strings"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// TrustedRootJSONL is the file the printed commands put a private Sigstore's trusted root in:
// one JSON line, which both gh attestation verify --custom-trusted-root (JSON Lines, one root
// a line) and cosign --trusted-root read.
const TrustedRootJSONL = "trusted_root.jsonl"

// Command is a command line a report prints for a user to copy: a program, its arguments, and
// flags kept with their values so a layout can break lines between them.
type Command struct {
	groups [][]string
}

// NewCommand starts a command with its program and subcommands, such as "signet", "verify".
func NewCommand(words ...string) *Command { return &Command{groups: [][]string{words}} }

// Add appends one group of words that belong together, such as a flag and its value.
func (c *Command) Add(words ...string) *Command {
	c.groups = append(c.groups, words)
	return c
}

// Argv returns the command's words unquoted, as a program receives them.
func (c *Command) Argv() []string {
	var out []string
	for _, g := range c.groups {
		out = append(out, g...)
	}
	return out
}

// String returns the command on one line, every word quoted for a POSIX shell.
func (c *Command) String() string { return c.Lines(" ") }

// Lines returns the command with its groups joined by sep, such as " \\\n  " for one flag a
// line, every word quoted for a POSIX shell.
func (c *Command) Lines(sep string) string {
	parts := make([]string, len(c.groups))
	for i, g := range c.groups {
		q := make([]string, len(g))
		for j, w := range g {
			q[j] = ShellQuote(w)
		}
		parts[i] = strings.Join(q, " ")
	}
	return strings.Join(parts, sep)
}

// ShellQuote quotes s as one shell word: core.ShellQuote, the one quoting rule of every
// command signet prints.
func ShellQuote(s string) string { return core.ShellQuote(s) }

// private reports whether the run used a Sigstore other than the public-good instance.
func (o Outcome) private() bool { return o.Sigstore != "" && o.Sigstore != "public" }

// sigstoreArg is the --sigstore value a verifier passes: "local", "github", or the directory
// relative to the workspace.
func (o Outcome) sigstoreArg() string {
	if o.Sigstore == "local" || o.Sigstore == "github" {
		return o.Sigstore
	}
	return o.Rel(o.Sigstore)
}

// VerifyCommand is the signet verify command for the run: its Sigstore, the index, the exact
// signer identity, and at most max artifacts; more is how many were left out.
func (o Outcome) VerifyCommand(max int) (cmd *Command, more int) {
	cmd = NewCommand("signet", "verify")
	if o.private() {
		cmd.Add("--sigstore", o.sigstoreArg())
	}
	cmd.Add("--index", o.IndexPath())
	if o.PublicKey != "" {
		cmd.Add("--public-key", o.PublicKeyArg())
	} else {
		o.addIdentity(cmd, "--certificate-identity", "--certificate-oidc-issuer")
	}
	arts := o.Artifacts()
	if len(arts) > max {
		arts, more = arts[:max], len(arts)-max
	}
	for _, a := range arts {
		cmd.Add(a.Arg)
	}
	return cmd, more
}

// PublicKeyArg is the --public-key (cosign's --key) a verifier passes: the public key file
// relative to the workspace, or the KMS or HSM reference as the run printed it.
func (o Outcome) PublicKeyArg() string {
	if filepath.IsAbs(o.PublicKey) {
		return o.Rel(o.PublicKey)
	}
	return o.PublicKey
}

// addIdentity adds the signer's exact certificate identity and issuer, when the run was
// keyless.
func (o Outcome) addIdentity(cmd *Command, identity, issuer string) {
	if id := o.Index.Signer; id != nil && id.Issuer != "" {
		cmd.Add(identity, id.Subject).Add(issuer, id.Issuer)
	}
}

// TrustedRootCommand writes the private Sigstore's trusted root to TrustedRootJSONL for gh and
// cosign; ok is false for the public-good instance, which both know.
func (o Outcome) TrustedRootCommand() (cmd *Command, ok bool) {
	if !o.private() {
		return nil, false
	}
	return NewCommand("signet", "sigstore", "trusted-root").Add("--sigstore", o.sigstoreArg()).Add("--output", TrustedRootJSONL), true
}

// GhVerifies reports whether gh attestation verify can check the run's bundles. For a
// public-good certificate (issuer organisation "sigstore.dev") gh requires an SCT, a
// transparency log entry and an observer timestamp, with or without --custom-trusted-root: a
// public-good run that skipped the log (a private repository without --private-repo-tlog) has
// no gh command that passes.
//
// gh checks certificates only: it cannot check a key-signed run.
func (o Outcome) GhVerifies() bool {
	return o.PublicKey == "" && (o.private() || (o.Index != nil && o.Index.Tlog.Used))
}

// GhCommand is the gh attestation verify command for file and its provenance bundle (both
// relative to the workspace), signed in the GitHub repository repo (OWNER/REPO).
func (o Outcome) GhCommand(file, bundle, repo string) *Command {
	cmd := NewCommand("gh", "attestation", "verify", file).Add("--bundle", bundle).Add("--repo", repo)
	if id := o.Index.Signer; id != nil && id.Issuer != "" && id.Issuer != provenance.GitHubIssuer {
		cmd.Add("--cert-oidc-issuer", id.Issuer)
	}
	if o.private() && o.Sigstore != "github" { // gh ships the trusted root of GitHub's instance
		cmd.Add("--custom-trusted-root", TrustedRootJSONL)
	}
	return cmd
}

// CosignCommand is the cosign verify-blob-attestation command for file and its provenance
// bundle (both relative to the workspace).
func (o Outcome) CosignCommand(file, bundle string) *Command {
	cmd := NewCommand("cosign", "verify-blob-attestation").Add("--bundle", bundle).Add("--type", ProvenanceType)
	if o.PublicKey != "" {
		cmd.Add("--key", o.PublicKeyArg())
	} else {
		o.addIdentity(cmd, "--certificate-identity", "--certificate-oidc-issuer")
	}
	if o.private() {
		cmd.Add("--trusted-root", TrustedRootJSONL)
	}
	if o.NoCTLog && o.PublicKey == "" {
		cmd.Add("--insecure-ignore-sct") // cosign requires an SCT unless told there is none to check
	}
	cmd.Add("--use-signed-timestamps")
	if !o.Index.Tlog.Used {
		cmd.Add("--insecure-ignore-tlog")
	}
	return cmd.Add(file)
}

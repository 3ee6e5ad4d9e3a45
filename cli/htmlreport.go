package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/verify"
)

// parseFormat reads --format: the report formats, and html.
func parseFormat(s string) (verify.Format, error) {
	if s == string(verify.FormatHTML) {
		return verify.FormatHTML, nil
	}
	f, err := verify.ParseFormat(s)
	if err != nil {
		return "", fmt.Errorf("--format: %w (or html)", err)
	}
	return f, nil
}

// writeReport writes a report to --output, atomically, or to standard output.
func writeReport(env Env, output string, render func(io.Writer) error) error {
	if output == "" {
		return render(env.Stdout)
	}
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	if err := core.WriteFileAtomic(inDir(env, output), buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--output %q: %w", output, err)
	}
	return nil
}

// verifyHTML verifies keeping the evidence the page shows (certificate validity, the SBOMs
// verified against the same identity), writes the VSA first when asked so the page shows it,
// then writes the page.
func verifyHTML(ctx context.Context, env Env, cfg verifyConfig, v *verify.Verifier, artifacts []core.Subject) error {
	report, ev, err := v.VerifyWithEvidence(ctx, artifacts)
	if err != nil {
		return err
	}
	relativize(env, report)
	if env.Dir != "" {
		ev.MapPaths(relPath(env))
	}
	o := verify.HTMLOptions{Evidence: ev, Command: cfg.command, Version: version(), PublicKey: cfg.PublicKey, TrustedRoot: trustedRootPath(env, cfg)}
	if cfg.VSAOutput != "" {
		b, err := writeVSA(ctx, env, cfg, report)
		if err != nil {
			return err
		}
		o.VSA = &verify.VSAFile{Path: cfg.VSAOutput, Bundle: b.JSON}
	}
	if err := writeReport(env, cfg.Output, func(w io.Writer) error { return verify.RenderHTML(w, report, o) }); err != nil {
		return err
	}
	return verdictError(report)
}

// trustedRootPath is the trusted_root.json gh and cosign need for a trust other than public-good.
func trustedRootPath(env Env, cfg verifyConfig) string {
	switch {
	case cfg.TrustedRoot != "":
		return cfg.TrustedRoot
	case cfg.Sigstore == "local":
		dir := cfg.StateDir
		if dir == "" {
			dir = defaultStateDir(env)
		}
		return filepath.Join(dir, sigstore.TrustedRootFile)
	case cfg.Sigstore != "public" && cfg.Sigstore != "":
		return filepath.Join(cfg.Sigstore, sigstore.TrustedRootFile)
	}
	return ""
}

// reportOnlyFlags change where and how the report is written, not what is checked.
var reportOnlyFlags = map[string]bool{"format": true, "output": true, "vsa-output": true, "key": true,
	"identity-token-file": true, "resource-uri": true, "workers": true}

// checkArgs are the flags given that decide the check, in the command's words, so the report
// can print the command that reproduces it.
func checkArgs(fs *pflag.FlagSet) []string {
	var out []string
	fs.Visit(func(f *pflag.Flag) {
		if reportOnlyFlags[f.Name] {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				out = append(out, "--"+f.Name, v)
			}
			return
		}
		if f.Value.Type() == "bool" {
			out = append(out, "--"+f.Name+map[bool]string{true: "", false: "=false"}[f.Value.String() == "true"])
			return
		}
		out = append(out, "--"+f.Name, f.Value.String())
	})
	return out
}

// relPath shows a path relative to the command's directory, as the user gave it.
func relPath(env Env) func(string) string {
	return func(p string) string {
		if q, err := filepath.Rel(env.Dir, p); err == nil && filepath.IsAbs(p) {
			return filepath.ToSlash(q)
		}
		return p
	}
}

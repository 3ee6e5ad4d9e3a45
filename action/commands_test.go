package action_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/cli"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/shellwords"
	"github.com/signet-ci/signet/localsigstore"
)

// fenced is a fenced code block of a Markdown document.
type fenced struct{ info, body string }

// markdownFences splits a Markdown document as CommonMark does into its backtick-fenced code
// blocks and the lines outside them. A fence opens with 3 or more backticks (up to 3 spaces
// indented) and closes with a line of at least as many backticks and nothing else.
func markdownFences(t *testing.T, md string) (blocks []fenced, outside []string) {
	t.Helper()
	var open string
	var cur fenced
	var body strings.Builder
	for _, l := range strings.SplitAfter(md, "\n") {
		line := strings.TrimSuffix(l, "\n")
		rest := strings.TrimLeft(line, " ")
		indented := len(line)-len(rest) > 3
		ticks := len(rest) - len(strings.TrimLeft(rest, "`"))
		switch {
		case open == "" && !indented && ticks >= 3:
			open, cur = rest[:ticks], fenced{info: strings.TrimSpace(rest[ticks:])}
			body.Reset()
		case open == "":
			outside = append(outside, line)
		case !indented && ticks >= len(open) && strings.TrimSpace(rest[ticks:]) == "":
			cur.body = body.String()
			blocks, open = append(blocks, cur), ""
		default:
			body.WriteString(l)
		}
	}
	if open != "" {
		t.Fatalf("a code block fenced with %s never closes", open)
	}
	return blocks, outside
}

// summaryCommands returns every command in the summary's sh blocks, split into words; comment
// lines and blank lines between commands are skipped.
func summaryCommands(t *testing.T, summary string) [][]string {
	t.Helper()
	var cmds [][]string
	blocks, _ := markdownFences(t, summary)
	for _, block := range blocks {
		if block.info != "sh" {
			continue
		}
		var cur strings.Builder
		for _, line := range strings.SplitAfter(block.body, "\n") {
			if cur.Len() == 0 && (strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#")) {
				continue
			}
			cur.WriteString(line)
			if strings.HasSuffix(line, "\\\n") {
				continue
			}
			words, err := shellwords.Split(cur.String())
			if errors.Is(err, shellwords.ErrIncomplete) {
				continue // a quoted word spans lines
			}
			if err != nil {
				t.Fatalf("summary command %q: %v", cur.String(), err)
			}
			cmds = append(cmds, words)
			cur.Reset()
		}
		if cur.Len() > 0 {
			t.Fatalf("a command continues past its block: %q", cur.String())
		}
	}
	return cmds
}

// TestSummaryCommandsRunAsPrinted signs in-process as a GitHub step with SBOMs on and a private
// Sigstore in a directory whose name needs quoting, then takes every command from the job
// summary as a shell would split it and runs it from the workspace as a release manager would:
// signet's with signet, gh's through the emulation of gh v2.83.0 (ghVerify). Each negative
// control shows the emulation refuses what gh refuses.
func TestSummaryCommandsRunAsPrinted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ss, err := localsigstore.Start(ctx, localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	ep := newTokenEndpoint(t, ss)
	_, meta := readActionYAML(t)
	claims := localsigstore.DefaultClaims(localsigstore.PresetGitHub)
	const sigstoreDir = "private sigstore"
	st := newStep(t, ss, ep, meta, claims, map[string]string{
		"subject-path": "dist/a b'c.bin\ndist/app.tar.gz", "sbom": "spdx-json", "sigstore": sigstoreDir,
	})
	writeFiles(t, st.ws, map[string]string{"dist/a b'c.bin": "an artifact whose name needs quoting"})
	if err := ss.WriteConfig(filepath.Join(st.ws, sigstoreDir)); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Run(ctx, []string{"attest"}, cli.Env{Getenv: envOf(st.env), Stdout: &stdout, Stderr: &stderr, Dir: st.ws}); code != 0 {
		t.Fatalf("attest exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}

	// Bug a: with SBOMs on, bundle-path names the provenance bundle, not the first bundle.
	outs := parseOutputs(t, st.env["GITHUB_OUTPUT"])
	ix, err := core.ReadIndex(filepath.Join(st.ws, outs["index-path"]))
	if err != nil {
		t.Fatal(err)
	}
	if ix.Attestations[0].PredicateType == ci.ProvenanceType {
		t.Fatalf("the first bundle is the provenance: the test cannot tell bundle-path's bundles apart")
	}
	var types []string
	for _, a := range ix.Attestations {
		if "attestations/"+a.Bundle == outs["bundle-path"] {
			types = append(types, a.PredicateType)
		}
	}
	if !slices.Equal(types, []string{ci.ProvenanceType}) {
		t.Errorf("bundle-path %q holds %q, want the SLSA provenance", outs["bundle-path"], types)
	}

	summary := readFile(t, st.env["GITHUB_STEP_SUMMARY"])
	cmds := summaryCommands(t, summary)
	var programs []string
	for _, c := range cmds {
		programs = append(programs, strings.Join(c[:min(3, len(c))], " "))
	}
	// A release manager's shell: no runner variables, no token.
	home := t.TempDir()
	rm := cli.Env{Getenv: envOf(map[string]string{"HOME": home}), Dir: st.ws}
	var gh []string
	for _, c := range cmds {
		switch c[0] {
		case "signet":
			var out, errb bytes.Buffer
			rm.Stdout, rm.Stderr = &out, &errb
			if code := cli.Run(ctx, c[1:], rm); code != 0 {
				t.Errorf("%q, as the summary prints it, exited %d:\n%s\n%s", c, code, out.String(), errb.String())
			}
		case "gh":
			gh = c
			if err := ghVerify(st.ws, c); err != nil {
				t.Errorf("%q, as the summary prints it, fails as gh v2.83.0: %v", c, err)
			}
		case "cosign":
			// cosign itself runs in the tier-3 tests; here its files must exist as named, and
			// as the local Sigstore has no CT log, cosign must be told not to require an SCT.
			if !slices.Contains(c, "--insecure-ignore-sct") {
				t.Errorf("%q: without --insecure-ignore-sct cosign refuses a certificate without SCT", c)
			}
			for i, w := range c[:len(c)-1] {
				if w == "--bundle" || w == "--trusted-root" {
					if _, err := os.Stat(filepath.Join(st.ws, c[i+1])); err != nil {
						t.Errorf("cosign's %s %q: %v", w, c[i+1], err)
					}
				}
			}
			if _, err := os.Stat(filepath.Join(st.ws, c[len(c)-1])); err != nil {
				t.Errorf("cosign's artifact %q: %v", c[len(c)-1], err)
			}
		}
	}
	// Checked after running them, so a missing command does not hide a failing one.
	want := []string{"signet verify --sigstore", "signet sigstore trusted-root", "gh attestation verify", "cosign verify-blob-attestation --bundle"}
	if !slices.Equal(programs, want) {
		t.Fatalf("the summary's commands start %q, want %q:\n%s", programs, want, summary)
	}
	if gh[3] != "dist/a b'c.bin" {
		t.Errorf("gh verifies %q; want the subject whose name needs quoting", gh[3])
	}

	// The emulation is not hollow: what gh refuses, it refuses.
	root := readFile(t, filepath.Join(st.ws, sigstoreDir, "trusted_root.json"))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(root), "", "  "); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(root)); err != nil {
		t.Fatal(err)
	}
	other, err := localsigstore.Start(ctx, localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	if err := other.WriteConfig(filepath.Join(st.ws, "other")); err != nil {
		t.Fatal(err)
	}
	var otherLine bytes.Buffer
	if err := json.Compact(&otherLine, []byte(readFile(t, filepath.Join(st.ws, "other", "trusted_root.json")))); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, st.ws, map[string]string{
		"pretty.json":       pretty.String() + "\n",
		"no-newline.jsonl":  compact.String(),
		"other.jsonl":       otherLine.String() + "\n",
		"both.jsonl":        compact.String() + "\n" + otherLine.String() + "\n",
		"other-first.jsonl": otherLine.String() + "\n" + compact.String() + "\n",
		"tampered.bin":      "an artifact whose name needs quoting!",
	})
	with := func(flag, value string) []string {
		c := slices.Clone(gh)
		i := slices.Index(c, flag)
		if i < 0 {
			t.Fatalf("the gh command has no %s", flag)
		}
		c[i+1] = value
		return c
	}
	artifact := slices.Clone(gh)
	artifact[3] = "tampered.bin"
	for _, neg := range []struct {
		name string
		cmd  []string
		says string
	}{
		{"the pretty-printed trusted_root.json the summary used to name", with("--custom-trusted-root", sigstoreDir+"/trusted_root.json"), "no custom verifier found"},
		{"a pretty-printed root ending in a newline", with("--custom-trusted-root", "pretty.json"), "failed to create custom verifier"},
		{"one line without its newline", with("--custom-trusted-root", "no-newline.jsonl"), "no custom verifier found"},
		{"another Sigstore's root", with("--custom-trusted-root", "other.jsonl"), "verifying with issuer"},
		{"gh takes the first root of the issuer's organisation", with("--custom-trusted-root", "other-first.jsonl"), "verifying with issuer"},
		{"another repository", with("--repo", "signet-ci/other"), "verifying with issuer"},
		{"another repository owner", with("--repo", "signet-cj/signet-demo"), "verifying with issuer"},
		{"another issuer", with("--cert-oidc-issuer", ghDefaultIssuer), "expected Issuer"},
		{"a modified artifact", artifact, "verifying with issuer"},
	} {
		if err := ghVerify(st.ws, neg.cmd); err == nil || !strings.Contains(err.Error(), neg.says) {
			t.Errorf("%s: the gh emulation returned %v, want a refusal saying %q", neg.name, err, neg.says)
		}
	}
	// Several roots, one a line: the first of the bundle CA's organisation is used.
	if err := ghVerify(st.ws, with("--custom-trusted-root", "both.jsonl")); err != nil {
		t.Errorf("two roots, one a line: %v", err)
	}
}

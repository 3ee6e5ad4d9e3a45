package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
)

// treeHash hashes every name, type, permission, symlink target and content under dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			lines = append(lines, p+" error "+err.Error())
			return nil
		}
		fi, _ := d.Info()
		line := fmt.Sprintf("%s %v", p, fi.Mode())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			sum := sha256.Sum256(b)
			line += " " + hex.EncodeToString(sum[:])
		}
		lines = append(lines, line)
		return nil
	})
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// attestRefusal is an input attest refuses: how to make it, the arguments, what stderr says.
type attestRefusal struct {
	name  string
	setup func(t *testing.T, dir string)
	args  []string
	want  []string
	// certOK: the refusal comes after the token is read (planning, before signing).
	certOK bool
}

// TestAttestRefusals: every refusal of ambiguous or unsafe input names the inputs at fault, in
// the flags' words, before a token is used or Fulcio is asked for a certificate, and leaves the
// output directory (holding a previous complete run) byte-for-byte as it was.
func TestAttestRefusals(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	tok := ss.tokenFile(t, localsigstore.PresetGitHub)
	h := func(s string) string { return sha256Hex(s) }
	file := func(name, body string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []attestRefusal{
		{"checksums file names a path twice", file("SHA256SUMS", h("archive")+"  dist/app.tar.gz\n"+h("x")+"  other\n"+h("evil")+"  dist/app.tar.gz\n"),
			[]string{"--subject-checksums", "SHA256SUMS"}, []string{`"dist/app.tar.gz"`, "SHA256SUMS:1", "SHA256SUMS:3", "conflicting digests"}, false},
		{"checksum line against a file subject", file("SHA256SUMS", h("evil")+"  dist/app.tar.gz\n"),
			[]string{"dist", "--subject-checksums", "SHA256SUMS"}, []string{`file "dist/app.tar.gz"`, "SHA256SUMS:1"}, false},
		{"--subject against a file subject", nil,
			[]string{"dist", "--subject", "dist/app.tar.gz@sha256:" + h("evil")}, []string{`file "dist/app.tar.gz"`, `--subject "dist/app.tar.gz@sha256:` + h("evil")}, false},
		{"dot-dot in a checksums file", file("SHA256SUMS", h("x")+"  ../../etc/passwd\n"),
			[]string{"--subject-checksums", "SHA256SUMS"}, []string{"SHA256SUMS:1", `"../../etc/passwd"`, `".." leaves`}, false},
		{"absolute name in a checksums file", file("SHA256SUMS", h("x")+"  /etc/shadow\n"),
			[]string{"--subject-checksums", "SHA256SUMS"}, []string{"SHA256SUMS:1", `"/etc/shadow": absolute path`}, false},
		{"absolute --subject", nil, []string{"--subject", "/etc/shadow@sha256:" + h("x")}, []string{`--subject "/etc/shadow@sha256:`, "absolute path"}, false},
		{"escape sequence in a checksums name", file("SHA256SUMS", h("x")+"  app\x1b]0;pwned\x07.bin\n"),
			[]string{"--subject-checksums", "SHA256SUMS"}, []string{`"app\x1b]0;pwned\a.bin"`}, false},
		{"newline in a file name", file("dist/evil\nname", "x"), []string{"dist"}, []string{`"dist/evil\nname"`}, false},
		{"bidi override in a file name", file("dist/invoice\u202egpj.exe", "x"), []string{"dist"}, []string{`"dist/invoice\u202egpj.exe"`}, false},
		{"subject inside the output directory", nil, []string{"attestations/index.json"},
			[]string{`"attestations/index.json"`, "inside the output directory"}, false},
		{"output directory containing the working directory", nil, []string{"dist", "--output-dir", "."},
			[]string{`--output-dir "."`, "contains the working directory"}, false},
		{"SBOM names differing only in case", file("dist/APP.TAR.GZ", "other"), []string{"dist", "--sbom", "cyclonedx-json"},
			[]string{"output file names collide", "dist_APP.TAR.GZ.cdx.json.sigstore.json", "dist_app.tar.gz.cdx.json.sigstore.json", "letter case"}, true},
	}
	tests = append(tests, fifoRefusals()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { // serial: the Fulcio request counter is shared
			dir := workspace(t)
			if o, e, c := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file", tok, "dist"); c != 0 {
				t.Fatalf("first run exit %d: %s%s", c, o, e)
			}
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before := treeHash(t, filepath.Join(dir, "attestations"))
			fulcio := ss.Requests("fulcio")
			tokenFile := filepath.Join(t.TempDir(), "token")
			os.WriteFile(tokenFile, []byte(mustRead(t, tok)), 0o600)
			args := append([]string{"attest", "--sigstore", ss.Dir, "--identity-token-file", tokenFile, "--force"}, tt.args...)
			if !tt.certOK {
				// a token file that is not there: reading the token would fail with another error
				args[4] = tokenFile + ".missing"
			}
			out, errOut, code := run(t, dir, nil, args...)
			if code == 0 {
				t.Fatalf("attest accepted it:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not say %q", errOut, w)
				}
			}
			if strings.ContainsAny(errOut, "\x1b\x07\u202e") || strings.Contains(errOut, "evil\nname") {
				t.Errorf("stderr prints a name raw: %q", errOut)
			}
			if after := treeHash(t, filepath.Join(dir, "attestations")); after != before {
				t.Error("the output directory changed on a refused run")
			}
			if got := ss.Requests("fulcio") - fulcio; got != 0 && !tt.certOK {
				t.Errorf("%d Fulcio requests before the refusal", got)
			}
		})
	}
}

// TestAttestReportEscapesNames: attest's own report shows control characters escaped.
func TestAttestReportEscapesNames(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	res := &ci.Outcome{OutputDir: "out\x1b[2J", Index: &core.Index{
		Signer:       &core.Identity{Subject: "a\x1b]0;x\x07@example.com", Issuer: "https://issuer\u202e"},
		Attestations: []core.IndexAttestation{{Bundle: "provenance.sigstore.json", PredicateType: "t\n"}},
	}}
	if err := reportAttest(&b, "text", res); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07\u202e") || strings.Contains(b.String(), "t\n ") {
		t.Errorf("report prints control characters raw: %q", b.String())
	}
	for _, w := range []string{`"a\x1b]0;x\a@example.com"`, `"https://issuer\u202e"`, `out\x1b[2J`} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("report %q does not show %s", b.String(), w)
		}
	}
}

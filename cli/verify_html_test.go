package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyHTMLReport attests with SBOMs through the local Sigstore, then writes the HTML
// report with a VSA: the page shows the verdict, the verified SBOM, the VSA and the exact
// command; a tampered artifact gives exit status 1 and a page that says FAIL; inspect writes
// the unverified view.
func TestVerifyHTMLReport(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	vars := map[string]string{"XDG_STATE_HOME": t.TempDir(), "HOME": t.TempDir()}
	if out, errOut, code := run(t, dir, vars, "attest", "--sigstore", "local", "--sbom", "spdx-json", "dist"); code != 0 {
		t.Fatalf("attest exit %d: %s%s", code, out, errOut)
	}
	args := []string{"verify", "--sigstore", "local", "--index", "attestations/index.json", "--format", "html",
		"--output", "report.html", "dist/app.tar.gz", "dist/app-linux-amd64"}
	out, errOut, code := run(t, dir, vars, append(args, "--vsa-output", "vsa.sigstore.json")...)
	if code != 0 || out != "" {
		t.Fatalf("verify exit %d, stdout %q: %s", code, out, errOut)
	}
	page := readText(t, filepath.Join(dir, "report.html"))
	for _, want := range []string{"PASS: all 2 artifact(s) verified", "What is inside: SBOMs (2, verified)", "SPDX SBOM of",
		"Verification Summary Attestation", "PASSED",
		"signet verify --index attestations/index.json \\\n  --sigstore local dist/app.tar.gz dist/app-linux-amd64",
		"Content-Security-Policy"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html does not contain %q", want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "dist", "app.tar.gz"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run(t, dir, vars, args...)
	page = readText(t, filepath.Join(dir, "report.html"))
	if code != 1 || !strings.Contains(page, "FAIL: 1 of 2 artifact(s) rejected") || !strings.Contains(page, "The artifact is not the one that was signed") {
		t.Errorf("tampered: exit %d (want 1), %s%s", code, out, errOut)
	}
	out, errOut, code = run(t, dir, vars, "inspect", "--format", "html", "--output", "claims.html", "attestations/index.json")
	claims := readText(t, filepath.Join(dir, "claims.html"))
	if code != 0 || !strings.Contains(claims, "NOT VERIFIED: what 4 bundle(s) claim") {
		t.Errorf("inspect html exit %d: %s%s", code, out, errOut)
	}
	for _, bad := range [][]string{{"verify", "--sigstore", "local", "--index", "attestations/index.json", "--format", "htm", "dist/app.tar.gz"},
		{"inspect", "--format", "markdown", "attestations/index.json"}} {
		out, errOut, code := run(t, dir, vars, bad...)
		if code == 0 || !strings.Contains(out+errOut, "--format") {
			t.Errorf("%v: exit %d: %s%s", bad, code, out, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing-dir")); err == nil {
		t.Fatal("unexpected directory")
	}
	out, errOut, code = run(t, dir, vars, append(args[:len(args)-2:len(args)-2], "--output", "missing-dir/report.html", "dist/app-linux-amd64")...)
	if code == 0 || !strings.Contains(errOut, `--output "missing-dir/report.html"`) {
		t.Errorf("unwritable --output: exit %d: %s%s", code, out, errOut)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// TestIndexClaimsAreNotSubjects edits what is unsigned (the index) or breaks what is signed
// (the statement) so that an evil file would be found through the index: every time the
// evil file is refused, because artifacts are matched against the subjects of the verified
// DSSE payload, never against the index or an unverified copy of the statement.
func TestIndexClaimsAreNotSubjects(t *testing.T) {
	t.Parallel()
	f := local(t)
	evil := []byte("evil build output")
	sum := sha256.Sum256(evil)
	evilDigest := fmt.Sprintf("%x", sum)
	for _, tt := range []struct {
		name string
		edit func(t *testing.T, r *attestedRun, ix *core.Index)
		// want is the failure of dist/evil.bin, then of the evil file under a signed name,
		// then of the genuine file ("" when it passes).
		want [3]string
	}{
		{"index lists an extra subject", func(_ *testing.T, r *attestedRun, ix *core.Index) {
			ix.Subjects = append(ix.Subjects, core.IndexSubject{Name: "dist/evil.bin", Digest: map[string]string{core.SHA256: evilDigest},
				Bundles: []string{ix.Attestations[0].Bundle}})
		}, [3]string{"is not among the 3 subject(s) the bundle's statement signs", "modified or replaced after signing", ""}},
		{"index gives a signed name the evil digest", func(_ *testing.T, r *attestedRun, ix *core.Index) {
			for i := range ix.Subjects {
				if ix.Subjects[i].Name == r.names[0] {
					ix.Subjects[i].Digest = map[string]string{core.SHA256: evilDigest}
				}
			}
		}, [3]string{"is not among the 3 subject(s)", "modified or replaced after signing", ""}},
		{"statement edited to add the evil subject", func(t *testing.T, r *attestedRun, ix *core.Index) {
			path := filepath.Join(filepath.Dir(r.index), ix.Attestations[0].Bundle)
			editJSON(t, path, func(b map[string]any) {
				env := at(b, "dsseEnvelope")
				payload, err := base64.StdEncoding.DecodeString(env["payload"].(string))
				if err != nil {
					t.Fatal(err)
				}
				var st map[string]any
				if err := json.Unmarshal(payload, &st); err != nil {
					t.Fatal(err)
				}
				st["subject"] = append(st["subject"].([]any), map[string]any{"name": "dist/evil.bin", "digest": map[string]any{"sha256": evilDigest}})
				payload, err = json.Marshal(st)
				if err != nil {
					t.Fatal(err)
				}
				env["payload"] = base64.StdEncoding.EncodeToString(payload)
			})
			ix.Subjects = append(ix.Subjects, core.IndexSubject{Name: "dist/evil.bin", Digest: map[string]string{core.SHA256: evilDigest},
				Bundles: []string{ix.Attestations[0].Bundle}})
		}, [3]string{"signature", "signature", "signature"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := attestFiles(t, 3, core.SHA256)
			editIndex(t, r, func(ix *core.Index) { tt.edit(t, r, ix) })
			writeFile(t, filepath.Join(r.dir, "dist", "evil.bin"), evil)
			src, err := verify.OpenIndex(r.index)
			if err != nil {
				t.Fatal(err)
			}
			arts, err := verify.Artifacts(context.Background(), r.dir, []string{"dist/evil.bin", r.names[0]}, nil)
			if err != nil {
				t.Fatal(err)
			}
			evilArt := arts[0]
			evilArt.Name = r.names[0] // the evil file presented under a signed name, too
			arts = append(arts, evilArt)
			arts[1], arts[2] = arts[2], arts[1]
			rep := runVerify(t, verify.Sigstore(f.verifier), githubDemoPolicy(t), src, arts)
			for i, a := range rep.Artifacts {
				if a.Digest == core.SHA256+":"+evilDigest && a.Verified {
					t.Fatalf("FALSE ACCEPT: evil file %q passed", a.Name)
				}
				switch want := tt.want[i]; {
				case want == "" && !a.Verified:
					t.Errorf("%s: %v, want it to pass", a.Name, a.Failure)
				case want != "" && (a.Verified || !strings.Contains(a.Failure.Error(), want)):
					t.Errorf("%s (%s): verified %v, failure %v, want it to say %q", a.Name, a.Digest, a.Verified, a.Failure, want)
				}
			}
		})
	}
}

// TestHostileNamesFromRealBundles signs files whose names hold ESC sequences, a newline, a
// carriage return and a right-to-left override, verifies them and inspects the bundle: the
// text and Markdown reports and inspect's output show each name escaped on its own line or row.
func TestHostileNamesFromRealBundles(t *testing.T) {
	t.Parallel()
	f := local(t)
	files := map[string]string{
		"dist/\x1b[2J\x1b[32mPASS\x1b[0m.bin": "one",
		"dist/evil.bin\nPASS dist/app.tar.gz": "two",
		"dist/overwrite\rPASS.bin":            "three",
		"dist/\u202egpj.exe":                  "four",
		"dist/c1-\u009b31m.bin":               "five",
	}
	r := f.sign(t, localsigstore.PresetGitHub, signOpts{files: files})
	rep := check(t, f.bundleVerifier(t), githubPolicy(f), verify.Files{r.bundle}, r.artifacts)
	if !rep.Verified || rep.Summary.Verified != len(files) {
		t.Fatalf("verified %d of %d: %q", rep.Summary.Verified, len(files), failures(rep))
	}
	ins, err := verify.Inspect(r.bundle)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return verify.Render(b, rep, verify.FormatText) },
		"markdown": func(b *bytes.Buffer) error { return verify.Render(b, rep, verify.FormatMarkdown) },
		"json":     func(b *bytes.Buffer) error { return verify.Render(b, rep, verify.FormatJSON) },
		"inspect":  func(b *bytes.Buffer) error { return verify.RenderInspections(b, ins, verify.FormatText) },
	}
	for name, render := range outputs {
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, r := range out {
			if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
				t.Errorf("%s: raw %U in the output:\n%q", name, r, out)
				break
			}
		}
		lines := strings.Split(out, "\n")
		var verdicts, rows, subjectLines int
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "PASS ") || strings.HasPrefix(l, "FAIL "):
				verdicts++
			case strings.HasPrefix(l, "| ✅") || strings.HasPrefix(l, "| ❌"):
				rows++
			case strings.HasPrefix(l, "           dist/"):
				subjectLines++
			}
		}
		switch name {
		case "text":
			if verdicts != len(files) {
				t.Errorf("text: %d verdict lines for %d artifacts:\n%s", verdicts, len(files), out)
			}
			for _, want := range []string{`dist/\x1b[2J\x1b[32mPASS\x1b[0m.bin`, `dist/evil.bin\nPASS dist/app.tar.gz`, `dist/overwrite\rPASS.bin`, `dist/\u202egpj.exe`, `dist/c1-\u009b31m.bin`} {
				if !strings.Contains(out, "PASS "+want+" sha256:") {
					t.Errorf("text: no verdict line for %s:\n%s", want, out)
				}
			}
		case "markdown":
			if rows != len(files) {
				t.Errorf("markdown: %d rows for %d artifacts:\n%s", rows, len(files), out)
			}
		case "inspect":
			if subjectLines != len(files) {
				t.Errorf("inspect: %d subject lines for %d subjects:\n%s", subjectLines, len(files), out)
			}
		}
	}
}

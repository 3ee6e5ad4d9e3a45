package core_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
)

// collectIn runs a Collector over dir with the output directory "attestations".
func collectIn(t *testing.T, dir string, in core.Inputs) ([]core.Subject, error) {
	t.Helper()
	c, err := core.NewCollector(dir, core.WithOutputDir("attestations"))
	if err != nil {
		t.Fatal(err)
	}
	return c.Collect(context.Background(), in)
}

func TestCollectRefusesAmbiguousSubjects(t *testing.T) {
	t.Parallel()
	a, b := sum256("a"), sum256("b")
	tests := []struct {
		name    string
		sums    map[string]string // file → content
		in      core.Inputs
		wantErr error
		want    []string // all must appear in the error
	}{
		{"one checksums file names a path twice", map[string]string{"SUMS": a + "  dist/app.bin\n" + sum256("x") + "  other\n" + b + "  dist/app.bin\n"},
			core.Inputs{ChecksumFiles: []string{"SUMS"}}, core.ErrConflictingSubject,
			[]string{`"dist/app.bin"`, "SUMS:1", "SUMS:3", "sha256:" + a, "sha256:" + b}},
		{"two checksums files disagree", map[string]string{"A": a + "  x\n", "B": b + " *x\n"},
			core.Inputs{ChecksumFiles: []string{"A", "B"}}, core.ErrConflictingSubject, []string{"A:1", "B:1"}},
		{"checksum line against the file", map[string]string{"SUMS": b + "  dist/a\n"},
			core.Inputs{Paths: []string{"dist"}, ChecksumFiles: []string{"SUMS"}}, core.ErrConflictingSubject,
			[]string{`file "dist/a"`, "SUMS:1"}},
		{"unnormalised checksum name against the file", map[string]string{"SUMS": b + "  ./dist//a\n"},
			core.Inputs{Paths: []string{"dist/a"}, ChecksumFiles: []string{"SUMS"}}, core.ErrConflictingSubject,
			[]string{`file "dist/a"`, "SUMS:1"}},
		{"--subject against the file", nil,
			core.Inputs{Paths: []string{"dist/a"}, Refs: []string{"dist/a@sha256:" + b}}, core.ErrConflictingSubject,
			[]string{`file "dist/a"`, `--subject "dist/a@sha256:` + b}},
		{"--subject against a checksum line", map[string]string{"SUMS": a + "  img\n"},
			core.Inputs{ChecksumFiles: []string{"SUMS"}, Refs: []string{"img@sha256:" + b}, RefsFrom: "subject-digest"},
			core.ErrConflictingSubject, []string{"SUMS:1", `subject-digest "img@sha256:`}},
		{"digest of another algorithm than the file's", map[string]string{"SUMS": sum512("a") + "  dist/a\n"},
			core.Inputs{Paths: []string{"dist/a"}, ChecksumFiles: []string{"SUMS"}}, nil,
			[]string{`"dist/a"`, "SUMS:1", "cannot be compared"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tree(t, map[string]string{"dist/a": "a"})
			for n, c := range tt.sums {
				write(t, filepath.Join(dir, n), c)
			}
			_, err := collectIn(t, dir, tt.in)
			if err == nil {
				t.Fatal("Collect accepted ambiguous subjects")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestCollectMergesIdenticalDuplicates(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"dist/a": "a", "SUMS": sum256("a") + "  ./dist/a\n" + sum256("a") + " *dist//a\n" +
		sum256("i") + "  img\n" + sum512("i") + "  img\n"})
	got, err := collectIn(t, dir, core.Inputs{Paths: []string{"dist"}, ChecksumFiles: []string{"SUMS"},
		Refs: []string{"dist/a@sha256:" + sum256("a"), "img@sha256:" + sum256("i")}})
	if err != nil {
		t.Fatal(err)
	}
	want := []core.Subject{
		{Name: "dist/a", Digest: map[string]string{"sha256": sum256("a")}, Path: filepath.Join(dir, "dist", "a")},
		{Name: "img", Digest: map[string]string{"sha256": sum256("i"), "sha512": sum512("i")}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestCollectRefusesUnsafeNames(t *testing.T) {
	t.Parallel()
	h := sum256("x")
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		in    core.Inputs
		want  string
	}{
		{"dot-dot in a checksums file", sums("../../etc/passwd"), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `"../../etc/passwd": ".." leaves`},
		{"dot-dot inside a name", sums("dist/../../x"), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `".." leaves`},
		{"backslash dot-dot", sums(`dist\..\..\x`), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `".." leaves`},
		{"absolute path in a checksums file", sums("/etc/shadow"), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `"/etc/shadow": absolute path`},
		{"drive letter", sums(`C:\Windows\x`), core.Inputs{ChecksumFiles: []string{"SUMS"}}, "absolute path"},
		{"escape character", sums("app\x1b[31m.bin"), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `"app\x1b[31m.bin"`},
		{"GNU-escaped newline", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "SUMS"), `\`+h+"  evil\\nname\n")
		}, core.Inputs{ChecksumFiles: []string{"SUMS"}}, `"evil\nname"`},
		{"DEL", sums("a\x7fb"), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `"a\x7fb"`},
		{"C1 control", sums("a\u0085b"), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `"a\u0085b"`},
		{"bidi override", sums("invoice\u202egpj.exe"), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `"invoice\u202egpj.exe"`},
		{"bidi isolate", sums("a\u2066b"), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `"a\u2066b"`},
		{"invalid UTF-8", sums("a\xffb"), core.Inputs{ChecksumFiles: []string{"SUMS"}}, `"a\xffb"`},
		{"absolute --subject", nil, core.Inputs{Refs: []string{"/etc/shadow@sha256:" + h}}, `--subject "/etc/shadow@sha256:`},
		{"dot-dot --subject", nil, core.Inputs{Refs: []string{"../x@sha256:" + h}}, `".." leaves`},
		{"control character --subject", nil, core.Inputs{Refs: []string{"a\nb@sha256:" + h}}, `"a\nb"`},
		{"newline in a walked file name", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "dist", "x\ny"), "x") },
			core.Inputs{Paths: []string{"dist"}}, `"dist/x\ny"`},
		{"bidi override in a globbed file name", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "dist", "a\u202eb"), "x") },
			core.Inputs{Paths: []string{"dist/*"}}, `"dist/a\u202eb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tree(t, map[string]string{"dist/a": "a"})
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			_, err := collectIn(t, dir, tt.in)
			if !errors.Is(err, core.ErrUnsafeName) {
				t.Fatalf("error %v, want ErrUnsafeName", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not show %q", err, tt.want)
			}
			if strings.ContainsAny(err.Error(), "\x1b\n\x7f\u0085\u202e\u2066") {
				t.Errorf("error prints the raw name: %q", err)
			}
		})
	}
}

// sums writes a checksums file SUMS with one line naming name.
func sums(name string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) { write(t, filepath.Join(dir, "SUMS"), sum256("x")+"  "+name+"\n") }
}

func TestCollectNormalisesNames(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{"SUMS": sum256("a") + "  ./dist//a\n" + sum256("b") + "  dist/./b/\n" +
		sum256("c") + "  ünïcode.bin\n"})
	got, err := collectIn(t, dir, core.Inputs{ChecksumFiles: []string{"SUMS"}, Refs: []string{"ghcr.io/org/app@sha256:" + sum256("i")}})
	if err != nil {
		t.Fatal(err)
	}
	want := []named{{"dist/a", sum256("a")}, {"dist/b", sum256("b")}, {"ünïcode.bin", sum256("c")}, {"ghcr.io/org/app", sum256("i")}}
	if d := cmp.Diff(want, names(got)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestCollectNeverTakesTheOutputDirectory(t *testing.T) {
	t.Parallel()
	files := map[string]string{"dist/a": "a", "dist/attestations/index.json": "{}", "dist/attestations/provenance.sigstore.json": "b",
		"dist/.attestations.signet-staging-123/provenance.sigstore.json": "s", "dist/.x.signet-retired-9/y": "r"}
	dir := tree(t, files)
	c, err := core.NewCollector(dir, core.WithOutputDir("dist/attestations"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []core.Inputs{{Paths: []string{"dist"}}, {Paths: []string{"**"}}, {Paths: []string{"dist/**/*.json"}}, {Paths: []string{"."}}} {
		got, err := c.Collect(context.Background(), in)
		if len(in.Paths) == 1 && in.Paths[0] == "dist/**/*.json" {
			if !errors.Is(err, core.ErrNoMatch) {
				t.Errorf("%v: %v %v, want no match", in.Paths, names(got), err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", in.Paths, err)
		}
		if d := cmp.Diff([]named{{"dist/a", sum256("a")}}, names(got)); d != "" {
			t.Errorf("%v (-want +got):\n%s", in.Paths, d)
		}
	}
	for _, p := range []string{"dist/attestations", "dist/attestations/index.json", "dist/attestations/*.json", filepath.Join(dir, "dist", "attestations")} {
		if _, err := c.Collect(context.Background(), core.Inputs{Paths: []string{p}}); !errors.Is(err, core.ErrInOutputDir) {
			t.Errorf("%s: %v, want ErrInOutputDir", p, err)
		}
	}
	symlink(t, "attestations/index.json", filepath.Join(dir, "dist", "link"))
	if _, err := c.Collect(context.Background(), core.Inputs{Paths: []string{"dist/link"}}); !errors.Is(err, core.ErrInOutputDir) {
		t.Errorf("symlink into the output directory: %v, want ErrInOutputDir", err)
	}
}

func TestChecksumBounds(t *testing.T) {
	t.Parallel()
	long := sum256("x") + "  " + strings.Repeat("a", core.MaxChecksumLine) + "\n"
	_, err := core.ParseChecksums(strings.NewReader(sum256("y")+"  y\n"+long), "SUMS")
	if err == nil || !strings.Contains(err.Error(), "SUMS:2: line longer than") {
		t.Errorf("long line: %v", err)
	}
	big := sum256("x") + "  x\n" + strings.Repeat("\n", core.MaxChecksumFile) + sum256("x") + "  cut-by-the-limit\n"
	if _, err := core.ParseChecksums(strings.NewReader(big), "SUMS"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("large file: %v", err)
	}
}

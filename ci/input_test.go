package ci

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// lookupOf serves inputs from a map, naming each as the runner would export it.
func lookupOf(m map[string]string) func(string) (string, string) {
	return func(name string) (string, string) { return m[name], "VAR_" + name }
}

func TestSyntaxSplit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		platform provenance.Platform
		in       string
		want     []string
	}{
		{provenance.GitHub, "dist/a.tgz\ndist/b.tgz", []string{"dist/a.tgz", "dist/b.tgz"}},
		{provenance.GitHub, " a , b ,, \r\n c ", []string{"a", "b", "c"}},
		{provenance.GitHub, "my file.tgz", []string{"my file.tgz"}}, // spaces are not separators
		{provenance.GitLab, "a b,c\td\ne", []string{"a", "b", "c", "d", "e"}},
		{provenance.Tekton, "dir with space/a,b.tgz\n\n  c  \r\n", []string{"dir with space/a,b.tgz", "c"}},
		{provenance.Local, "a,b\nc", []string{"a,b", "c"}}, // unknown platforms get the strictest rule
		{provenance.GitHub, "", nil},
		{provenance.GitLab, " \n\t, ", nil},
	} {
		t.Run(string(tc.platform)+"/"+tc.in, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, SyntaxOf(tc.platform).Split(tc.in)); diff != "" {
				t.Errorf("Split(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestReaderBool(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		platform provenance.Platform
		value    string
		def      bool
		want     bool
		wantErr  bool
	}{
		{provenance.GitHub, "", true, true, false},
		{provenance.GitHub, "TRUE", false, true, false},
		{provenance.GitHub, "False", true, false, false},
		{provenance.GitHub, "yes", false, false, true}, // YAML 1.1 spellings are not booleans
		{provenance.GitHub, "tRUE", false, false, true},
		{provenance.GitLab, "true", false, true, false},
		{provenance.GitLab, "True", false, false, true}, // GitLab renders booleans in lower case only
		{provenance.Tekton, " false ", true, false, false},
		{provenance.Tekton, "1", true, true, true},
	} {
		t.Run(string(tc.platform)+"/"+tc.value, func(t *testing.T) {
			t.Parallel()
			r := NewReader(SyntaxOf(tc.platform), lookupOf(map[string]string{"flag": tc.value}))
			if got := r.Bool("flag", tc.def); got != tc.want {
				t.Errorf("Bool(%q) = %v, want %v", tc.value, got, tc.want)
			}
			if (r.Err() != nil) != tc.wantErr {
				t.Errorf("Err() = %v, want an error: %v", r.Err(), tc.wantErr)
			}
		})
	}
}

// TestReaderReportsEveryInput checks that all bad inputs are reported at once, each as an
// *InputError naming the input and where it was read.
func TestReaderReportsEveryInput(t *testing.T) {
	t.Parallel()
	r := NewReader(SyntaxOf(provenance.GitHub), lookupOf(map[string]string{
		"max-subjects": "0", "sbom": "spdx-json,spdx", "subject-digest": "sha256:xyz",
		"predicate-type": "https://example.com/p", "show-summary": "maybe", "ok": "  7 ",
	}))
	if got := r.Positive("ok"); got != 7 {
		t.Errorf("Positive(ok) = %d, want 7", got)
	}
	r.Positive("max-subjects")
	r.SBOMFormats("sbom")
	r.Digest("subject-digest")
	r.Pair("predicate-type", "predicate-path")
	r.Bool("show-summary", true)
	var got []string
	for _, e := range r.Err().(interface{ Unwrap() []error }).Unwrap() {
		var ie *InputError
		if !errors.As(e, &ie) {
			t.Fatalf("%v is not an *InputError", e)
		}
		got = append(got, ie.Input+" from "+ie.Source)
	}
	want := []string{"max-subjects from VAR_max-subjects", "sbom from VAR_sbom", "subject-digest from VAR_subject-digest",
		"predicate-path from VAR_predicate-path", "show-summary from VAR_show-summary"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reported inputs (-want +got):\n%s", diff)
	}
	if !errors.Is(r.Err(), core.ErrSBOMFormat) {
		t.Errorf("Err() = %v, want it to wrap core.ErrSBOMFormat", r.Err())
	}
}

func TestReaderValues(t *testing.T) {
	t.Parallel()
	r := NewReader(SyntaxOf(provenance.GitLab), lookupOf(map[string]string{
		"sbom": "cyclonedx-json spdx-json cyclonedx-json", "digest": "SHA256:" + upperHex, "empty": "",
	}))
	if diff := cmp.Diff([]string{"cyclonedx-json", "spdx-json"}, r.SBOMFormats("sbom")); diff != "" {
		t.Errorf("SBOMFormats (-want +got):\n%s", diff)
	}
	if got, want := r.Digest("digest"), "sha256:"+lowerHex; got != want {
		t.Errorf("Digest = %q, want %q", got, want)
	}
	if r.Digest("empty") != "" || r.Positive("empty") != 0 || r.List("empty") != nil {
		t.Error("an empty input must read as not given")
	}
	if err := r.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
}

const (
	lowerHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	upperHex = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
)

package core_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/signet-ci/signet/core"
)

func subjects(n int) []core.Subject {
	out := make([]core.Subject, n)
	for i := range out {
		out[i] = core.Subject{Name: "f" + strings.Repeat("x", i%3) + string(rune('a'+i%26)), Digest: map[string]string{"sha256": sum256(string(rune(i)))}}
	}
	return out
}

func TestStatementsSplit(t *testing.T) {
	t.Parallel()
	pred := core.Predicate{Type: core.ProvenancePredicateType, JSON: []byte(`{"buildDefinition":{"buildType":"x"}}`)}
	tests := []struct {
		n, max    int
		wantSizes []int
	}{
		{1, 1024, []int{1}},
		{1024, 1024, []int{1024}},
		{1025, 1024, []int{1024, 1}},
		{10, 3, []int{3, 3, 3, 1}},
	}
	for _, tt := range tests {
		sts, err := core.Statements(subjects(tt.n), pred, tt.max)
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for _, st := range sts {
			got, typ, err := core.StatementSubjects(st)
			if err != nil {
				t.Fatal(err)
			}
			if typ != core.ProvenancePredicateType {
				t.Errorf("predicate type %q", typ)
			}
			sizes = append(sizes, len(got))
		}
		if d := cmp.Diff(tt.wantSizes, sizes); d != "" {
			t.Errorf("n=%d max=%d sizes (-want +got):\n%s", tt.n, tt.max, d)
		}
	}
}

func TestStatementShape(t *testing.T) {
	t.Parallel()
	pred := core.Predicate{Type: "https://example.com/p", JSON: []byte(`{"b":1,"a":{"z":true,"y":"s"}}`)}
	sts, err := core.Statements([]core.Subject{{Name: "dist/x", Digest: map[string]string{"sha256": sum256("x")}}}, pred, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_type":"https://in-toto.io/Statement/v1","predicate":{"a":{"y":"s","z":true},"b":1},"predicateType":"https://example.com/p","subject":[{"digest":{"sha256":"` + sum256("x") + `"},"name":"dist/x"}]}`
	if d := cmp.Diff(want, string(sts[0])); d != "" {
		t.Errorf("statement (-want +got):\n%s", d)
	}
	if !json.Valid(sts[0]) {
		t.Error("not JSON")
	}
}

func TestStatementsErrors(t *testing.T) {
	t.Parallel()
	ok := core.Predicate{Type: "t", JSON: []byte(`{}`)}
	tests := []struct {
		name string
		subj []core.Subject
		pred core.Predicate
		max  int
		want string
	}{
		{"no subjects", nil, ok, 1, "no subjects"},
		{"predicate not an object", subjects(1), core.Predicate{Type: "t", JSON: []byte(`[1]`)}, 1, "not a JSON object"},
		{"no predicate type", subjects(1), core.Predicate{JSON: []byte(`{}`)}, 1, "predicate type required"},
		{"zero max", subjects(1), ok, 0, "max subjects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := core.Statements(tt.subj, tt.pred, tt.max)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if tt.max > 0 && !errors.Is(err, core.ErrInvalidStatement) {
				t.Errorf("error %v is not ErrInvalidStatement", err)
			}
		})
	}
}

func TestOutputRefusesExisting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, err := core.NewOutput(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Publish([]core.File{{Name: "a.json", Data: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	err = out.Publish([]core.File{{Name: "a.json", Data: []byte("2")}})
	var ee *core.ExistsError
	if !errors.As(err, &ee) || !errors.Is(err, core.ErrExists) || ee.Path != filepath.Join(dir, "a.json") {
		t.Fatalf("second write: %v, want an *ExistsError for %q matching ErrExists", err, filepath.Join(dir, "a.json"))
	}
	// A library error gives no command-line advice: cli and each adapter say how their user
	// replaces the file.
	if strings.Contains(err.Error(), "--") {
		t.Errorf("core's error names a flag: %q", err)
	}
	forced, _ := core.NewOutput(dir, true)
	if err := forced.Publish([]core.File{{Name: "a.json", Data: []byte("2")}}); err != nil {
		t.Fatalf("forced write: %v", err)
	}
}

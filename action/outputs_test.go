package action_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signet-ci/signet/action"
)

func TestWriteOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		outs []action.StepOutput
	}{
		{name: "single line", outs: []action.StepOutput{{Name: "subject-count", Value: "3"}}},
		{name: "multi-line and empty", outs: []action.StepOutput{
			{Name: "attestation-ids", Value: "sha256:aa\nsha256:bb\n\nsha256:cc"}, {Name: "bundle-path", Value: ""}}},
		{name: "values that look like delimiters or outputs", outs: []action.StepOutput{
			{Name: "a", Value: "ghadelimiter_x\nEOF\nb<<EOF\nname=value"}, {Name: "b", Value: "=<<"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "output")
			if err := os.WriteFile(p, []byte("earlier=kept\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := action.WriteOutputs(p, tt.outs); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"earlier": "kept"}
			for _, o := range tt.outs {
				want[o.Name] = o.Value
			}
			if diff := cmp.Diff(want, parseOutputs(t, p)); diff != "" {
				t.Errorf("outputs as the runner reads them (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteOutputsDelimitersAreRandom(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "output")
	outs := []action.StepOutput{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}}
	if err := action.WriteOutputs(p, outs); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	_, d1, _ := strings.Cut(lines[0], "<<")
	_, d2, _ := strings.Cut(lines[3], "<<")
	if d1 == d2 || !strings.HasPrefix(d1, "ghadelimiter_") || len(d1) < len("ghadelimiter_")+32 {
		t.Errorf("delimiters %q and %q: want distinct random ghadelimiter_<128 bits>", d1, d2)
	}
}

func TestWriteOutputsUnwritable(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "missing-dir", "output")
	err := action.WriteOutputs(p, []action.StepOutput{{Name: "a", Value: "1"}})
	if err == nil || !strings.Contains(err.Error(), "$GITHUB_OUTPUT file") || !strings.Contains(err.Error(), p) {
		t.Errorf("error %v: want it to name $GITHUB_OUTPUT and the path", err)
	}
}

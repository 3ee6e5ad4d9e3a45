package core_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/signet-ci/signet/core"
)

// Subjects a caller resolved (images) merge like refs: one name and digest given twice is one
// subject; one name with two digests is refused naming both sources; deceptive names and
// missing digests are refused naming the source.
func TestCollectGiven(t *testing.T) {
	t.Parallel()
	h1, h2 := strings.Repeat("a", 64), strings.Repeat("b", 64)
	img := func(name, hex, from string) core.Given {
		d := map[string]string{}
		if hex != "" {
			d[core.SHA256] = hex
		}
		return core.Given{Subject: core.Subject{Name: name, Digest: d}, From: from}
	}
	col, err := core.NewCollector(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, err := col.Collect(context.Background(), core.Inputs{
		Images: []core.Given{img("ghcr.io/org/app", h1, "--image a"), img("ghcr.io/org/app", h1, "--image b")},
		Refs:   []string{"ghcr.io/org/app@sha256:" + h1},
	})
	if err != nil || len(got) != 1 {
		t.Fatalf("Collect = %+v, %v; want one subject", got, err)
	}
	for _, tc := range []struct {
		in   core.Inputs
		want []string
	}{
		{core.Inputs{Images: []core.Given{img("ghcr.io/org/app", h1, "--image x:v1"), img("ghcr.io/org/app", h2, "--image x:v2")}}, []string{"--image x:v1", "--image x:v2", "conflicting"}},
		{core.Inputs{Images: []core.Given{img("ghcr.io/org/app", h2, "--image x:v2")}, Refs: []string{"ghcr.io/org/app@sha256:" + h1}}, []string{"--image x:v2", "--subject"}},
		{core.Inputs{Images: []core.Given{img("ghcr.io/org/\u202eppa", h1, "--image evil")}}, []string{"--image evil"}},
		{core.Inputs{Images: []core.Given{img("ghcr.io/org/app", "", "--image nodigest")}}, []string{"--image nodigest", "no digest"}},
	} {
		_, err := col.Collect(context.Background(), tc.in)
		if err == nil {
			t.Errorf("Collect(%+v) succeeded", tc.in)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not name %q", err, w)
			}
		}
		if strings.Contains(tc.want[len(tc.want)-1], "conflicting") && !errors.Is(err, core.ErrConflictingSubject) {
			t.Errorf("error %v is not ErrConflictingSubject", err)
		}
	}
}

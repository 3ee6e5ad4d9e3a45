package provenance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuildTypeDocs keeps docs/buildtypes in step with the code: each spec names its buildType
// and its example is the golden predicate it cites.
func TestBuildTypeDocs(t *testing.T) {
	t.Parallel()
	tests := []struct{ doc, buildType, golden string }{
		{"gitlab-ci/v1.md", GitLabBuildType, "testdata/gitlab/tag-self-hosted.golden.json"},
		{"tekton/v1.md", TektonBuildType, "testdata/tekton/pipelinerun-gke.golden.json"},
		{"local/v1.md", LocalBuildType, "testdata/local/remote-with-credentials.golden.json"},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join("..", "docs", "buildtypes", tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			doc := string(b)
			if !strings.Contains(doc, "`buildType`: **`"+tt.buildType+"`**") {
				t.Errorf("%s does not name buildType %s", tt.doc, tt.buildType)
			}
			if !strings.Contains(doc, "provenance/"+tt.golden) {
				t.Errorf("%s does not cite %s", tt.doc, tt.golden)
			}
			_, rest, _ := strings.Cut(doc, "```json\n")
			example, _, ok := strings.Cut(rest, "```")
			if !ok {
				t.Fatalf("%s has no json example", tt.doc)
			}
			golden, err := os.ReadFile(tt.golden)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal([]byte(example), &got); err != nil {
				t.Fatalf("%s example: %v", tt.doc, err)
			}
			if err := json.Unmarshal(golden, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s example differs from %s (-golden +doc):\n%s", tt.doc, tt.golden, diff)
			}
		})
	}
	readme, err := os.ReadFile(filepath.Join("..", "docs", "buildtypes", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bt := range []string{GitHubBuildType, GitLabBuildType, TektonBuildType, LocalBuildType} {
		if !strings.Contains(string(readme), bt) {
			t.Errorf("docs/buildtypes/README.md does not list %s", bt)
		}
	}
}

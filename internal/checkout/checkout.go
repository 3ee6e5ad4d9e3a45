// Package checkout gives tests the files of the signet checkout: its root, files read from
// it, the JSON schemas under testdata/schemas, and a signet binary built from it.
package checkout

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the repository root: the nearest directory above the test's working directory
// that holds go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("finding the repository root: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Read returns the file at rel, a slash-separated path from the repository root.
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Root(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("reading %s from the repository: %v", rel, err)
	}
	return b
}

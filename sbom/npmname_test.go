package sbom

import "testing"

// TestValidNpmName: a scoped name needs both its scope and its name, or its purl names nothing.
func TestValidNpmName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"left-pad": true, "@scope/util": true, "": false, "@scope/": false, "@/util": false, "@scope": false, "@": false,
	} {
		if got := validNpmName(name); got != want {
			t.Errorf("validNpmName(%q) = %v, want %v", name, got, want)
		}
	}
}

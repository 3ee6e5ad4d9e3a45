package sbom

import (
	"testing"

	packageurl "github.com/package-url/packageurl-go"
)

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

// TestPurlAlwaysParses: whatever names a package carries, the purl written for it parses.
func TestPurlAlwaysParses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ typ, ns, name, version, want string }{
		{"npm", "@scope", "util", "1.0.0", "pkg:npm/%40scope/util@1.0.0"},
		{"npm", "@scope", "", "2.0.0", "pkg:generic/%40scope@2.0.0"},
		{"golang", "example.com/x", "", "(devel)", "pkg:generic/example.com%2Fx@%28devel%29"},
		{"golang", "", "", "", "pkg:generic/unnamed"},
	} {
		got := purl(tc.typ, tc.ns, tc.name, tc.version, "")
		if got != tc.want {
			t.Errorf("purl(%q, %q, %q, %q) = %q, want %q", tc.typ, tc.ns, tc.name, tc.version, got, tc.want)
		}
		if _, err := packageurl.FromString(got); err != nil {
			t.Errorf("purl %q does not parse: %v", got, err)
		}
	}
}

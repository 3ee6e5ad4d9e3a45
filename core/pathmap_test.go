package core

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSplitGlobPath: a glob's literal prefix is the directory walked, in the system's form,
// with either separator on Windows and its volume (drive or share) kept; the rest are the
// slash-separated segments matched. Both forms run on every system (the function is pure).
func TestSplitGlobPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		abs     string
		windows bool
		root    string
		rest    []string
	}{
		{"unix", "/work/dist/*.tar.gz", false, "/work/dist", []string{"*.tar.gz"}},
		{"unix recursive", "/work/dist/**/*.tar.gz", false, "/work/dist", []string{"**", "*.tar.gz"}},
		{"unix glob at the root", "/*", false, "/", []string{"*"}},
		{"unix backslash is part of a name", `/work/a\b/*.tar`, false, `/work/a\b`, []string{"*.tar"}},
		{"unix escaped star", `/work/dist/\*`, false, "/work/dist", []string{`\*`}},
		{"unix glob in a middle segment", "/work/*/bin/app", false, "/work", []string{"*", "bin", "app"}},
		{"windows drive", `C:\work\dist\*.exe`, true, `C:\work\dist`, []string{"*.exe"}},
		{"windows lower-case drive, forward slashes", `c:/work/dist/**/*.zip`, true, `c:\work\dist`, []string{"**", "*.zip"}},
		{"windows mixed separators", `D:\work/dist\sub/*.msi`, true, `D:\work\dist\sub`, []string{"*.msi"}},
		{"windows glob at the drive's root", `C:\*`, true, `C:\`, []string{"*"}},
		{"windows share", `\\build\share\dist\*.exe`, true, `\\build\share\dist`, []string{"*.exe"}},
		{"windows share with forward slashes", `//build/share/dist/*.exe`, true, `//build/share\dist`, []string{"*.exe"}},
		{"windows share root", `\\build\share\*`, true, `\\build\share\`, []string{"*"}},
		{"windows bracket class", `C:\work\dist\app-[ab].exe`, true, `C:\work\dist`, []string{"app-[ab].exe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root, rest, err := splitGlobPath(tt.abs, tt.windows)
			if err != nil {
				t.Fatal(err)
			}
			if root != tt.root || !cmp.Equal(rest, tt.rest) {
				t.Errorf("splitGlobPath(%q, windows=%v) = %q %q, want %q %q", tt.abs, tt.windows, root, rest, tt.root, tt.rest)
			}
		})
	}
	for _, bad := range []string{`/work/[`, `C:\work\[`} {
		if _, _, err := splitGlobPath(bad, strings.HasPrefix(bad, "C:")); err == nil {
			t.Errorf("splitGlobPath(%q) accepts a malformed pattern", bad)
		}
	}
}

// TestWindowsVolume: drives of any letter case and shares with either separator; nothing
// else is a volume.
func TestWindowsVolume(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]string{
		`C:\x`: "C:", `z:/x`: "z:", `C:`: "C:", `\\host\share\x`: `\\host\share`, `//host/share/x`: "//host/share",
		`\\host\share`: `\\host\share`, `\x`: "", `/x`: "", `\\\x`: "", `1:\x`: "", `:\x`: "", `x`: "", ``: "",
	} {
		if got := windowsVolume(p); got != want {
			t.Errorf("windowsVolume(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestNormalizeNameSeparators: a subject name from a checksums file or a --subject reference
// is refused when it is absolute or leaves the working directory in either system's form
// (a drive, absolute or drive-relative; a share; a leading separator; ".." between either
// separator), and cleaned otherwise.
func TestNormalizeNameSeparators(t *testing.T) {
	t.Parallel()
	refused := map[string]string{
		`/etc/passwd`: "absolute path", `\Windows\x`: "absolute path", `C:\Windows\x`: "absolute path",
		`c:/Windows/x`: "absolute path", `\\host\share\x`: "absolute path", `//host/share/x`: "absolute path",
		`dist/../../x`: `".." leaves`, `dist\..\..\x`: `".." leaves`, `dist/..\x`: `".." leaves`, `..`: `".." leaves`,
		`./`: "names no file", `C:`: "absolute path", `c:x`: "absolute path", `Z:app.exe`: "absolute path",
	}
	for name, says := range refused {
		if got, err := NormalizeName(name); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("NormalizeName(%q) = %q, %v; want an error saying %q", name, got, err, says)
		}
	}
	for name, want := range map[string]string{
		"./dist//a": "dist/a", "dist/./a/": "dist/a", "ab:/c": "ab:/c", "1:x": "1:x",
		"oci://ghcr.io/x/y": "oci://ghcr.io/x/y",
	} {
		if got, err := NormalizeName(name); err != nil || got != want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
}

package provenance

import (
	"os"
	"os/exec"
	"testing"
)

func TestCleanRemote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://github.com/signet-ci/signet.git", "https://github.com/signet-ci/signet"},
		{"https://x-access-token:ghs_abc@github.com/signet-ci/signet.git", "https://github.com/signet-ci/signet"},
		{"https://oauth2:glpat-xyz@gitlab.example.com:8443/g/p.git/?private_token=t#frag", "https://gitlab.example.com:8443/g/p"},
		{"git@github.com:signet-ci/signet.git", "ssh://github.com/signet-ci/signet"},
		{"github.com:signet-ci/signet", "ssh://github.com/signet-ci/signet"},
		{"ssh://git@gitlab.com:2222/g/p.git", "ssh://gitlab.com:2222/g/p"},
		{"/srv/git/repo.git", "file:///srv/git/repo"},
		{"file:///srv/git/repo.git", "file:///srv/git/repo"},
		{"../relative/repo", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := cleanRemote(tt.in); got != tt.want {
				t.Errorf("cleanRemote(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestReadGitWithoutGit(t *testing.T) {
	t.Parallel()
	if got := ReadGit(t.Context(), t.TempDir()); got != (GitState{}) {
		t.Errorf("ReadGit outside a work tree = %+v, want nothing", got)
	}
	if got := ReadGit(t.Context(), "/nonexistent/signet"); got != (GitState{}) {
		t.Errorf("ReadGit of a missing directory = %+v, want nothing", got)
	}
}

// TestGitInstalled makes the local golden tests' dependency explicit: they need git.
func TestGitInstalled(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is required by the local provenance tests: %v", err)
	}
}

func TestNewLocalRejectsBadDirectory(t *testing.T) {
	t.Parallel()
	if _, err := NewLocal(t.Context(), "/nonexistent/signet", "v1"); err == nil {
		t.Error("NewLocal accepted a missing directory")
	}
	f := t.TempDir() + "/file"
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLocal(t.Context(), f, "v1"); err == nil {
		t.Error("NewLocal accepted a file")
	}
	l, err := NewLocal(t.Context(), t.TempDir(), "signet@v0.4.0")
	if err != nil || l.BuilderID() != "pkg:golang/github.com/signet-ci/signet@v0.4.0" {
		t.Errorf("BuilderID = %q, %v", l.BuilderID(), err)
	}
}

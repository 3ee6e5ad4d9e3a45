package provenance

import (
	"bytes"
	"context"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// gitTimeout bounds each git command.
const gitTimeout = 10 * time.Second

// GitState is what a local build records about its source directory.
type GitState struct {
	// InWorkTree is true when the directory is inside a git work tree.
	InWorkTree bool
	// Repository is the remote's URL (origin, else the first remote) without credentials,
	// query or ".git" suffix; empty when there is no remote.
	Repository string
	// Ref is HEAD's branch (refs/heads/...); empty when HEAD is detached.
	Ref string
	// Commit is HEAD's commit; empty before the first commit.
	Commit string
	// Dirty is true when tracked files differ from HEAD or untracked, non-ignored files exist.
	Dirty bool
}

// ReadGit reads dir's git state by running git. Any failure (no git installed, not a work tree,
// no commit yet) leaves the corresponding fields empty: a local build needs no git.
func ReadGit(ctx context.Context, dir string) GitState {
	if out, ok := git(ctx, dir, "rev-parse", "--is-inside-work-tree"); !ok || out != "true" {
		return GitState{}
	}
	st := GitState{InWorkTree: true}
	st.Commit, _ = git(ctx, dir, "rev-parse", "--verify", "-q", "HEAD")
	st.Ref, _ = git(ctx, dir, "symbolic-ref", "-q", "HEAD")
	if remotes, ok := git(ctx, dir, "remote"); ok && remotes != "" {
		names := strings.Fields(remotes)
		name := names[0]
		if slices.Contains(names, "origin") {
			name = "origin"
		}
		raw, _ := git(ctx, dir, "remote", "get-url", name)
		st.Repository = cleanRemote(raw)
	}
	// --no-optional-locks: reading status must not take the index lock of a tree others use.
	status, ok := git(ctx, dir, "--no-optional-locks", "status", "--porcelain")
	st.Dirty = ok && status != ""
	return st
}

// git runs one git command in dir and returns its trimmed standard output.
func git(ctx context.Context, dir string, args ...string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", false
	}
	return strings.TrimSpace(out.String()), true
}

// scpLike matches git's [user@]host:path remote syntax.
var scpLike = regexp.MustCompile(`^(?:[^@/]+@)?([^:/]+):(.+)$`)

// cleanRemote turns a git remote into a URL without credentials, query, fragment, trailing
// slash or ".git": https://user:token@host/org/repo.git → https://host/org/repo,
// git@host:org/repo.git → ssh://host/org/repo, /srv/repo.git → file:///srv/repo.
// It returns "" for what it cannot read as a remote.
func cleanRemote(raw string) string {
	raw = strings.TrimSpace(raw)
	trim := func(s string) string { return strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git") }
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && (u.Host != "" || u.Scheme == "file") {
		u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
		return trim(u.String())
	}
	if filepath.IsAbs(raw) {
		return trim((&url.URL{Scheme: "file", Path: filepath.ToSlash(raw)}).String())
	}
	if m := scpLike.FindStringSubmatch(raw); m != nil {
		return trim("ssh://" + m[1] + "/" + strings.TrimPrefix(m[2], "/"))
	}
	return ""
}

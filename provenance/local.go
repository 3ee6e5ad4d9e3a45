package provenance

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"

	"github.com/signet-ci/signet/core"
)

// LocalBuildType is signet's buildType for builds on a developer's machine, specified in
// docs/buildtypes/local/v1.md.
const LocalBuildType = "https://signet-ci.github.io/buildtypes/local/v1"

// toolPURL names signet itself; the local builder ID is this purl at the tool's version.
const toolPURL = "pkg:golang/github.com/signet-ci/signet"

// localExternal is externalParameters of LocalBuildType.
type localExternal struct {
	Source localSource `json:"source"`
}

type localSource struct {
	// VCS is "git" when the directory is in a git work tree, "none" otherwise.
	VCS        string `json:"vcs"`
	Repository string `json:"repository,omitempty"`
	Ref        string `json:"ref,omitempty"`
	Dirty      *bool  `json:"dirty,omitempty"`
}

// localInternal is internalParameters of LocalBuildType.
type localInternal struct {
	OS   string `json:"os"`
	Arch string `json:"arch"`
}

// LocalContext describes a build on this machine: the git state of its directory and the tool.
// Nothing in it is attested by anyone but the signer.
type LocalContext struct {
	materials
	// ToolVersion is signet's version, recorded in the builder ID.
	ToolVersion string
	// Git is the state of the directory's git work tree (empty fields when there is no git).
	Git GitState
	// OS and Arch are the machine's (runtime.GOOS and runtime.GOARCH).
	OS, Arch string
}

// NewLocal builds the context of a local build in dir. toolVersion is signet's version (v0.4.0;
// a "signet@" prefix is accepted). The git state is read with the git command; without git, or
// outside a work tree, the source fields are simply absent.
func NewLocal(ctx context.Context, dir, toolVersion string) (*LocalContext, error) {
	toolVersion = strings.TrimPrefix(toolVersion, "signet@")
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("local build directory %q: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("local build directory %q: not a directory", dir)
	}
	return &LocalContext{ToolVersion: toolVersion, Git: ReadGit(ctx, dir), OS: runtime.GOOS, Arch: runtime.GOARCH}, nil
}

// Platform returns Local.
func (l *LocalContext) Platform() Platform { return Local }

// BuilderID is the local builder's ID: signet's package URL at its version.
func (l *LocalContext) BuilderID() string {
	if l.ToolVersion == "" {
		return toolPURL
	}
	return toolPURL + "@" + url.PathEscape(l.ToolVersion)
}

// Provenance implements core.ProvenanceSource.
func (l *LocalContext) Provenance(_ context.Context, run core.Run) (core.Predicate, error) {
	src := localSource{VCS: "none"}
	var deps []resourceDescriptor
	if g := l.Git; g.InWorkTree {
		dirty := g.Dirty
		src = localSource{VCS: "git", Repository: g.Repository, Ref: g.Ref, Dirty: &dirty}
		if g.Commit != "" {
			deps = append(deps, gitDependency(sourceName, g.Repository, g.Ref, g.Commit))
		}
	}
	b := builder{ID: l.BuilderID()}
	if l.ToolVersion != "" {
		b.Version = map[string]string{"signet": l.ToolVersion}
	}
	p := predicate{
		BuildDefinition: buildDefinition{BuildType: LocalBuildType, ExternalParameters: localExternal{Source: src},
			InternalParameters: localInternal{OS: l.OS, Arch: l.Arch}, ResolvedDependencies: append(deps, l.descriptors()...)},
		RunDetails: runDetails{Builder: b},
	}
	return finish(p, run, "")
}

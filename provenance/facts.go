package provenance

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/signet-ci/signet/core"
)

// ErrNotProvenance is returned by ExtractFacts for a statement that is not SLSA v1.0 provenance.
var ErrNotProvenance = errors.New("not SLSA v1.0 provenance")

// Facts are what a provenance predicate states that a verifier may compare with the signing
// certificate or a policy. Empty fields are facts the predicate does not state.
type Facts struct {
	// Platform is the platform of a buildType signet knows ("" for any other buildType).
	Platform Platform `json:"platform,omitempty"`
	// BuildType is buildDefinition.buildType.
	BuildType string `json:"buildType,omitempty"`
	// SourceRepo, Commit and Ref name the source: repository URL, git commit, full ref.
	SourceRepo string `json:"sourceRepo,omitempty"`
	Commit     string `json:"commit,omitempty"`
	Ref        string `json:"ref,omitempty"`
	// BuilderID is runDetails.builder.id: on GitHub and GitLab the certificate's Build Signer
	// URI, on Tekton its SAN.
	BuilderID string `json:"builderId,omitempty"`
	// InvocationID is runDetails.metadata.invocationId: on GitHub and GitLab the certificate's
	// Run Invocation URI.
	InvocationID string `json:"invocationId,omitempty"`
	// Facts that Fulcio certifies too on GitHub and GitLab.
	SourceRepoID      string `json:"sourceRepoId,omitempty"`
	SourceOwnerID     string `json:"sourceOwnerId,omitempty"`
	BuildSignerDigest string `json:"buildSignerDigest,omitempty"`
	BuildConfigURI    string `json:"buildConfigUri,omitempty"`
	BuildConfigDigest string `json:"buildConfigDigest,omitempty"`
	Trigger           string `json:"trigger,omitempty"`
	RunnerEnvironment string `json:"runnerEnvironment,omitempty"`
}

// rawPredicate decodes a SLSA v1.0 predicate, leaving the buildType-specific parts raw.
type rawPredicate struct {
	BuildDefinition struct {
		BuildType            string               `json:"buildType"`
		ExternalParameters   json.RawMessage      `json:"externalParameters"`
		InternalParameters   json.RawMessage      `json:"internalParameters"`
		ResolvedDependencies []resourceDescriptor `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder  builder        `json:"builder"`
		Metadata *buildMetadata `json:"metadata"`
	} `json:"runDetails"`
}

// ExtractFacts reads the facts of a signed in-toto statement whose predicate is SLSA v1.0
// provenance.
func ExtractFacts(statementJSON []byte) (Facts, error) {
	var st struct {
		Type          string          `json:"_type"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(statementJSON, &st); err != nil {
		return Facts{}, fmt.Errorf("reading provenance statement: not JSON: %w", err)
	}
	if st.PredicateType != core.ProvenancePredicateType {
		return Facts{}, fmt.Errorf("%w: statement predicateType is %q, expected %q", ErrNotProvenance, st.PredicateType, core.ProvenancePredicateType)
	}
	return predicateFacts(st.Predicate)
}

// predicateFacts reads the facts of a SLSA v1.0 predicate.
func predicateFacts(predicateJSON []byte) (Facts, error) {
	var p rawPredicate
	if err := json.Unmarshal(predicateJSON, &p); err != nil {
		return Facts{}, fmt.Errorf("%w: predicate: %w", ErrNotProvenance, err)
	}
	bd := p.BuildDefinition
	f := Facts{BuildType: bd.BuildType, BuilderID: p.RunDetails.Builder.ID}
	if p.RunDetails.Metadata != nil {
		f.InvocationID = p.RunDetails.Metadata.InvocationID
	}
	var err error
	switch bd.BuildType {
	case GitHubBuildType:
		err = githubFacts(&f, bd.ExternalParameters, bd.InternalParameters, bd.ResolvedDependencies)
	case GitLabBuildType:
		err = gitlabFacts(&f, bd.ExternalParameters, bd.InternalParameters, bd.ResolvedDependencies)
	case TektonBuildType:
		err = tektonFacts(&f, bd.ExternalParameters, bd.ResolvedDependencies)
	case LocalBuildType:
		err = localFacts(&f, bd.ExternalParameters, bd.ResolvedDependencies)
	}
	if err != nil {
		return Facts{}, fmt.Errorf("%w: %s parameters: %w", ErrNotProvenance, bd.BuildType, err)
	}
	return f, nil
}

func decodeParams(ext, internal json.RawMessage, e, i any) error {
	if err := json.Unmarshal(ext, e); err != nil {
		return fmt.Errorf("externalParameters: %w", err)
	}
	if i != nil && len(internal) > 0 {
		if err := json.Unmarshal(internal, i); err != nil {
			return fmt.Errorf("internalParameters: %w", err)
		}
	}
	return nil
}

func githubFacts(f *Facts, ext, internal json.RawMessage, deps []resourceDescriptor) error {
	var e githubExternal
	var i githubInternal
	if err := decodeParams(ext, internal, &e, &i); err != nil {
		return err
	}
	w := e.Workflow
	f.Platform, f.SourceRepo, f.Ref = GitHub, w.Repository, w.Ref
	// actions/attest puts the source first: git+<repository>@<ref>.
	f.Commit = dependencyCommit(deps, func(d resourceDescriptor) bool { return d.URI == "git+"+w.Repository+"@"+w.Ref })
	if w.Repository != "" && w.Path != "" && w.Ref != "" {
		f.BuildConfigURI = w.Repository + "/" + w.Path + "@" + w.Ref
	}
	g := i.GitHub
	f.Trigger, f.SourceRepoID, f.SourceOwnerID, f.RunnerEnvironment = g.EventName, g.RepositoryID, g.RepositoryOwnerID, g.RunnerEnvironment
	return nil
}

func gitlabFacts(f *Facts, ext, internal json.RawMessage, deps []resourceDescriptor) error {
	var e gitlabExternal
	var i gitlabInternal
	if err := decodeParams(ext, internal, &e, &i); err != nil {
		return err
	}
	f.Platform, f.SourceRepo, f.Ref = GitLab, e.Source.Repository, e.Source.Ref
	f.Commit = dependencyCommit(deps, isSource)
	f.BuildConfigURI, f.BuildConfigDigest, f.BuildSignerDigest = e.Config.URI, e.Config.SHA, e.Config.SHA
	f.Trigger = e.PipelineSource
	g := i.GitLab
	f.SourceRepoID, f.SourceOwnerID, f.RunnerEnvironment = g.ProjectID, g.NamespaceID, g.RunnerEnvironment
	return nil
}

func tektonFacts(f *Facts, ext json.RawMessage, deps []resourceDescriptor) error {
	var e tektonExternal
	if err := decodeParams(ext, nil, &e, nil); err != nil {
		return err
	}
	f.Platform = Tekton
	if e.Source != nil {
		f.SourceRepo = e.Source.Repository
		f.Commit = dependencyCommit(deps, isSource)
	}
	return nil
}

func localFacts(f *Facts, ext json.RawMessage, deps []resourceDescriptor) error {
	var e localExternal
	if err := decodeParams(ext, nil, &e, nil); err != nil {
		return err
	}
	f.Platform, f.SourceRepo, f.Ref = Local, e.Source.Repository, e.Source.Ref
	f.Commit = dependencyCommit(deps, isSource)
	return nil
}

func isSource(d resourceDescriptor) bool { return d.Name == sourceName }

// dependencyCommit returns the gitCommit of the first dependency that is the source.
func dependencyCommit(deps []resourceDescriptor, source func(resourceDescriptor) bool) string {
	for _, d := range deps {
		if source(d) {
			return d.Digest["gitCommit"]
		}
	}
	return ""
}

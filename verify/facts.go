package verify

import (
	"github.com/signet-ci/signet/provenance"
)

// Facts are what a signed SLSA provenance predicate says about its source, builder and run.
type Facts struct {
	Platform          string `json:"platform,omitempty"`
	BuildType         string `json:"buildType,omitempty"`
	SourceRepo        string `json:"sourceRepository,omitempty"`
	Commit            string `json:"commit,omitempty"`
	Ref               string `json:"ref,omitempty"`
	BuilderID         string `json:"builderID,omitempty"`
	InvocationID      string `json:"invocationID,omitempty"`
	SourceRepoID      string `json:"sourceRepositoryID,omitempty"`
	SourceOwnerID     string `json:"sourceOwnerID,omitempty"`
	BuildSignerDigest string `json:"buildSignerDigest,omitempty"`
	BuildConfigURI    string `json:"buildConfigURI,omitempty"`
	BuildConfigDigest string `json:"buildConfigDigest,omitempty"`
	Trigger           string `json:"trigger,omitempty"`
	RunnerEnvironment string `json:"runnerEnvironment,omitempty"`
}

// ExtractFacts reads the facts of a signed in-toto statement whose predicate is SLSA v1.0
// provenance, through the provenance package that writes them.
func ExtractFacts(statement []byte) (Facts, error) {
	f, err := provenance.ExtractFacts(statement)
	if err != nil {
		return Facts{}, err
	}
	return Facts{
		Platform: string(f.Platform), BuildType: f.BuildType, SourceRepo: f.SourceRepo, Commit: f.Commit,
		Ref: f.Ref, BuilderID: f.BuilderID, InvocationID: f.InvocationID, SourceRepoID: f.SourceRepoID,
		SourceOwnerID: f.SourceOwnerID, BuildSignerDigest: f.BuildSignerDigest, BuildConfigURI: f.BuildConfigURI,
		BuildConfigDigest: f.BuildConfigDigest, Trigger: f.Trigger, RunnerEnvironment: f.RunnerEnvironment,
	}, nil
}

// ciPlatform reports whether the predicate comes from a platform whose certificates carry
// every CI extension (GitHub, GitLab): there a fact the certificate lacks is a contradiction.
func (f Facts) ciPlatform() bool {
	return f.Platform == string(provenance.GitHub) || f.Platform == string(provenance.GitLab)
}

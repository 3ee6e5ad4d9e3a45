package provenance

import (
	"encoding/json"
	"fmt"
	"time"

	provenancev1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	"github.com/signet-ci/signet/core"
	"google.golang.org/protobuf/encoding/protojson"
)

// BuildContext is what one platform knows about the build: it writes the provenance
// predicate for a run, and records extra materials given on the command line.
type BuildContext interface {
	core.ProvenanceSource
	// Platform names the platform the context describes.
	Platform() Platform
	// WithMaterials adds resolvedDependencies (base images, toolchains) after the source.
	WithMaterials(m []Material)
}

var (
	_ BuildContext = (*GitHubContext)(nil)
	_ BuildContext = (*GitLabContext)(nil)
	_ BuildContext = (*TektonContext)(nil)
	_ BuildContext = (*LocalContext)(nil)
)

// predicate is SLSA v1.0 provenance (https://slsa.dev/spec/v1.0/provenance) as signet writes it.
type predicate struct {
	BuildDefinition buildDefinition `json:"buildDefinition"`
	RunDetails      runDetails      `json:"runDetails"`
}

type buildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   any                  `json:"externalParameters"`
	InternalParameters   any                  `json:"internalParameters,omitempty"`
	ResolvedDependencies []resourceDescriptor `json:"resolvedDependencies,omitempty"`
}

type runDetails struct {
	Builder    builder              `json:"builder"`
	Metadata   *buildMetadata       `json:"metadata,omitempty"`
	Byproducts []resourceDescriptor `json:"byproducts,omitempty"`
}

type builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

type buildMetadata struct {
	InvocationID string `json:"invocationId,omitempty"`
	StartedOn    string `json:"startedOn,omitempty"`
	FinishedOn   string `json:"finishedOn,omitempty"`
}

type resourceDescriptor struct {
	Name   string            `json:"name,omitempty"`
	URI    string            `json:"uri,omitempty"`
	Digest map[string]string `json:"digest,omitempty"`
}

// sourceName names the source checkout among resolvedDependencies in signet's own buildTypes.
const sourceName = "source"

// gitDependency is the source checkout as a resolved dependency: git+<repo>@<ref>, gitCommit.
func gitDependency(name, repo, ref, commit string) resourceDescriptor {
	uri := ""
	if repo != "" {
		uri = "git+" + repo
		if ref != "" {
			uri += "@" + ref
		}
	}
	return resourceDescriptor{Name: name, URI: uri, Digest: map[string]string{"gitCommit": commit}}
}

// finish adds the run's times, invocation and byproducts, then encodes and validates p.
func finish(p predicate, run core.Run, invocationID string) (core.Predicate, error) {
	md := buildMetadata{InvocationID: invocationID, StartedOn: timestamp(run.StartedOn), FinishedOn: timestamp(run.FinishedOn)}
	if md != (buildMetadata{}) {
		p.RunDetails.Metadata = &md
	}
	for _, s := range run.Byproducts {
		p.RunDetails.Byproducts = append(p.RunDetails.Byproducts, resourceDescriptor{Name: s.Name, Digest: s.Digest})
	}
	b, err := json.Marshal(p)
	if err != nil {
		return core.Predicate{}, fmt.Errorf("encoding %s provenance: %w", p.BuildDefinition.BuildType, err)
	}
	pred := core.Predicate{Type: core.ProvenancePredicateType, JSON: b}
	if err := Validate(pred); err != nil {
		return core.Predicate{}, err
	}
	return pred, nil
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Validate checks that p is SLSA v1.0 provenance as in-toto attestation's own Go types define
// it (protojson decoding, then Provenance.Validate).
func Validate(p core.Predicate) error {
	if p.Type != core.ProvenancePredicateType {
		return fmt.Errorf("predicate type %q, expected %q", p.Type, core.ProvenancePredicateType)
	}
	var pb provenancev1.Provenance
	if err := protojson.Unmarshal(p.JSON, &pb); err != nil {
		return fmt.Errorf("provenance predicate is not SLSA v1.0: %w", err)
	}
	if err := pb.Validate(); err != nil {
		return fmt.Errorf("provenance predicate is not valid SLSA v1.0: %w", err)
	}
	return nil
}

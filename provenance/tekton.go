package provenance

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/signet-ci/signet/core"
)

// TektonBuildType is signet's buildType for Tekton TaskRuns, specified in
// docs/buildtypes/tekton/v1.md.
const TektonBuildType = "https://signet-ci.github.io/buildtypes/tekton/v1"

// ErrParam is returned (wrapped) for a Tekton parameter that is missing or malformed.
var ErrParam = errors.New("invalid Tekton parameter")

// TektonParams are what signet's Task passes about its TaskRun. The Kubernetes token names
// only the namespace and service account, so these are recorded as parameters the Task gave,
// not as verified facts.
type TektonParams struct {
	// TaskRunName is $(context.taskRun.name). Required.
	TaskRunName string
	// Namespace is $(context.taskRun.namespace); it must equal the token's namespace, which is
	// used when this is empty.
	Namespace string
	// UID is $(context.taskRun.uid), the invocation ID. Required.
	UID string
	// PipelineRun is the PipelineRun's name when the TaskRun belongs to one.
	PipelineRun string
	// ServiceAccount, when set, must equal the token's service account.
	ServiceAccount string
	// GitURL and GitCommit are the source (Chains' CHAINS-GIT_URL and CHAINS-GIT_COMMIT);
	// both or neither. GitCommit is a 40-hex git commit.
	GitURL    string
	GitCommit string
	// StepImages are the TaskRun's step images as NAME@sha256:HEX.
	StepImages []string
}

// tektonExternal is externalParameters of TektonBuildType: what the Task's params said.
type tektonExternal struct {
	TaskRun     tektonTaskRun `json:"taskRun"`
	PipelineRun *tektonName   `json:"pipelineRun,omitempty"`
	Source      *tektonSource `json:"source,omitempty"`
}

type tektonTaskRun struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
}

type tektonName struct {
	Name string `json:"name"`
}

type tektonSource struct {
	Repository string `json:"repository"`
	Commit     string `json:"commit"`
}

// tektonInternal is internalParameters of TektonBuildType: the verified token's facts.
type tektonInternal struct {
	Kubernetes tektonKubernetes `json:"kubernetes"`
}

type tektonKubernetes struct {
	Issuer         string `json:"issuer"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	Pod            string `json:"pod,omitempty"`
}

// TektonContext describes a Tekton TaskRun from its verified Kubernetes token and the Task's
// parameters.
type TektonContext struct {
	materials
	k8s    tektonKubernetes
	params TektonParams
	images []resourceDescriptor
}

// NewTekton builds the context of a TaskRun from a verified Kubernetes service-account token
// and the parameters signet's Task passes. A namespace or service account parameter that
// differs from the token fails with ErrEnvMismatch.
func NewTekton(claims *Claims, params TektonParams) (*TektonContext, error) {
	if claims == nil {
		return nil, errors.New("Tekton provenance: no verified token claims")
	}
	k8s, err := kubernetesClaims(claims)
	if err != nil {
		return nil, fmt.Errorf("Tekton provenance: %w", err)
	}
	p, err := checkTektonParams(params, k8s)
	if err != nil {
		return nil, fmt.Errorf("Tekton provenance: %w", err)
	}
	t := &TektonContext{k8s: k8s, params: p}
	for _, ref := range p.StepImages {
		s, err := core.ParseSubjectRef(ref)
		if err != nil {
			return nil, fmt.Errorf("Tekton provenance: %w: step image %q: %w", ErrParam, ref, err)
		}
		t.images = append(t.images, resourceDescriptor{URI: ociURI(s.Name), Digest: s.Digest})
	}
	return t, nil
}

// kubernetesClaims reads the kubernetes.io claim Fulcio's kubernetes issuer type requires.
func kubernetesClaims(claims *Claims) (tektonKubernetes, error) {
	obj, ok := claims.Object("kubernetes.io")
	if !ok {
		return tektonKubernetes{}, fmt.Errorf("%w: Kubernetes token has no kubernetes.io object claim (%s)", ErrClaim, claims.describe("kubernetes.io"))
	}
	k := tektonKubernetes{Issuer: claims.Issuer()}
	k.Namespace, _ = obj["namespace"].(string)
	sa, _ := obj["serviceaccount"].(map[string]any)
	k.ServiceAccount, _ = sa["name"].(string)
	pod, _ := obj["pod"].(map[string]any)
	k.Pod, _ = pod["name"].(string)
	if k.Namespace == "" || k.ServiceAccount == "" {
		return tektonKubernetes{}, fmt.Errorf("%w: Kubernetes token needs kubernetes.io.namespace and kubernetes.io.serviceaccount.name", ErrClaim)
	}
	return k, nil
}

func checkTektonParams(p TektonParams, k tektonKubernetes) (TektonParams, error) {
	var errs []error
	if p.TaskRunName == "" {
		errs = append(errs, fmt.Errorf("%w: TaskRun name is empty (the Task passes $(context.taskRun.name))", ErrParam))
	}
	if p.UID == "" {
		errs = append(errs, fmt.Errorf("%w: TaskRun UID is empty (the Task passes $(context.taskRun.uid))", ErrParam))
	}
	if p.Namespace == "" {
		p.Namespace = k.Namespace
	}
	if p.Namespace != k.Namespace {
		errs = append(errs, fmt.Errorf("%w: TaskRun namespace parameter is %q but the token's kubernetes.io.namespace is %q", ErrEnvMismatch, p.Namespace, k.Namespace))
	}
	if p.ServiceAccount != "" && p.ServiceAccount != k.ServiceAccount {
		errs = append(errs, fmt.Errorf("%w: service account parameter is %q but the token's kubernetes.io.serviceaccount.name is %q", ErrEnvMismatch, p.ServiceAccount, k.ServiceAccount))
	}
	src, err := checkGitSource(p.GitURL, p.GitCommit)
	if err != nil {
		errs = append(errs, err)
	}
	p.GitURL, p.GitCommit = src.Repository, src.Commit
	return p, errors.Join(errs...)
}

func checkGitSource(rawURL, commit string) (tektonSource, error) {
	if rawURL == "" && commit == "" {
		return tektonSource{}, nil
	}
	if rawURL == "" || commit == "" {
		return tektonSource{}, fmt.Errorf("%w: git URL %q and commit %q: give both (CHAINS-GIT_URL and CHAINS-GIT_COMMIT) or neither", ErrParam, cleanRemote(rawURL), commit)
	}
	repo := cleanRemote(rawURL)
	if repo == "" {
		return tektonSource{}, fmt.Errorf("%w: git URL %q: expected a URL such as https://github.com/org/repo", ErrParam, rawURL)
	}
	commit = strings.ToLower(commit)
	if _, err := hex.DecodeString(commit); err != nil || len(commit) != 40 {
		return tektonSource{}, fmt.Errorf("%w: git commit %q: expected 40 hex digits", ErrParam, commit)
	}
	return tektonSource{Repository: repo, Commit: commit}, nil
}

// ociURI names an image reference as an oci:// URI unless it already has a scheme.
func ociURI(ref string) string {
	if strings.Contains(ref, "://") {
		return ref
	}
	return "oci://" + ref
}

// Platform returns Tekton.
func (t *TektonContext) Platform() Platform { return Tekton }

// Provenance implements core.ProvenanceSource.
func (t *TektonContext) Provenance(_ context.Context, run core.Run) (core.Predicate, error) {
	p := t.params
	ext := tektonExternal{TaskRun: tektonTaskRun{Name: p.TaskRunName, Namespace: p.Namespace, UID: p.UID}}
	if p.PipelineRun != "" {
		ext.PipelineRun = &tektonName{Name: p.PipelineRun}
	}
	var deps []resourceDescriptor
	if p.GitURL != "" {
		ext.Source = &tektonSource{Repository: p.GitURL, Commit: p.GitCommit}
		deps = append(deps, gitDependency(sourceName, p.GitURL, "", p.GitCommit))
	}
	deps = append(append(deps, t.images...), t.descriptors()...)
	pred := predicate{
		BuildDefinition: buildDefinition{BuildType: TektonBuildType, ExternalParameters: ext,
			InternalParameters: tektonInternal{Kubernetes: t.k8s}, ResolvedDependencies: deps},
		RunDetails: runDetails{Builder: builder{ID: kubernetesSAN(t.k8s.Namespace, t.k8s.ServiceAccount)}},
	}
	return finish(pred, run, p.UID)
}

// kubernetesSAN is the URI Fulcio certifies for a service account token.
func kubernetesSAN(namespace, serviceAccount string) string {
	return "https://kubernetes.io/namespaces/" + namespace + "/serviceaccounts/" + serviceAccount
}

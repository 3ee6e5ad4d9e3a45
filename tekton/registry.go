package tekton

import (
	"strings"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/provenance"
)

// The Task's container-image params, the variables they come through, and the result that
// lists what was pushed.
const (
	ParamSubjectImage   = "subject-image"
	ParamImagePlatforms = "image-platforms"
	ParamPushToRegistry = "push-to-registry"

	EnvSubjectImage   = "SIGNET_TEKTON_SUBJECT_IMAGE"    // $(params.subject-image)
	EnvImagePlatforms = "SIGNET_TEKTON_IMAGE_PLATFORMS"  // $(params.image-platforms)
	EnvPushToRegistry = "SIGNET_TEKTON_PUSH_TO_REGISTRY" // $(params.push-to-registry)

	// ResultRegistryAttestations lists REPOSITORY@MANIFEST per attestation pushed,
	// comma-separated; empty without push-to-registry.
	ResultRegistryAttestations = "registry-attestations"
)

var imageParamEnv = map[string]string{
	ParamSubjectImage:   EnvSubjectImage,
	ParamImagePlatforms: EnvImagePlatforms,
	ParamPushToRegistry: EnvPushToRegistry,
}

// readImages reads the image params into p. Registry credentials come from the dockerconfig
// workspace, which the Task passes as DOCKER_CONFIG to the Docker config keychain, as the
// tektoncd/catalog tasks take them.
func readImages(getenv func(string) string, p *ci.Plan) error {
	r := ci.NewReader(ci.SyntaxOf(provenance.Tekton), func(param string) (string, string) {
		env := imageParamEnv[param]
		return getenv(env), env
	})
	r.Images(p, ci.ImageInputs{Images: ParamSubjectImage, Platforms: ParamImagePlatforms, Push: ParamPushToRegistry})
	return r.Err()
}

// registryResult is the registry-attestations result of a run.
func registryResult(out ci.Outcome) Result {
	return Result{Name: ResultRegistryAttestations, Value: strings.Join(out.Pushed(), ",")}
}

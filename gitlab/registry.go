package gitlab

import (
	"fmt"
	"strings"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/provenance"
)

// The component's container-image inputs and the variables the template sets from them.
const (
	inputSubjectImage   = "subject-image"
	inputImagePlatforms = "image-platforms"
	inputPushToRegistry = "push-to-registry"

	VarSubjectImage   = "SIGNET_SUBJECT_IMAGE"
	VarImagePlatforms = "SIGNET_IMAGE_PLATFORMS"
	VarPushToRegistry = "SIGNET_PUSH_TO_REGISTRY"

	// KeyRegistryAttestations is the dotenv variable listing where attestations were pushed:
	// REPOSITORY@MANIFEST, comma-separated.
	KeyRegistryAttestations = "SIGNET_REGISTRY_ATTESTATIONS"
)

// registrySource names GitLab's registry credentials in errors.
const registrySource = "the job's CI_REGISTRY_USER and CI_REGISTRY_PASSWORD"

// imageVariable maps the image inputs to their variables ("" for another input).
func imageVariable(input string) string {
	switch input {
	case inputSubjectImage:
		return VarSubjectImage
	case inputImagePlatforms:
		return VarImagePlatforms
	case inputPushToRegistry:
		return VarPushToRegistry
	}
	return ""
}

// readImages reads the image inputs into p, and the job's own registry credentials
// (CI_REGISTRY, CI_REGISTRY_USER, CI_REGISTRY_PASSWORD) when GitLab's registry is on.
func readImages(getenv func(string) string, p *ci.Plan) error {
	r := ci.NewReader(ci.SyntaxOf(provenance.GitLab), func(input string) (string, string) {
		v := imageVariable(input)
		return getenv(v), v
	})
	r.Images(p, ci.ImageInputs{Images: inputSubjectImage, Platforms: inputImagePlatforms, Push: inputPushToRegistry})
	reg, user, pass := getenv("CI_REGISTRY"), getenv("CI_REGISTRY_USER"), getenv("CI_REGISTRY_PASSWORD")
	if reg != "" && user != "" && pass != "" {
		p.Registries = append(p.Registries, ci.RegistryCredential{Registry: strings.ToLower(reg), Username: user, Password: pass, Source: registrySource})
	}
	return r.Err()
}

// registryVariable is the dotenv variable listing the run's pushes, if any. GitLab's dotenv
// value is one line: the references, which hold no space, are joined by commas.
func registryVariable(out ci.Outcome) []Variable {
	pushed := out.Pushed()
	if len(pushed) == 0 {
		return nil
	}
	v := strings.Join(pushed, ",")
	if !dotenvSafe(v) {
		return []Variable{{KeyRegistryAttestations, fmt.Sprintf("%d-pushed-see-index", len(pushed))}}
	}
	return []Variable{{KeyRegistryAttestations, v}}
}

package action

import "github.com/signet-ci/signet/ci"

// The action's container-image inputs and output. push-to-registry has actions/attest's
// name and meaning.
const (
	InputSubjectImage   = "subject-image"
	InputImagePlatforms = "image-platforms"
	InputPushToRegistry = "push-to-registry"
	// OutputRegistryAttestations lists REPOSITORY@MANIFEST per attestation pushed.
	OutputRegistryAttestations = "registry-attestations"
)

// ghcr is GitHub's container registry, which the github-token input also signs in to (the
// job's GITHUB_TOKEN needs packages: write to push).
const ghcr = "ghcr.io"

// readImages reads the image inputs and, when a token is given, the ghcr.io credential
// (user GITHUB_ACTOR, as docker/login-action signs in with GITHUB_TOKEN).
func readImages(r *ci.Reader, p *ci.Plan, getenv func(string) string) {
	r.Images(p, ci.ImageInputs{Images: InputSubjectImage, Platforms: InputImagePlatforms, Push: InputPushToRegistry})
	token := r.String(InputGitHubToken)
	if token == "" {
		return
	}
	user := getenv("GITHUB_ACTOR")
	if user == "" {
		user = "github-actions"
	}
	p.Registries = append(p.Registries, ci.RegistryCredential{Registry: ghcr, Username: user, Password: token,
		Source: "the " + InputGitHubToken + " input (" + inputVariable(InputGitHubToken) + ")"})
}

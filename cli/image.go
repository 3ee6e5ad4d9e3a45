package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/oci"
)

// imagePlatformsAll is the --image-platforms value that adds every platform manifest.
const imagePlatformsAll = "all"

// registryClient is the registry client of a run: explicit credentials from the platform's
// plan first (matched to their registry host exactly), then the Docker config and its
// credential helpers through go-containerregistry's default keychain.
func registryClient(creds []ci.RegistryCredential) (*oci.Client, error) {
	opts := []oci.Option{oci.WithKeychain(authn.DefaultKeychain)}
	for _, c := range creds {
		opts = append(opts, oci.WithCredential(oci.Credential{Registry: c.Registry, Username: c.Username, Password: c.Password, Source: c.Source}))
	}
	return oci.New(opts...)
}

// image is an image subject of a run: the subject as signed and where it lives.
type image struct {
	subject    core.Subject
	repository string
}

// imageSet is a run's image subjects, by subject key.
type imageSet struct {
	images []image
}

// resolveImages resolves every --image reference to the digest its registry serves, once. A
// subject is named by its repository without tag (as actions/attest names it) and carries
// only the digest. An index is one subject; with --image-platforms all, each platform
// manifest is one more, named "REPOSITORY (os/arch[/variant])".
func resolveImages(ctx context.Context, reg *oci.Client, refs []string, platforms string) ([]core.Given, *imageSet, error) {
	set := &imageSet{}
	var given []core.Given
	for _, ref := range refs {
		img, err := reg.Resolve(ctx, ref)
		if err != nil {
			return nil, nil, fmt.Errorf("--image %s: %w", core.QuoteName(ref), err)
		}
		from := "--image " + core.QuoteName(ref)
		add := func(name, digest string) {
			s := core.Subject{Name: name, Digest: map[string]string{core.SHA256: strings.TrimPrefix(digest, "sha256:")}}
			given = append(given, core.Given{Subject: s, From: from})
			set.images = append(set.images, image{subject: s, repository: img.Repository})
		}
		add(img.Repository, img.Descriptor.Digest.String())
		if platforms != imagePlatformsAll {
			continue
		}
		for _, p := range img.Platforms {
			add(img.Repository+" ("+p.Platform+")", p.Descriptor.Digest.String())
		}
	}
	return given, set, nil
}

// checkImagePlatforms validates --image-platforms.
func checkImagePlatforms(v string, images int) error {
	switch v {
	case "":
		return nil
	case imagePlatformsAll:
		if images == 0 {
			return errors.New("--image-platforms all: give the images with --image")
		}
		return nil
	}
	return fmt.Errorf("--image-platforms %q: expected all (or leave it out for the index alone)", v)
}

// resolveImages resolves the run's --image references into its subject inputs.
func (c *attestConfig) resolveImages(ctx context.Context) (*imageSet, error) {
	if len(c.Images) == 0 {
		return &imageSet{}, nil
	}
	reg, err := registryClient(c.Registries)
	if err != nil {
		return nil, err
	}
	given, set, err := resolveImages(ctx, reg, c.Images, c.ImagePlatforms)
	if err != nil {
		return nil, err
	}
	c.Inputs.Images = append(c.Inputs.Images, given...)
	return set, nil
}

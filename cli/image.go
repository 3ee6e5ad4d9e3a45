package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"golang.org/x/sync/errgroup"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/oci"
	"github.com/signet-ci/signet/sbom"
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
	reg    *oci.Client
	images []image
}

// resolveImages resolves every --image reference to the digest its registry serves, once (a
// few at a time), keeping the order given. A subject is named by its repository without tag
// (as actions/attest names it) and carries only the digest. An index is one subject; with --image-platforms all, each platform
// manifest is one more, named "REPOSITORY (os/arch[/variant])".
func resolveImages(ctx context.Context, reg *oci.Client, refs []string, platforms string) ([]core.Given, *imageSet, error) {
	resolved := make([]*oci.Image, len(refs))
	var g errgroup.Group // references resolve a few at a time; the first failure is reported
	g.SetLimit(pushConcurrency)
	for i, ref := range refs {
		g.Go(func() error {
			img, err := reg.Resolve(ctx, ref)
			if err != nil {
				return fmt.Errorf("--image %s: %w", core.QuoteName(ref), err)
			}
			resolved[i] = img
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	set := &imageSet{}
	var given []core.Given
	for i, img := range resolved {
		from := "--image " + core.QuoteName(refs[i])
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
	if len(c.Images) == 0 && !c.PushToRegistry {
		return &imageSet{}, nil // no registry is used: the platform's credentials are not even checked
	}
	reg, err := registryClient(c.Registries)
	if err != nil {
		return nil, err
	}
	if len(c.Images) == 0 {
		return &imageSet{reg: reg}, nil
	}
	given, set, err := resolveImages(ctx, reg, c.Images, c.ImagePlatforms)
	if err != nil {
		return nil, err
	}
	set.reg = reg
	c.Inputs.Images = append(c.Inputs.Images, given...)
	return set, nil
}

// pushConcurrency bounds how many images one bundle is attached to at once.
const pushConcurrency = 8

// imagePusher attaches bundles to the run's images (core.Pusher).
type imagePusher struct {
	reg   *oci.Client
	byKey map[string]image
}

// newImagePusher returns the pusher of a --push-to-registry run over its image subjects:
// every --image, and every other subject (--subject, subject-name/subject-digest) whose name
// is a repository in a registry (ghcr.io/org/app). It refuses a run with no such subject
// before anything is signed.
func newImagePusher(reg *oci.Client, set *imageSet, subjects []core.Subject) (*imagePusher, error) {
	p := &imagePusher{reg: reg, byKey: map[string]image{}}
	for _, im := range set.images {
		p.byKey[subjectKey(im.subject)] = im
	}
	for _, s := range subjects {
		if _, ok := p.byKey[subjectKey(s)]; ok || s.Path != "" || s.Digest[core.SHA256] == "" {
			continue
		}
		if repo, ok := oci.RepositoryName(s.Name); ok {
			p.byKey[subjectKey(s)] = image{subject: s, repository: repo}
		}
	}
	if len(p.byKey) == 0 {
		return nil, errors.New("--push-to-registry: no subject is an image in a registry; give one with --image REGISTRY/REPOSITORY:TAG")
	}
	return p, nil
}

func subjectKey(s core.Subject) string { return s.Name + "\x00" + s.Digest[core.SHA256] }

// Push attaches one bundle to each of its image subjects, a few at a time; a failure for
// one image does not stop the others, and the first is returned with the records made.
func (p *imagePusher) Push(ctx context.Context, req core.PushRequest) ([]core.PushRecord, error) {
	var (
		mu   sync.Mutex
		recs []core.PushRecord
	)
	var g errgroup.Group // one refused image does not cancel the others' pushes
	g.SetLimit(pushConcurrency)
	for _, s := range req.Subjects {
		im, ok := p.byKey[subjectKey(s)]
		if !ok {
			continue
		}
		g.Go(func() error {
			h, err := oci.Hash("sha256:" + s.Digest[core.SHA256])
			if err != nil {
				return fmt.Errorf("subject %s: %w", core.QuoteName(s.Name), err)
			}
			pushed, err := p.reg.Attach(ctx, im.repository, h, oci.Attachment{Bundle: req.Bundle, PredicateType: req.PredicateType, Created: req.Created})
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			recs = append(recs, core.PushRecord{Subject: s.Name, SubjectDigest: h.String(), Repository: pushed.Repository,
				Manifest: pushed.Manifest.Digest.String(), Method: string(pushed.Method)})
			return nil
		})
	}
	err := g.Wait()
	sort.Slice(recs, func(i, j int) bool { return recs[i].Subject < recs[j].Subject })
	return recs, err
}

// imageSBOMs catalogs the run's image subjects from their registry and every other subject
// as before (core.DigestCataloger).
type imageSBOMs struct {
	core.SBOMGenerator
	reg *oci.Client
	set *imageSet
}

// Catalogs reports whether s is one of the run's --image subjects.
func (g *imageSBOMs) Catalogs(s core.Subject) bool {
	_, ok := g.set.find(s)
	return ok
}

// SBOM pulls an image subject through its registry (layers streamed) and catalogs it.
func (g *imageSBOMs) SBOM(ctx context.Context, s core.Subject, format string) (core.Predicate, error) {
	im, ok := g.set.find(s)
	gen, isGen := g.SBOMGenerator.(*sbom.Generator)
	if !ok || !isGen {
		return g.SBOMGenerator.SBOM(ctx, s, format)
	}
	return pullSBOM(ctx, g.reg, gen, s, im.repository, format)
}

// pullSBOM catalogs repository@s's digest from the registry.
func pullSBOM(ctx context.Context, reg *oci.Client, gen *sbom.Generator, s core.Subject, repository, format string) (core.Predicate, error) {
	h, err := oci.Hash("sha256:" + s.Digest[core.SHA256])
	if err != nil {
		return core.Predicate{}, fmt.Errorf("subject %s: %w", core.QuoteName(s.Name), err)
	}
	p, err := reg.Pull(ctx, repository, h)
	if err != nil {
		return core.Predicate{}, err
	}
	return gen.ImageSBOM(ctx, s, sbom.RegistryImage{Ref: p.Ref, Image: p.Image, Index: p.Index}, format)
}

func (s *imageSet) find(sub core.Subject) (image, bool) {
	for _, im := range s.images {
		if im.subject.Name == sub.Name && im.subject.Digest[core.SHA256] == sub.Digest[core.SHA256] {
			return im, true
		}
	}
	return image{}, false
}

// ociSBOMSubject resolves an oci:// argument of signet sbom to the subject it catalogs: the
// image or index the reference names, or with --platform that platform's manifest.
func ociSBOMSubject(ctx context.Context, reg *oci.Client, ref, platform string) (core.Subject, string, error) {
	img, err := reg.Resolve(ctx, ref)
	if err != nil {
		return core.Subject{}, "", fmt.Errorf("%s%s: %w", ociScheme, core.PrintableName(ref), err)
	}
	s := core.Subject{Name: img.Repository, Digest: map[string]string{core.SHA256: img.Descriptor.Digest.Hex}}
	if platform == "" {
		return s, img.Repository, nil
	}
	if !img.IsIndex() {
		return core.Subject{}, "", fmt.Errorf("--platform %s: %s%s is a single-platform image (%s); leave --platform out",
			core.QuoteName(platform), ociScheme, core.PrintableName(ref), img.Descriptor.Digest)
	}
	var have []string
	for _, p := range img.Platforms {
		if p.Platform == platform {
			s.Name = img.Repository + " (" + p.Platform + ")"
			s.Digest = map[string]string{core.SHA256: p.Descriptor.Digest.Hex}
			return s, img.Repository, nil
		}
		have = append(have, p.Platform)
	}
	return core.Subject{}, "", fmt.Errorf("--platform %s: %s%s has no such platform; it has %s",
		core.QuoteName(platform), ociScheme, core.PrintableName(ref), strings.Join(have, ", "))
}

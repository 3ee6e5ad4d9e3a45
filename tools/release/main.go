// Command release builds a signet release the same way on a laptop and in
// .github/workflows/release.yml: the static binaries and SHA256SUMS, the multi-platform image
// (pushed with -push), the release's own attestations (with -sign) and the pins written into
// action.yml, the GitLab component and the Tekton Task (with -pin). See docs/release.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/signet-ci/signet/internal/release"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	version := fs.String("version", "", "release version, the git tag: vMAJOR.MINOR.PATCH")
	out := fs.String("out", "dist", "output directory (must not hold the files it writes)")
	targets := fs.String("targets", "", "comma list of GOOS/GOARCH to build (default: all six)")
	base := fs.String("base", "", "base image with a static /bin/sh, by digest; empty for no image")
	image := fs.String("image", release.ImageRepository, "image repository")
	ca := fs.String("ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "CA bundle for the image")
	epoch := fs.Int64("source-date-epoch", 0, "creation time of the image, Unix seconds (default 0, as ko does: the image then depends on nothing but its contents)")
	push := fs.Bool("push", false, "push the image to -image:-version")
	sign := fs.Bool("sign", false, "sign the release with its own binary for this machine (more signet attest flags after --)")
	pin := fs.Bool("pin", false, "write the pins into action.yml, templates/ and tekton/ of -root")
	check := fs.Bool("check-pins", false, "fail unless the built digests equal the pins in -root")
	root := fs.String("root", ".", "the signet repository")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ts := release.Targets
	if *targets != "" {
		var err error
		if ts, err = release.ParseTargets(*targets); err != nil {
			return fmt.Errorf("-targets: %w", err)
		}
	}
	if err := release.CheckVersion(*version); err != nil {
		return fmt.Errorf("-version: %w", err)
	}
	var baseRef name.Reference
	if *base != "" {
		d, err := name.NewDigest(*base)
		if err != nil {
			return fmt.Errorf("-base %q: want NAME@sha256:HEX, a base pinned by digest, so the image is reproducible: %w", *base, err)
		}
		baseRef = d
	}
	if *epoch < 0 {
		return errors.New("-source-date-epoch: want Unix seconds, 0 or more")
	}
	if (*push || *pin || *check) && *base == "" {
		return errors.New("-push, -pin and -check-pins need the image: give -base")
	}
	if *pin && *targets != "" {
		return errors.New("-pin needs every target: leave -targets out")
	}
	created := time.Unix(*epoch, 0).UTC()
	if slices.ContainsFunc(ts, func(t release.Target) bool { return slices.Contains(release.ImagePlatforms, t) }) {
		// The rest of the Dockerfile's build context (docs/release.md), first: it fails fast.
		if err := release.WriteRootFS(*out, *ca, created); errors.Is(err, release.ErrCABundle) {
			return fmt.Errorf("-ca-bundle: %w", err)
		} else if err != nil {
			return err
		}
	}
	assets, err := release.BuildBinaries(ctx, *root, *out, *version, ts, os.Environ())
	if err != nil {
		return err
	}
	pins := release.Pins{Version: *version, Sums: map[string]string{}}
	for _, a := range assets {
		pins.Sums[a.Name] = a.SHA256
	}
	var imageRef string
	if baseRef != nil {
		bins := map[release.Target]string{}
		for _, a := range assets {
			bins[a.Target] = filepath.Join(*out, a.Name)
		}
		opts := []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}
		idx, err := release.BuildImage(ctx, release.ImageConfig{Base: baseRef, Binaries: bins, CABundle: *ca,
			Created: created, Options: opts})
		if err != nil {
			return err
		}
		d, err := idx.Digest()
		if err != nil {
			return err
		}
		pins.ImageDigest = d.String()
		imageRef = *image + "@" + d.String()
		if *push {
			tag, err := name.NewTag(*image + ":" + *version)
			if err != nil {
				return fmt.Errorf("-image: %w", err)
			}
			if _, err := release.PushImage(ctx, tag, idx, opts...); err != nil {
				return err
			}
		}
		fmt.Println("image", imageRef)
	}
	if err := release.WriteNotes(*out, *version, assets, imageRef); err != nil {
		return err
	}
	if *check {
		want, err := release.ReadPins(*root)
		if err != nil {
			return err
		}
		if want.SumsText() != pins.SumsText() || want.Image() != pins.Image() {
			return fmt.Errorf("the build does not reproduce the pins in %s:\npinned:\n%s%s\nbuilt:\n%s%s", *root, want.SumsText(), want.Image(), pins.SumsText(), pins.Image())
		}
	}
	if *pin {
		if err := release.WritePins(*root, pins); err != nil {
			return err
		}
	}
	if *sign {
		host := release.Target{OS: runtime.GOOS, Arch: runtime.GOARCH}
		bin, err := filepath.Abs(filepath.Join(*out, host.Binary()))
		if err != nil {
			return err
		}
		msg, err := release.Attest(ctx, bin, *out, assets, imageRef, *push, fs.Args())
		if err != nil {
			return err
		}
		fmt.Print(strings.TrimSpace(string(msg)) + "\n")
	}
	return nil
}

package release

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// AttestArgs returns the signet attest arguments that sign the release in its output
// directory: SLSA provenance and SPDX and CycloneDX SBOMs for every binary, provenance for the
// image index by digest (image is NAME@sha256:HEX, or empty for none), into attestations/.
// With push (the image is in its registry), the image is attested as --image and every bundle
// naming it is attached to it there (--push-to-registry), where cosign, gh and admission
// controllers look. extra are appended (--sigstore, --identity-token-file, --upload github, …).
func AttestArgs(assets []Asset, image string, push bool, extra []string) []string {
	args := []string{"attest", "--sbom", "spdx-json,cyclonedx-json", "--output-dir", "attestations"}
	switch {
	case image != "" && push:
		args = append(args, "--image", image, "--push-to-registry")
	case image != "":
		args = append(args, "--subject", image)
	}
	args = append(args, extra...)
	args = append(args, "--")
	for _, a := range assets {
		args = append(args, a.Name)
	}
	return args
}

// Attest runs signet (the release's own binary for the machine) in dir with AttestArgs: the
// release signs itself.
func Attest(ctx context.Context, signet, dir string, assets []Asset, image string, push bool, extra []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, signet, AttestArgs(assets, image, push, extra)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s attest: %w\n%s", filepath.Base(signet), err, out)
	}
	return out, nil
}

// Notes returns the release notes: the version, the binaries with their SHA-256s and the
// image by digest.
func Notes(version string, assets []Asset, image string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# signet %s\n\nStatic binaries (CGO_ENABLED=0, -trimpath, reproducible: rebuild with `go run ./tools/release -version %s` and compare SHA256SUMS):\n\n", version, version)
	b.WriteString("| file | SHA-256 |\n|---|---|\n")
	for _, a := range assets {
		fmt.Fprintf(&b, "| `%s` | `%s` |\n", a.Name, a.SHA256)
	}
	if image != "" {
		fmt.Fprintf(&b, "\nImage (linux/amd64, linux/arm64): `%s`\n", image)
	}
	b.WriteString("\nEvery file and the image are attested by signet itself: SLSA provenance and SPDX/CycloneDX SBOMs in `attestations/` (see docs/release.md to verify).\n")
	return b.String()
}

// WriteNotes writes Notes to dir/RELEASE_NOTES.md.
func WriteNotes(dir, version string, assets []Asset, image string) error {
	return os.WriteFile(filepath.Join(dir, "RELEASE_NOTES.md"), []byte(Notes(version, assets, image)), 0o644)
}

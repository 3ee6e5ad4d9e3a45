package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/oci"
	"github.com/signet-ci/signet/sbom"
)

// sbomConfig is one `signet sbom` run.
type sbomConfig struct {
	format      string
	output      string
	fileDigests bool
	maxDepth    int
	maxMembers  int
	maxExpanded int64
	truncate    bool
	platform    string // --platform of oci:// images
}

func newSBOMCmd(env Env) *cobra.Command {
	cfg := sbomConfig{}
	cmd := &cobra.Command{
		Use:   "sbom PATH... | sbom oci://IMAGE [--platform os/arch]",
		Short: "Write the SBOM of build outputs (unsigned): SPDX 2.3 or CycloneDX 1.6 JSON",
		Long: `sbom catalogs what is inside each PATH and writes its SBOM. A PATH is a file (a Go binary, an
archive: tar, tar.gz, tar.zst, tar.xz, zip, jar, wheel; a docker-archive or OCI archive image
tarball; a .deb; a package-lock.json) or a directory. The artifact itself is the primary package,
with its sha256.

A directory with an oci-layout file is read as an OCI image layout. Any other directory is a
workspace: its installed packages (node_modules, Python dist-info, Go binaries, archives) and its
lock files and manifests (go.mod/go.sum, package-lock.json, pnpm-lock.yaml, yarn.lock,
requirements*.txt, poetry.lock, uv.lock, Cargo.lock, pom.xml, Gemfile.lock) are cataloged;
packages only declared, not installed, carry the property signet:declared-only=true. Links are
not followed. A workspace's sha256 is that of the listing ("SHA256  NAME" lines) of the files
read.

An argument oci://REGISTRY/REPOSITORY:TAG (or @sha256:HEX) is an image in a registry: the tag is
resolved to a digest once, and the image is pulled through the registry (layers streamed, no Docker
daemon, credentials from the Docker config) and cataloged as a docker-archive of it would be, within
the same limits. An index catalogs every platform; --platform os/arch[/variant] picks one.

With one PATH the document goes to standard output, or to --output FILE (written atomically). With
several PATHs, --output names a directory that receives one document per PATH.

The SBOM is not signed: use "signet attest --sbom spdx-json,cyclonedx-json" to sign it with the
run's provenance.`,
		Example: `  signet sbom dist/app --format cyclonedx-json
  signet sbom . --format cyclonedx-json --output project.cdx.json
  signet sbom image.tar --format spdx-json --output image.spdx.json
  signet sbom dist/*.tar.gz --output sboms/ --file-digests
  signet sbom oci://ghcr.io/org/app:v1.2.3 --platform linux/arm64 --format cyclonedx-json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSBOM(cmd.Context(), env, cfg, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.format, "format", core.SBOMSPDX, "document format: "+strings.Join(core.SBOMFormats(), " or "))
	f.StringVarP(&cfg.output, "output", "o", "", "write to FILE (one PATH) or into DIR (several PATHs) instead of standard output")
	f.BoolVar(&cfg.fileDigests, "file-digests", false, "list every file inside the artifact with its SHA-1 and SHA-256 (large documents)")
	f.IntVar(&cfg.maxDepth, "max-depth", sbom.DefaultMaxDepth, "how deeply archives may nest")
	f.IntVar(&cfg.maxMembers, "max-members", sbom.DefaultMaxMembers, "most members one archive, image filesystem or workspace directory may hold (installed packages' own files are not counted)")
	f.Int64Var(&cfg.maxExpanded, "max-expanded-bytes", sbom.DefaultMaxExpandedBytes, "most bytes the archives of one PATH may expand to")
	f.StringVar(&cfg.platform, "platform", "", "with oci://IMAGE arguments: catalog only this platform (os/arch[/variant]) of a multi-platform index")
	f.BoolVar(&cfg.truncate, "truncate-fields", false, "cut a name, version, license or other field over its size limit and mark it \"…(truncated sha256:HASH)\" instead of failing")
	return cmd
}

func runSBOM(ctx context.Context, env Env, cfg sbomConfig, args []string) error {
	if _, err := core.CheckSBOMFormats([]string{cfg.format}); err != nil {
		return fmt.Errorf("--format %q: expected %s (one format per run)", cfg.format, strings.Join(core.SBOMFormats(), " or "))
	}
	if len(args) > 1 && cfg.output == "" {
		return errors.New("several PATHs write several documents: give --output DIR")
	}
	gen, err := sbom.NewGenerator(sbom.WithFileDigests(cfg.fileDigests), sbom.WithMaxDepth(cfg.maxDepth),
		sbom.WithMaxMembers(cfg.maxMembers), sbom.WithMaxExpandedBytes(cfg.maxExpanded), sbom.WithToolVersion(version()),
		sbom.WithTruncation(cfg.truncate))
	if err != nil {
		return err
	}
	if len(args) > 1 {
		seen := map[string]string{}
		for _, arg := range args {
			n := core.SBOMFileName(sbomName(arg), cfg.format)
			if prev, ok := seen[strings.ToLower(n)]; ok {
				return fmt.Errorf("PATHs %q and %q would both write %q: name each output once", prev, arg, n)
			}
			seen[strings.ToLower(n)] = arg
		}
	}
	images := 0
	for _, arg := range args {
		if strings.HasPrefix(arg, ociScheme) {
			images++
		}
	}
	if cfg.platform != "" && images == 0 {
		return errors.New("--platform selects a platform of an oci://IMAGE argument: give one")
	}
	var reg *oci.Client
	if images > 0 {
		if reg, err = registryClient(nil); err != nil {
			return err
		}
	}
	for _, arg := range args {
		var p core.Predicate
		var s core.Subject
		if ref, ok := strings.CutPrefix(arg, ociScheme); ok {
			var repo string
			if s, repo, err = ociSBOMSubject(ctx, reg, ref, cfg.platform); err != nil {
				return err
			}
			p, err = pullSBOM(ctx, reg, gen, s, repo, cfg.format)
		} else {
			if s, err = sbomSubject(ctx, env, arg); err != nil {
				return err
			}
			p, err = gen.SBOM(ctx, s, cfg.format)
		}
		if err != nil {
			return withLimitHint(err)
		}
		if err := writeSBOM(env, cfg, len(args) > 1, s.Name, p.JSON); err != nil {
			return err
		}
	}
	return nil
}

// sbomSubject turns a PATH argument into a subject: its name as given, its file resolved
// against the working directory, its sha256 (an OCI layout directory is digested by the
// generator, from its index.json).
func sbomSubject(ctx context.Context, env Env, arg string) (core.Subject, error) {
	p := arg
	if !filepath.IsAbs(p) && env.Dir != "" {
		p = filepath.Join(env.Dir, p)
	}
	info, err := os.Stat(p)
	if err != nil {
		return core.Subject{}, fmt.Errorf("PATH %q: %w", arg, err)
	}
	name := sbomName(arg)
	if info.IsDir() {
		return core.Subject{Name: name, Path: p}, nil
	}
	subs, err := core.DigestFiles(ctx, []core.FileRef{{Name: name, Path: p}}, core.SHA256, 1)
	if err != nil {
		return core.Subject{}, err
	}
	return subs[0], nil
}

// sbomName is the subject name of a PATH argument: the path as given, cleaned and
// slash-separated as attest names subjects, so that its document file under --output DIR is
// the one attest writes under sbom/ (core.SBOMFileName, injective).
func sbomName(arg string) string { return path.Clean(filepath.ToSlash(arg)) }

// writeSBOM writes one document to standard output, to --output FILE, or into --output DIR.
func writeSBOM(env Env, cfg sbomConfig, many bool, name string, doc []byte) error {
	if cfg.output == "" {
		_, err := env.Stdout.Write(doc)
		return err
	}
	out := cfg.output
	if !filepath.IsAbs(out) && env.Dir != "" {
		out = filepath.Join(env.Dir, out)
	}
	if many {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("--output %q: %w", cfg.output, err)
		}
		out = filepath.Join(out, core.SBOMFileName(name, cfg.format))
	} else if info, err := os.Stat(out); err == nil && info.IsDir() {
		out = filepath.Join(out, core.SBOMFileName(name, cfg.format))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--output %q: %w", cfg.output, err)
	}
	return core.WriteFileAtomic(out, doc, 0o644)
}

// withLimitHint adds to an SBOM limit error the flag of `signet sbom` that raises the limit, or
// says that the limit is fixed.
func withLimitHint(err error) error {
	var le *sbom.LimitError
	if !errors.As(err, &le) {
		return err
	}
	switch le.Limit {
	case sbom.LimitDepth, sbom.LimitMembers, sbom.LimitExpandedBytes:
		return fmt.Errorf("%w; raise it with --%s if this input is trusted", err, le.Limit)
	case sbom.LimitFieldBytes, sbom.LimitTextBytes:
		return fmt.Errorf("%w; --truncate-fields cuts such fields and marks them instead", err)
	}
	return fmt.Errorf("%w; this limit is fixed", err)
}

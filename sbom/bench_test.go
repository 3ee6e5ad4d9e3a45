package sbom

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/signet-ci/signet/core"
)

// bigProgram imports the heavy parts of signet's own dependency graph, so its binary has
// the size and module count of a real CI tool.
const bigProgram = `package main

import (
	"fmt"

	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/sigstore/sigstore-go/pkg/sign"
	_ "github.com/sigstore/sigstore-go/pkg/verify"
	_ "github.com/spf13/cobra"
	_ "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

func main() { fmt.Println("big") }
`

// buildBig compiles bigProgram against this module's go.mod (run from the module root).
var bigPath = flag.String("bench-binary", "", "copy the large benchmark Go binary to this path")

var buildBig = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(fixtureDir, "big")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte(bigProgram), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "big")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, src)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the large Go program: %v\n%s", err, b)
	}
	if *bigPath != "" {
		b, err := os.ReadFile(out)
		if err != nil {
			return "", err
		}
		return out, os.WriteFile(*bigPath, b, 0o755)
	}
	return out, nil
})

// image100MB writes a docker-archive of about 100 MB: a Debian-like layer with 700 dpkg
// packages and incompressible filler, and a layer with 94 npm packages, 94 Python
// distributions, a jar and the two Go fixtures.
func image100MB(b *testing.B, p string) {
	gf := goBinaries(b)
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	filler := func(name string, n int) entry {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		return fileBytes(name, buf)
	}
	var status strings.Builder
	base := []entry{file("etc/os-release", debianOSRelease)}
	for i := range 700 {
		fmt.Fprintf(&status, "Package: pkg%03d\nStatus: install ok installed\nMaintainer: Team %d <team%d@example.org>\nArchitecture: amd64\nVersion: 1.%d-1\nDepends: pkg%03d (>= 1.0), pkg%03d | other\nDescription: package %d\n\n",
			i, i%40, i%40, i, (i+1)%700, (i+7)%700, i)
		base = append(base, file(fmt.Sprintf("var/lib/dpkg/info/pkg%03d.list", i), fmt.Sprintf("/usr/share/pkg%03d/data.bin\n", i)))
		if i < 90 {
			base = append(base, filler(fmt.Sprintf("usr/share/pkg%03d/data.bin", i), 1<<20))
		}
	}
	base = append(base, file("var/lib/dpkg/status", status.String()))
	lang := []entry{fileBytes("usr/local/bin/hello", readFile(b, gf.hello)), fileBytes("usr/local/bin/tool", readFile(b, gf.tool)),
		fileBytes("opt/app/app-1.4.2.jar", appJar(b))}
	for i := range 94 {
		lang = append(lang,
			file(fmt.Sprintf("app/node_modules/mod%02d/package.json", i), fmt.Sprintf(`{"name":"mod%02d","version":"1.0.%d","author":"A %d <a%d@example.org>","license":"MIT","dependencies":{"mod%02d":"*"}}`, i, i, i, i, (i+1)%94)),
			file(fmt.Sprintf("usr/lib/python3/dist-packages/dist%02d-2.0.%d.dist-info/METADATA", i, i), pyMetadata(fmt.Sprintf("dist%02d", i), "2.0."+strconv.Itoa(i), fmt.Sprintf("Author: P %d\nLicense-Expression: MIT\nRequires-Dist: dist%02d", i, (i+1)%94))))
	}
	img := empty.Image
	for _, layerTar := range [][]byte{tarOf(b, base...), tarOf(b, lang...)} {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil },
			tarball.WithCompressionLevel(gzip.BestSpeed))
		if err != nil {
			b.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			b.Fatal(err)
		}
	}
	writeDockerArchive(b, p, img)
}

// peakRSS resets the kernel's peak-RSS counter for this process and returns a function
// reading it back, in MiB (Linux only; 0 elsewhere).
func peakRSS() func() float64 {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return func() float64 { return 0 }
	}
	return func() float64 {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return 0
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
		return 0
	}
}

func benchSBOM(b *testing.B, s core.Subject) {
	info, err := os.Stat(s.Path)
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range Formats {
		b.Run(format, func(b *testing.B) {
			var peak float64
			var packages int
			for b.Loop() {
				g, err := NewGenerator() // a new generator each time: no catalog reused
				if err != nil {
					b.Fatal(err)
				}
				read := peakRSS()
				p, err := g.SBOM(context.Background(), s, format)
				if err != nil {
					b.Fatal(err)
				}
				peak = max(peak, read())
				packages = bytes.Count(p.JSON, []byte(`"pkg:`))
			}
			b.ReportMetric(peak, "peak-RSS-MiB")
			b.ReportMetric(float64(info.Size())/(1<<20), "input-MiB")
			b.ReportMetric(float64(packages), "purl-refs")
		})
	}
}

// BenchmarkSBOMGoBinary is the SBOM of a large Go binary (peer figure: trivy 0.15 s, syft
// 2.11 s for a 126 MB binary with 273 modules).
func BenchmarkSBOMGoBinary(b *testing.B) {
	p, err := buildBig()
	if err != nil {
		b.Fatal(err)
	}
	benchSBOM(b, pathSubject(b, "big", p))
}

var imagePath = flag.String("bench-image", "", "write (or reuse) the 100 MB benchmark image at this path instead of a temporary one")

// BenchmarkSBOMImage100MB is the SBOM of a ~100 MB docker-archive (peer figure: trivy
// 4.34 s, syft 7.75 s for a 138 MB image; goal 2 s).
func BenchmarkSBOMImage100MB(b *testing.B) {
	p := filepath.Join(fixtureDir, "image100.tar")
	if *imagePath != "" {
		p = *imagePath
	}
	if _, err := os.Stat(p); err != nil {
		image100MB(b, p)
	}
	benchSBOM(b, pathSubject(b, "image100.tar", p))
}

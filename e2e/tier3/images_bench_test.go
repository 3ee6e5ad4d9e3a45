//go:build tier3

package tier3

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// BenchmarkImagesSignetVsCosign attests the same 100 images of the tier-3 registry twice in one
// run: signet in one run (one certificate, pushes 8 at a time), then cosign attest one image at
// a time, both against the same Fulcio, TSA, Rekor and registry. It reports each per image and
// their ratio. Run: scripts/tier3.sh -run XXX -bench ImagesSignetVsCosign -benchtime 1x
func BenchmarkImagesSignetVsCosign(b *testing.B) {
	const images = 100
	s := loadStack(b)
	reg := loadRegistry(b)
	ctx := b.Context()
	tr := writeTrust(ctx, b, s)
	tok, _ := mintToken(ctx, b, s, "email")
	auth := remote.WithAuth(&authn.Basic{Username: reg.User, Password: reg.Password})
	var refs []string
	for i := range images {
		img, err := random.Image(256, 1)
		if err != nil {
			b.Fatal(err)
		}
		tag, err := name.NewTag(fmt.Sprintf("%s/bench/app%03d:v1", reg.Host, i), name.Insecure)
		if err != nil {
			b.Fatal(err)
		}
		if err := remote.Write(tag, img, auth, remote.WithContext(ctx)); err != nil {
			b.Fatal(err)
		}
		d, _ := img.Digest()
		refs = append(refs, tag.Context().Digest(d.String()).String())
	}
	env := []string{"DOCKER_CONFIG=" + reg.dockerConfig(b, reg.Password)}
	work := b.TempDir()
	pred := filepath.Join(work, "predicate.json")
	writeFile(b, pred, []byte(`{"buildDefinition":{"buildType":"https://signet.dev/tier3/bench","externalParameters":{}},`+
		`"runDetails":{"builder":{"id":"https://signet.dev/tier3"}}}`))
	args := []string{"attest", "--sigstore", tr.Dir, "--identity-token-file", tok, "--platform", "local", "--force", "--push-to-registry"}
	for _, r := range refs {
		args = append(args, "--image", r)
	}
	var signetDur, cosignDur time.Duration
	for b.Loop() {
		start := time.Now()
		run(ctx, b, work, env, s.Signet, args...).mustSucceed(b, "signet attest of 100 images")
		signetDur += time.Since(start)
		start = time.Now()
		for _, r := range refs {
			run(ctx, b, work, env, s.Cosign, "attest", "--yes", "--signing-config", filepath.Join(tr.Dir, signingConfigFile),
				"--trusted-root", filepath.Join(tr.Dir, trustedRootFile), "--identity-token", tok, "--allow-http-registry",
				"--type", "slsaprovenance1", "--predicate", pred, r).mustSucceed(b, "cosign attest "+r)
		}
		cosignDur += time.Since(start)
	}
	n := float64(b.N * images)
	b.ReportMetric(float64(signetDur.Milliseconds())/n, "signet-ms/image")
	b.ReportMetric(float64(cosignDur.Milliseconds())/n, "cosign-ms/image")
	b.ReportMetric(float64(cosignDur)/float64(signetDur), "cosign/signet")
}

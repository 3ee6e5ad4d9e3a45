package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/signet-ci/signet/internal/backoff"
	"github.com/signet-ci/signet/internal/registrytest"
	"github.com/signet-ci/signet/oci"
)

// modes runs a test against the registry with and without its referrers API.
var modes = []struct {
	name string
	opts []registrytest.Option
}{
	{"tag-schema", nil},
	{"referrers-api", []registrytest.Option{registrytest.WithReferrers()}},
}

func newClient(t *testing.T, opts ...oci.Option) *oci.Client {
	t.Helper()
	fast, err := backoff.New(backoff.WithAttempts(2), backoff.WithDelay(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	c, err := oci.New(append([]oci.Option{oci.WithRetry(fast)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var bundleJSON = []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{}}`)

func TestResolve(t *testing.T) {
	t.Parallel()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, m.opts...)
			single, _ := reg.Image(t, "org/app", "v1")
			index, _ := reg.Index(t, "org/multi", "latest")
			c := newClient(t)
			ctx := context.Background()

			img, err := c.Resolve(ctx, reg.Host+"/org/app:v1")
			if err != nil {
				t.Fatal(err)
			}
			if img.Repository != reg.Host+"/org/app" || img.Descriptor.Digest.String() != single.DigestStr() || img.IsIndex() || img.Platforms != nil {
				t.Errorf("Resolve(tag) = %+v, want %s", img, single)
			}
			byDigest, err := c.Resolve(ctx, single.String())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(img, byDigest); diff != "" {
				t.Errorf("by tag and by digest differ (-tag +digest):\n%s", diff)
			}
			ix, err := c.Resolve(ctx, reg.Host+"/org/multi:latest")
			if err != nil {
				t.Fatal(err)
			}
			if !ix.IsIndex() || ix.Descriptor.Digest.String() != index.DigestStr() {
				t.Errorf("index resolved to %+v, want %s", ix.Descriptor, index)
			}
			var plats []string
			for _, p := range ix.Platforms {
				plats = append(plats, p.Platform)
			}
			if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64/v8"}, plats); diff != "" {
				t.Errorf("platforms (attestation manifest left out) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveRefusesBadReferences(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t)
	reg.Image(t, "org/app", "v1")
	c := newClient(t)
	for _, ref := range []string{
		"",
		reg.Host + "/Org/App:v1", // upper case is another (invalid) name
		reg.Host + "/org/app@sha512:" + strings.Repeat("a", 128), // only sha256
		reg.Host + "/org/app:v1\n",
		reg.Host + "/org/ap:v1",  // look-alike repository: not there
		reg.Host + "/org/app:v2", // no such tag
	} {
		if img, err := c.Resolve(context.Background(), ref); err == nil {
			t.Errorf("Resolve(%q) = %+v, want an error", ref, img)
		}
	}
}

// A registry that serves other content than the digest it is asked for, or a
// Docker-Content-Digest that disagrees with the content, is refused.
func TestResolveRefusesDigestMismatch(t *testing.T) {
	t.Parallel()
	var other []byte
	tamper := func(mode string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/manifests/") || other == nil {
					next.ServeHTTP(w, r)
					return
				}
				switch mode {
				case "content":
					w.Header().Set("Content-Type", string(types.DockerManifestSchema2))
					w.Write(other)
				case "header":
					rec := &recorder{header: http.Header{}}
					next.ServeHTTP(rec, r)
					for k, v := range rec.header {
						w.Header()[k] = v
					}
					w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("0", 64))
					w.WriteHeader(rec.status)
					w.Write(rec.body.Bytes())
				}
			})
		}
	}
	for _, mode := range []string{"content", "header"} {
		t.Run(mode, func(t *testing.T) {
			reg := registrytest.Start(t, registrytest.WithHandler(tamper(mode)))
			d, _ := reg.Image(t, "org/app", "v1")
			img, _ := random.Image(64, 1)
			other, _ = img.RawManifest()
			defer func() { other = nil }()
			_, err := newClient(t).Resolve(context.Background(), d.String())
			if !errors.Is(err, oci.ErrDigestMismatch) {
				t.Fatalf("Resolve = %v, want ErrDigestMismatch", err)
			}
			if !strings.Contains(err.Error(), reg.Host+"/org/app") {
				t.Errorf("error %q does not name the repository", err)
			}
		})
	}
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(s int)           { r.status = s }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

func TestAttachDiscoverFetch(t *testing.T) {
	t.Parallel()
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.Start(t, m.opts...)
			d, _ := reg.Image(t, "org/app", "v1")
			c := newClient(t)
			ctx := context.Background()
			subject, _ := v1.NewHash(d.DigestStr())
			created := time.Date(2026, 12, 1, 10, 0, 0, 123e6, time.UTC)
			a := oci.Attachment{Bundle: bundleJSON, PredicateType: "https://slsa.dev/provenance/v1", Created: created}
			p, err := c.Attach(ctx, reg.Host+"/org/app", subject, a)
			if err != nil {
				t.Fatal(err)
			}
			wantMethod := oci.ByReferrersTag
			if reg.Referrers {
				wantMethod = oci.ByReferrersAPI
			}
			if p.Method != wantMethod || p.Subject != d.DigestStr() || p.Repository != reg.Host+"/org/app" {
				t.Errorf("Attach = %+v, want method %s", p, wantMethod)
			}
			checkLayout(t, reg, p.Manifest.Digest, d)

			// Idempotent: the same bundle again adds no second referrer.
			again, err := c.Attach(ctx, reg.Host+"/org/app", subject, a)
			if err != nil {
				t.Fatal(err)
			}
			if again.Manifest.Digest != p.Manifest.Digest {
				t.Errorf("second push made manifest %s, first %s", again.Manifest.Digest, p.Manifest.Digest)
			}
			refs, err := c.Referrers(ctx, reg.Host+"/org/app", subject)
			if err != nil {
				t.Fatal(err)
			}
			if len(refs) != 1 || refs[0].Manifest.Digest != p.Manifest.Digest || refs[0].Method != wantMethod {
				t.Fatalf("Referrers = %+v, want the one pushed by %s", refs, wantMethod)
			}
			if got := refs[0].Manifest.Annotations[oci.AnnotationPredicateType]; got != a.PredicateType {
				t.Errorf("listed predicate type %q", got)
			}
			b, err := c.Bundle(ctx, reg.Host+"/org/app", subject, refs[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, bundleJSON) {
				t.Errorf("Bundle = %s", b)
			}
			// A look-alike repository has no referrers of this image.
			reg.Put(t, "org/app-evil", "v1", mustImage(t, d))
			if refs, err := c.Referrers(ctx, reg.Host+"/org/app-evil", subject); err != nil || len(refs) != 0 {
				t.Errorf("look-alike repository: referrers %+v, %v", refs, err)
			}
		})
	}
}

func mustImage(t *testing.T, d name.Digest) v1.Image {
	img, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// checkLayout reads the pushed manifest back raw and compares it with what @sigstore/oci
// (actions/attest) and cosign v3 write.
func checkLayout(t *testing.T, reg *registrytest.Registry, manifest v1.Hash, subject name.Digest) {
	t.Helper()
	raw, err := remote.Get(subject.Context().Digest(manifest.String()))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(subject)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"schemaVersion": float64(2),
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"artifactType":  "application/vnd.dev.sigstore.bundle.v0.3+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "size": float64(2),
			"digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
		"layers": []any{map[string]any{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
			"size": float64(len(bundleJSON)), "digest": digestOf(bundleJSON)}},
		"subject": map[string]any{"mediaType": string(desc.MediaType), "size": float64(desc.Size), "digest": subject.DigestStr()},
		"annotations": map[string]any{
			"dev.sigstore.bundle.content":       "dsse-envelope",
			"dev.sigstore.bundle.predicateType": "https://slsa.dev/provenance/v1",
			"org.opencontainers.image.created":  "2026-12-01T10:00:00.123Z",
		},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("artifact manifest (-want +got):\n%s", diff)
	}
}

func digestOf(b []byte) string {
	h, _, _ := v1.SHA256(bytes.NewReader(b))
	return h.String()
}

// The digest given wins: a tag moved after resolving does not change what is attached to.
func TestAttachUsesTheDigestNotTheTag(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t)
	c := newClient(t)
	ctx := context.Background()
	first, _ := reg.Image(t, "org/app", "v1")
	img, err := c.Resolve(ctx, reg.Host+"/org/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	second, _ := reg.Image(t, "org/app", "v1") // the tag moves
	if second.DigestStr() == first.DigestStr() {
		t.Fatal("random images collided")
	}
	p, err := c.Attach(ctx, img.Repository, img.Descriptor.Digest, oci.Attachment{Bundle: bundleJSON, PredicateType: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != first.DigestStr() {
		t.Errorf("attached to %s, want the resolved %s", p.Subject, first.DigestStr())
	}
	h2, _ := v1.NewHash(second.DigestStr())
	if refs, _ := c.Referrers(ctx, img.Repository, h2); len(refs) != 0 {
		t.Errorf("the image the tag moved to has referrers %+v", refs)
	}
}

func TestAttachRefusesAMissingImage(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t)
	reg.Image(t, "org/app", "v1")
	missing, _ := v1.NewHash("sha256:" + strings.Repeat("ab", 32))
	_, err := newClient(t).Attach(context.Background(), reg.Host+"/org/app", missing, oci.Attachment{Bundle: bundleJSON, PredicateType: "x"})
	var re *oci.RegistryError
	if !errors.As(err, &re) || re.Status != http.StatusNotFound || re.Digest != missing.String() {
		t.Fatalf("Attach(missing) = %v, want a RegistryError with 404 naming the digest", err)
	}
}

// Authentication failures name the registry, the repository and the credential source,
// and never the password.
func TestAuthErrors(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-registry-password"
	reg := registrytest.Start(t, registrytest.WithBasicAuth("ci", secret))
	d, _ := reg.Image(t, "org/app", "v1")
	for _, tc := range []struct {
		name   string
		opts   []oci.Option
		source string
	}{
		{"wrong password", []oci.Option{oci.WithCredential(oci.Credential{Registry: reg.Host, Username: "ci", Password: "wrong-" + secret, Source: "the registry-password input"})}, "the registry-password input"},
		{"anonymous", nil, "no credentials (anonymous)"},
		{"look-alike host gets no credentials", []oci.Option{oci.WithCredential(oci.Credential{Registry: "127.0.0.10" + strings.TrimPrefix(reg.Host, "127.0.0.1"), Username: "ci", Password: secret, Source: "x"})}, "no credentials (anonymous)"},
		{"another port gets no credentials", []oci.Option{oci.WithCredential(oci.Credential{Registry: "127.0.0.1", Username: "ci", Password: secret, Source: "x"})}, "no credentials (anonymous)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newClient(t, tc.opts...).Resolve(context.Background(), d.String())
			var re *oci.RegistryError
			if !errors.As(err, &re) || re.Status != http.StatusUnauthorized {
				t.Fatalf("Resolve = %v, want a 401 RegistryError", err)
			}
			msg := err.Error()
			for _, want := range []string{reg.Host, reg.Host + "/org/app", tc.source, "401"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error %q shows the password", msg)
			}
		})
	}
	ok := newClient(t, oci.WithCredential(oci.Credential{Registry: reg.Host, Username: "ci", Password: secret, Source: "test"}))
	if _, err := ok.Resolve(context.Background(), d.String()); err != nil {
		t.Fatalf("right password: %v", err)
	}
	kc := newClient(t, oci.WithKeychain(staticKeychain{&authn.Basic{Username: "ci", Password: secret}}))
	if _, err := kc.Resolve(context.Background(), d.String()); err != nil {
		t.Fatalf("keychain: %v", err)
	}
}

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

func TestCredentialOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, cr := range []oci.Credential{
		{Registry: "", Username: "u", Password: "p", Source: "s"},
		{Registry: "ghcr.io/org", Username: "u", Password: "p", Source: "s"},
		{Registry: "ghcr.io", Username: "", Password: "p", Source: "s"},
		{Registry: "ghcr.io", Username: "u", Password: "", Source: "s"},
		{Registry: "ghcr.io", Username: "u", Password: "p"},
	} {
		_, err := oci.New(oci.WithCredential(cr))
		if err == nil {
			t.Errorf("WithCredential(%+v) accepted", cr)
		} else if cr.Password != "" && strings.Contains(err.Error(), cr.Password+"\"") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

// Hostile registries: oversized or overlong referrer lists, a referrer of another image, an
// oversized or tampered bundle layer.
func TestHostileReferrers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setup := func(t *testing.T, wrap func(subject string, next http.Handler) http.Handler) (*oci.Client, string, v1.Hash) {
		var subject string
		reg := registrytest.Start(t, registrytest.WithHandler(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { wrap(subject, next).ServeHTTP(w, r) })
		}))
		d, _ := reg.Image(t, "org/app", "v1")
		subject = d.DigestStr()
		h, _ := v1.NewHash(subject)
		return newClient(t), reg.Host + "/org/app", h
	}
	serveTag := func(body func() []byte) func(string, http.Handler) http.Handler {
		return func(subject string, next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if subject != "" && strings.HasSuffix(r.URL.Path, "/manifests/"+strings.Replace(subject, ":", "-", 1)) {
					w.Header().Set("Content-Type", string(types.OCIImageIndex))
					w.Write(body())
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	t.Run("huge index", func(t *testing.T) {
		t.Parallel()
		c, repo, h := setup(t, serveTag(func() []byte {
			return append([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"x":"`), bytes.Repeat([]byte("a"), oci.MaxManifestSize+10)...)
		}))
		if _, err := c.Referrers(ctx, repo, h); !errors.Is(err, oci.ErrTooLarge) {
			t.Fatalf("Referrers = %v, want ErrTooLarge", err)
		}
	})
	t.Run("too many entries", func(t *testing.T) {
		t.Parallel()
		c, repo, h := setup(t, serveTag(func() []byte {
			var b strings.Builder
			b.WriteString(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[`)
			for i := 0; i <= oci.MaxReferrers; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":%q,"digest":"sha256:%064x","size":1}`, oci.BundleMediaType, i)
			}
			b.WriteString("]}")
			return []byte(b.String())
		}))
		if _, err := c.Referrers(ctx, repo, h); !errors.Is(err, oci.ErrTooLarge) {
			t.Fatalf("Referrers = %v, want ErrTooLarge", err)
		}
	})
	t.Run("not an index", func(t *testing.T) {
		t.Parallel()
		c, repo, h := setup(t, serveTag(func() []byte {
			return []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}`)
		}))
		if _, err := c.Referrers(ctx, repo, h); err == nil {
			t.Fatal("a manifest served as the referrers index was accepted")
		}
	})
}

// A referrer listed for one image whose manifest names another image as its subject is
// refused when read, as is a bundle layer over the bound.
func TestBundleChecksTheManifest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.Start(t)
	a, _ := reg.Image(t, "org/app", "a")
	b, _ := reg.Image(t, "org/app", "b")
	c := newClient(t)
	ha, _ := v1.NewHash(a.DigestStr())
	hb, _ := v1.NewHash(b.DigestStr())
	p, err := c.Attach(ctx, reg.Host+"/org/app", hb, oci.Attachment{Bundle: bundleJSON, PredicateType: "x"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Bundle(ctx, reg.Host+"/org/app", ha, oci.Referrer{Manifest: p.Manifest})
	if err == nil || !strings.Contains(err.Error(), "its subject is "+b.DigestStr()) {
		t.Fatalf("Bundle of another image's referrer = %v, want a refusal naming its subject", err)
	}
	if _, err := c.Attach(ctx, reg.Host+"/org/app", ha, oci.Attachment{Bundle: bytes.Repeat([]byte("x"), oci.MaxBundleSize+1), PredicateType: "x"}); err == nil {
		t.Error("an oversized bundle was pushed")
	}
}

func TestRetriesServerErrors(t *testing.T) {
	t.Parallel()
	fails := 1
	reg := registrytest.Start(t, registrytest.WithHandler(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") && fails > 0 {
				fails--
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, `{"errors":[{"code":"UNAVAILABLE"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	d, _ := reg.Image(t, "org/app", "v1")
	fails = 1
	if _, err := newClient(t).Resolve(context.Background(), d.String()); err != nil {
		t.Fatalf("one 503 then success: %v", err)
	}
	fails = 5
	_, err := newClient(t).Resolve(context.Background(), d.String())
	var re *oci.RegistryError
	if !errors.As(err, &re) || re.Status != http.StatusServiceUnavailable {
		t.Fatalf("persistent 503: %v", err)
	}
}

type rawManifest []byte

func (r rawManifest) RawManifest() ([]byte, error) { return r, nil }

func (r rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// A referrer that is another kind of artifact (listed without an artifactType by a registry
// that derives it from the config) is reported as ErrNotBundle when read, not as a bundle.
func TestBundleRefusesOtherArtifacts(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.WithReferrers())
	d, _ := reg.Image(t, "org/app", "v1")
	desc, err := remote.Head(d)
	if err != nil {
		t.Fatal(err)
	}
	m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json",`+
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},`+
		`"layers":[],"subject":{"mediaType":%q,"digest":%q,"size":%d}}`, desc.MediaType, desc.Digest, desc.Size)
	md := digestOf([]byte(m))
	if err := remote.Put(d.Context().Digest(md), rawManifest(m)); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	h, _ := v1.NewHash(d.DigestStr())
	refs, err := c.Referrers(context.Background(), reg.Host+"/org/app", h)
	if err != nil || len(refs) != 1 {
		t.Fatalf("Referrers = %+v, %v; want the one candidate", refs, err)
	}
	if _, err := c.Bundle(context.Background(), reg.Host+"/org/app", h, refs[0]); !errors.Is(err, oci.ErrNotBundle) {
		t.Fatalf("Bundle of an SPDX artifact = %v, want ErrNotBundle", err)
	}
}

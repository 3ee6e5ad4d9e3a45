package provenance

import (
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrMaterial is returned (wrapped) for a --material value that cannot be parsed.
var ErrMaterial = errors.New("invalid material")

// Material is a build input besides the source (a base image, a toolchain), recorded in
// buildDefinition.resolvedDependencies.
type Material struct {
	// URI names the input, with a scheme: oci://ghcr.io/org/base, pkg:golang/..., https://...
	URI string
	// Digest maps algorithm names (sha256, sha512, gitCommit...) to lower-case hex.
	Digest map[string]string
}

// materialAlgs are the digest algorithms a material may use, with their hex lengths.
var materialAlgs = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128, "sha1": 40, "gitCommit": 40}

var uriScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// ParseMaterial parses URI@ALG:HEX, for example
// oci://ghcr.io/org/base@sha256:<64 hex digits>. The URI is everything before the last '@'.
func ParseMaterial(s string) (Material, error) {
	const want = "expected URI@ALG:HEX such as oci://ghcr.io/org/base@sha256:<64 hex digits>"
	i := strings.LastIndex(s, "@")
	if i < 0 {
		return Material{}, fmt.Errorf("%w %q: no '@' before the digest: %s", ErrMaterial, s, want)
	}
	uri, digest := s[:i], s[i+1:]
	if !uriScheme.MatchString(uri) {
		return Material{}, fmt.Errorf("%w %q: URI %q has no scheme: %s", ErrMaterial, s, uri, want)
	}
	alg, h, err := parseMaterialDigest(digest)
	if err != nil {
		return Material{}, fmt.Errorf("%w %q: %w", ErrMaterial, s, err)
	}
	return Material{URI: uri, Digest: map[string]string{alg: h}}, nil
}

func parseMaterialDigest(d string) (alg, h string, err error) {
	a, h, ok := strings.Cut(d, ":")
	if !ok {
		return "", "", fmt.Errorf("digest %q: expected ALG:HEX", d)
	}
	for name, n := range materialAlgs {
		if !strings.EqualFold(name, a) {
			continue
		}
		h = strings.ToLower(h)
		if _, err := hex.DecodeString(h); err != nil || len(h) != n {
			return "", "", fmt.Errorf("digest %q: %s needs %d hex digits, got %q", d, name, n, h)
		}
		return name, h, nil
	}
	return "", "", fmt.Errorf("digest algorithm %q: expected one of sha256, sha384, sha512, sha1, gitCommit", a)
}

// materials holds the --material inputs a build context records; every context embeds it.
type materials struct {
	// Materials are extra resolvedDependencies, after the source.
	Materials []Material
}

// WithMaterials adds materials to the resolvedDependencies of the predicates built afterwards.
func (m *materials) WithMaterials(ms []Material) {
	m.Materials = append(m.Materials, ms...)
}

func (m *materials) descriptors() []resourceDescriptor {
	var out []resourceDescriptor
	for _, x := range m.Materials {
		out = append(out, resourceDescriptor{URI: x.URI, Digest: x.Digest})
	}
	return out
}

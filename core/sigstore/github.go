package sigstore

import (
	"bytes"
	"context"
	_ "embed" // GitHub's initial TUF root
	"encoding/json"
	"fmt"
	"path/filepath"
)

// GitHub's Sigstore instance: the Fulcio and timestamp authority that sign attestations of
// private and internal repositories, and the TUF repository serving their trusted root. The
// sources of each value are in github/README.md.
const (
	// GitHubTUFMirror is GitHub's TUF repository (gh's GitHubTUFMirror).
	GitHubTUFMirror = "https://tuf-repo.github.com"
	// GitHubFulcioURL is GitHub's Fulcio (actions/toolkit's FULCIO_INTERNAL_URL).
	GitHubFulcioURL = "https://fulcio.githubapp.com"
	// GitHubTSAURL is GitHub's timestamp authority (actions/toolkit's TSA_INTERNAL_URL with the
	// path sigstore-js's TSA client requests).
	GitHubTSAURL = "https://timestamp.githubapp.com/api/v1/timestamp"
)

// githubTUFRoot is the initial root of GitHub's TUF repository, as the GitHub CLI embeds it.
//
//go:embed github/tuf-root.json
var githubTUFRoot []byte

// GitHubTUFRoot returns a copy of the initial root of GitHub's TUF repository.
func GitHubTUFRoot() []byte { return bytes.Clone(githubTUFRoot) }

// GitHubSigningConfig is the signing configuration (v0.2) of GitHub's instance: its Fulcio and
// its timestamp authority, and no transparency log (GitHub's instance has none).
func GitHubSigningConfig() []byte {
	service := func(url string) map[string]any {
		return map[string]any{"url": url, "majorApiVersion": 1, "operator": "github.com",
			"validFor": map[string]string{"start": "2024-01-01T00:00:00Z"}}
	}
	b, _ := json.Marshal(map[string]any{ // a literal of strings and numbers: cannot fail
		"mediaType":       "application/vnd.dev.sigstore.signingconfig.v0.2+json",
		"caUrls":          []any{service(GitHubFulcioURL)},
		"oidcUrls":        []any{},
		"rekorTlogUrls":   []any{},
		"rekorTlogConfig": map[string]string{"selector": "ANY"},
		"tsaUrls":         []any{service(GitHubTSAURL)},
		"tsaConfig":       map[string]string{"selector": "ANY"},
	})
	return b
}

// LoadGitHub fetches the trusted root of GitHub's Sigstore instance through GitHub's TUF
// repository, starting from the root the GitHub CLI embeds and caching under cacheDir/github,
// and pairs it with GitHubSigningConfig. WithTUFMirror, WithTUFTimeout and WithTUFRetries apply
// as for LoadPublic.
func LoadGitHub(ctx context.Context, cacheDir string, opts ...PublicOption) (*Material, error) {
	cfg := publicConfig{mirror: GitHubTUFMirror, root: githubTUFRoot, net: defaultNet()}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("GitHub's Sigstore: %w", err)
		}
	}
	if cacheDir == "" {
		return nil, fmt.Errorf("GitHub's Sigstore: a TUF cache directory is required")
	}
	client, err := tufClient(ctx, filepath.Join(cacheDir, "github"), cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: GitHub's TUF repository at %s (needed for GitHub's Sigstore instance; "+
			"offline, verify with --trusted-root FILE instead): %w", ErrTrust, cfg.mirror, err)
	}
	tr, err := client.GetTarget(tufTrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("%w: GitHub's TUF repository at %s: fetching %s: %w", ErrTrust, cfg.mirror, tufTrustedRoot, err)
	}
	return ParseMaterial(tr, GitHubSigningConfig())
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/ghapi"
	"github.com/signet-ci/signet/verify"
)

// githubToken is the token for GitHub's REST API: GH_TOKEN, else GITHUB_TOKEN (gh's order),
// and the variable it came from.
func githubToken(env Env) (token, from string) {
	for _, v := range []string{"GH_TOKEN", "GITHUB_TOKEN"} {
		if t := env.Getenv(v); t != "" {
			return t, v
		}
	}
	return "", ""
}

// githubClient is a client of GITHUB_API_URL's REST API with GH_TOKEN or GITHUB_TOKEN; flag
// names the option that needs it, for errors.
func githubClient(env Env, flag string) (*ghapi.Client, error) {
	token, from := githubToken(env)
	if token == "" {
		return nil, fmt.Errorf("%s: set GH_TOKEN or GITHUB_TOKEN to a GitHub token (in a workflow: ${{ github.token }})", flag)
	}
	c, err := ghapi.New(env.Getenv("GITHUB_API_URL"), token, ghapi.WithUserAgent("signet/"+version()))
	if err != nil {
		return nil, fmt.Errorf("%s (%s, GITHUB_API_URL): %w", flag, from, err)
	}
	return c, nil
}

// uploadTarget checks --upload before anything is signed and returns the store to upload to,
// or nil when none was asked.
func uploadTarget(env Env, upload string) (ci.Store, error) {
	switch upload {
	case "":
		return nil, nil
	case "github":
	default:
		return nil, &ExitError{Code: 2, Err: fmt.Errorf("--upload %q: expected github (GitHub's attestation store)", upload)}
	}
	repo, err := ghapi.ParseRepo(env.Getenv("GITHUB_REPOSITORY"))
	if err != nil {
		return nil, fmt.Errorf("--upload github: GITHUB_REPOSITORY %w: set it to the repository whose attestation store receives the bundles", err)
	}
	c, err := githubClient(env, "--upload github")
	if err != nil {
		return nil, err
	}
	s, err := ghapi.NewRepoStore(c, repo, env.Getenv("GITHUB_SERVER_URL"))
	if err != nil {
		return nil, fmt.Errorf("--upload github: %w", err)
	}
	return s, nil
}

// uploadRun uploads a written run's bundles unless an adapter already stored them.
func uploadRun(ctx context.Context, store ci.Store, res *ci.Outcome) error {
	if store == nil {
		return nil
	}
	for _, a := range res.Index.Attestations {
		if a.Store != nil {
			return nil // the platform's adapter uploaded them (the action's github-token)
		}
	}
	if err := ci.UploadAll(ctx, store, *res); err != nil {
		if errors.Is(err, ghapi.ErrForbidden) {
			err = fmt.Errorf("%w; the token needs write access to the repository (a workflow's job: permissions: attestations: write)", err)
		}
		return fmt.Errorf("--upload github (the bundles and index.json are written in %s): %w", res.OutputDir, err)
	}
	return nil
}

// maxStoreBundles is how many of the store's bundles for one digest are tried, as gh's --limit
// allows at most; a store holding more cannot make a bundle pass, only keep one from being tried.
const maxStoreBundles = 1000

// storeSource finds an artifact's bundles in GitHub's attestation store: it fetches those
// stored for the artifact's sha256 digest (every page), writes each to a file in dir, and
// hands the files to the verifier, which checks them exactly as bundles given with --bundle.
// Each digest is fetched once, however many artifacts share it; different digests are fetched
// in parallel by the verifier's workers.
type storeSource struct {
	client *ghapi.Client
	scope  ghapi.Scope
	dir    string
	mu     sync.Mutex
	byHex  map[string]*storeFetch // sha256 hex → its one fetch
	labels map[string]string      // bundle file → what a report shows
	n      int
}

// storeFetch is the fetch of one digest's bundles.
type storeFetch struct {
	once  sync.Once
	files []string
	err   error
}

// openStore returns the attestation store source when the flags ask verify to fetch bundles
// from GitHub's attestation store (--github or --owner without --index and --bundle), nil
// otherwise. close removes its download directory.
func openStore(env Env, cfg verifyConfig) (*storeSource, error) {
	scope, fromStore, err := storeScope(cfg)
	if err != nil || !fromStore {
		return nil, err
	}
	client, err := githubClient(env, "fetching bundles from GitHub's attestation store (--github/--owner without --index or --bundle)")
	if err != nil {
		return nil, &ExitError{Code: 2, Err: err}
	}
	dir, err := os.MkdirTemp("", "signet-store-")
	if err != nil {
		return nil, err
	}
	return newStoreSource(client, scope, dir), nil
}

// close removes the bundles the store source downloaded.
func (s *storeSource) close() { os.RemoveAll(s.dir) }

func newStoreSource(client *ghapi.Client, scope ghapi.Scope, dir string) *storeSource {
	return &storeSource{client: client, scope: scope, dir: dir, byHex: map[string]*storeFetch{}, labels: map[string]string{}}
}

// Algorithms is sha256: the store is searched by sha256 digest.
func (s *storeSource) Algorithms() []string { return []string{core.SHA256} }

// Bundles returns the files of the bundles the store holds for a's sha256 digest; none when
// the store has none (GitHub answers 404).
func (s *storeSource) Bundles(ctx context.Context, a core.Subject, _ string) ([]string, error) {
	h := strings.ToLower(a.Digest[core.SHA256])
	if h == "" {
		return nil, nil
	}
	s.mu.Lock()
	f, ok := s.byHex[h]
	if !ok {
		f = &storeFetch{}
		s.byHex[h] = f
	}
	s.mu.Unlock()
	f.once.Do(func() { f.files, f.err = s.fetch(ctx, h) })
	return f.files, f.err
}

// fetch lists the store's bundles for sha256:h and keeps each in a file.
func (s *storeSource) fetch(ctx context.Context, h string) ([]string, error) {
	bundles, err := s.client.List(ctx, s.scope, core.SHA256+":"+h, maxStoreBundles)
	if errors.Is(err, ghapi.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeAdvice(err)
	}
	var files []string
	for i, b := range bundles {
		s.mu.Lock()
		s.n++
		p := filepath.Join(s.dir, fmt.Sprintf("%d.sigstore.json", s.n))
		s.labels[p] = fmt.Sprintf("attestation store of %s: sha256:%s #%d", s.scope, h, i+1)
		s.mu.Unlock()
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return nil, fmt.Errorf("keeping a bundle from the attestation store: %w", err)
		}
		files = append(files, p)
	}
	return files, nil
}

// label names the store's bundles in a report instead of their temporary files.
func (s *storeSource) label(r *verify.Report) {
	name := func(p string) string {
		if l, ok := s.labels[p]; ok {
			return l
		}
		return p
	}
	for _, a := range r.Artifacts {
		a.Bundle = name(a.Bundle)
		for i := range a.Rejected {
			a.Rejected[i].Bundle = name(a.Rejected[i].Bundle)
		}
	}
}

// storeAdvice says what to do about a refused fetch.
func storeAdvice(err error) error {
	switch {
	case errors.Is(err, ghapi.ErrUnauthorized):
		return fmt.Errorf("%w; GH_TOKEN or GITHUB_TOKEN must be a valid token for GITHUB_API_URL", err)
	case errors.Is(err, ghapi.ErrForbidden):
		return fmt.Errorf("%w; the token needs read access to the repository (fine-grained tokens: attestations: read)", err)
	}
	return err
}

// storeScope reads --github and --owner as the place to fetch bundles from, when no --index or
// --bundle is given; ok is false when the bundles come from files.
func storeScope(cfg verifyConfig) (scope ghapi.Scope, ok bool, err error) {
	gh := cfg.Policy.Identity.GitHub
	switch {
	case cfg.Index != "" || len(cfg.Bundles) > 0:
		if cfg.Owner != "" {
			return scope, false, &ExitError{Code: 2, Err: errors.New("--owner fetches bundles from GitHub's attestation store: give it without --index and --bundle")}
		}
		return scope, false, nil
	case gh != "" && cfg.Owner != "":
		return scope, false, &ExitError{Code: 2, Err: errors.New("give --github OWNER/REPO or --owner OWNER, not both")}
	case cfg.Owner != "":
		if !ghapi.ValidOwner(cfg.Owner) {
			return scope, false, &ExitError{Code: 2, Err: fmt.Errorf("--owner %q: expected a GitHub user or organization name", cfg.Owner)}
		}
		return ghapi.Scope{Owner: cfg.Owner}, true, nil
	case gh != "":
		repo, err := ghapi.ParseRepo(gh)
		if err != nil {
			return scope, false, &ExitError{Code: 2, Err: fmt.Errorf("--github %w", err)}
		}
		return ghapi.Scope{Repo: repo}, true, nil
	}
	return scope, false, nil
}

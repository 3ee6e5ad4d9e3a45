package ghapi

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// DefaultServerURL is github.com; GitHub Enterprise Server gives its own (GITHUB_SERVER_URL).
const DefaultServerURL = "https://github.com"

// StoreName names GitHub's attestation store in signet's index.
const StoreName = "github"

// RepoStore is one repository's attestation store: what a run uploads its bundles to.
type RepoStore struct {
	client *Client
	repo   Repo
	server string
}

// NewRepoStore returns the store of repo through client; serverURL ("" is DefaultServerURL) is
// the web server whose pages the attestation URLs name.
func NewRepoStore(client *Client, repo Repo, serverURL string) (*RepoStore, error) {
	if serverURL == "" {
		serverURL = DefaultServerURL
	}
	u, err := url.Parse(strings.TrimSuffix(serverURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("GitHub server URL %q: expected an http(s) URL such as %s", serverURL, DefaultServerURL)
	}
	if !validName(repo.Owner) || !validName(repo.Name) {
		return nil, fmt.Errorf("repository %q: expected OWNER/REPO", repo)
	}
	return &RepoStore{client: client, repo: repo, server: u.String()}, nil
}

// Name is StoreName.
func (s *RepoStore) Name() string { return StoreName }

// Upload stores bundle and returns its id and page, SERVER/OWNER/REPO/attestations/ID (the
// page actions/attest links).
func (s *RepoStore) Upload(ctx context.Context, bundle []byte) (id, page string, err error) {
	n, err := s.client.Upload(ctx, s.repo, bundle)
	if err != nil {
		return "", "", err
	}
	id = strconv.FormatInt(n, 10)
	return id, s.server + "/" + s.repo.Owner + "/" + s.repo.Name + "/attestations/" + id, nil
}

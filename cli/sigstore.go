//go:build !nolocalsigstore

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/internal/backoff"
	"github.com/signet-ci/signet/localsigstore"
)

// serverFile, in the state directory, records the URL of a running `signet sigstore serve`.
const serverFile = "server.json"

// Token requests to a running local Sigstore: per-attempt timeout, attempts, and the first and
// longest wait between attempts (internal/backoff's rule).
const (
	tokenRequestTimeout = 10 * time.Second
	tokenAttempts       = 4
	tokenBackoff        = 250 * time.Millisecond
	tokenMaxBackoff     = 2 * time.Second
)

// serverInfo is the content of serverFile.
type serverInfo struct {
	URL string `json:"url"`
}

func newSigstoreCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sigstore",
		Short: "Run a local Sigstore (Fulcio, timestamp authority, OIDC issuers) for development and tests",
		Long: `A real Sigstore on loopback: Fulcio's and the timestamp authority's own server code, and OIDC
issuers minting GitHub-, GitLab-, Kubernetes- and email-shaped tokens. Development and tests
only: anyone who can reach it can mint a token for any identity.`,
	}
	cmd.AddCommand(newSigstoreServeCmd(env), newSigstoreTokenCmd(env), newSigstoreTrustedRootCmd(env))
	return cmd
}

func newSigstoreServeCmd(env Env) *cobra.Command {
	var addr, stateDir string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the local Sigstore until interrupted",
		Long: `Serve the local Sigstore until interrupted. Writes trusted_root.json, signing_config.json and
server.json ({"url": ...}) into the state directory, whose CA and TSA keys persist across runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if stateDir == "" {
				stateDir = defaultStateDir(env)
			}
			return serveSigstore(cmd.Context(), env.Stdout, addr, stateDir)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", localsigstore.DefaultAddr, "host:port to listen on (port 0 picks a free port)")
	f.StringVar(&stateDir, "state-dir", "", "state directory (default: $XDG_STATE_HOME/signet/localsigstore or ~/.local/state/signet/localsigstore)")
	return cmd
}

func serveSigstore(ctx context.Context, out io.Writer, addr, stateDir string) (err error) {
	if err := checkNotServed(ctx, stateDir); err != nil {
		return err
	}
	s, err := localsigstore.Start(ctx, localsigstore.WithAddr(addr), localsigstore.WithStateDir(stateDir))
	if err != nil {
		return fmt.Errorf("starting the local Sigstore (--addr %s, --state-dir %s): %w", addr, stateDir, err)
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	if err := s.WriteConfig(stateDir); err != nil {
		return err
	}
	info, err := json.Marshal(serverInfo{URL: s.URL()})
	if err != nil {
		return fmt.Errorf("encoding %s: %w", serverFile, err)
	}
	infoPath := filepath.Join(stateDir, serverFile)
	if err := core.WriteFileAtomic(infoPath, append(info, '\n'), 0o644); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, removeServerFile(infoPath, s.URL())) }()
	if err := printServer(out, s, stateDir); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

func printServer(out io.Writer, s *localsigstore.Sigstore, stateDir string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "local Sigstore listening on %s (development and tests only)\n", s.URL())
	fmt.Fprintf(&b, "  fulcio          %s\n", s.URL())
	fmt.Fprintf(&b, "  tsa             %s\n", s.TimestampURL())
	for _, p := range localsigstore.Presets() {
		fmt.Fprintf(&b, "  issuer %-10s %s\n", p, s.Issuer(p))
	}
	fmt.Fprintf(&b, "  trusted root    %s\n", filepath.Join(stateDir, localsigstore.TrustedRootFile))
	fmt.Fprintf(&b, "  signing config  %s\n", filepath.Join(stateDir, localsigstore.SigningConfigFile))
	_, err := io.WriteString(out, b.String())
	return err
}

// checkNotServed refuses a state directory that a running `signet sigstore serve` owns: its
// server.json names a URL whose OIDC discovery document answers. A server.json left by a server
// that is gone (killed, machine restarted) does not count.
func checkNotServed(ctx context.Context, stateDir string) error {
	path := filepath.Join(stateDir, serverFile)
	info, err := readServerFile(path)
	if err != nil {
		return nil // no server.json, or not one of ours: nothing answers for this directory
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	probe := strings.TrimSuffix(info.URL, "/") + "/oidc/" + string(localsigstore.PresetEmail) + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, probe, nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	return fmt.Errorf("--state-dir %s is owned by a running `signet sigstore serve` at %s (%s); "+
		"use that server (signet sigstore token, --sigstore %s), stop it, or pass another --state-dir",
		stateDir, info.URL, path, stateDir)
}

// removeServerFile removes path if it still names url (a later server may have replaced it).
func removeServerFile(path, url string) error {
	info, err := readServerFile(path)
	if err != nil || info.URL != url {
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing %q: %w", path, err)
	}
	return nil
}

func readServerFile(path string) (serverInfo, error) {
	var info serverInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return info, fmt.Errorf("parsing %q: expected {\"url\": \"http://...\"}: %w", path, err)
	}
	return info, nil
}

// tokenFlags are the flags of `signet sigstore token`.
type tokenFlags struct {
	preset    string
	claims    string
	remove    []string
	audience  string
	expiresIn time.Duration
	server    string
	stateDir  string
}

func newSigstoreTokenCmd(env Env) *cobra.Command {
	var fl tokenFlags
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint an OIDC token from a running local Sigstore; prints only the token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fl.stateDir == "" {
				fl.stateDir = defaultStateDir(env)
			}
			tok, err := mintToken(cmd.Context(), fl)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(env.Stdout, tok)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.preset, "preset", "", "issuer: email, github, gitlab or kubernetes (required)")
	f.StringVar(&fl.claims, "claims", "", "JSON file of claims merged over the preset's (null keeps a claim as null)")
	f.StringSliceVar(&fl.remove, "remove", nil, "claims to leave out of the token")
	f.StringVar(&fl.audience, "audience", "", "aud claim (default "+localsigstore.DefaultAudience+")")
	f.DurationVar(&fl.expiresIn, "expires-in", 0, "token lifetime, negative for an expired token (default 10m)")
	f.StringVar(&fl.server, "server", "", "URL of a running `signet sigstore serve` (default: from <state-dir>/server.json)")
	f.StringVar(&fl.stateDir, "state-dir", "", "state directory of the running server (default: $XDG_STATE_HOME/signet/localsigstore)")
	_ = cmd.MarkFlagRequired("preset")
	return cmd
}

// mintRequest is the body the local Sigstore's mint endpoint takes.
type mintRequest struct {
	Claims    map[string]any `json:"claims,omitempty"`
	Remove    []string       `json:"remove,omitempty"`
	Audience  string         `json:"audience,omitempty"`
	ExpiresIn int64          `json:"expiresIn,omitempty"`
}

func mintToken(ctx context.Context, fl tokenFlags) (string, error) {
	preset, err := localsigstore.ParsePreset(fl.preset)
	if err != nil {
		return "", fmt.Errorf("--preset: %w", err)
	}
	base, err := serverURL(fl)
	if err != nil {
		return "", err
	}
	req := mintRequest{Remove: fl.remove, Audience: fl.audience, ExpiresIn: int64(fl.expiresIn / time.Second)}
	if fl.expiresIn != 0 && req.ExpiresIn == 0 {
		return "", fmt.Errorf("--expires-in %v: expected at least one second either way", fl.expiresIn)
	}
	if fl.claims != "" {
		if req.Claims, err = readClaims(fl.claims); err != nil {
			return "", err
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encoding the token request: %w", err)
	}
	retry, err := backoff.New(backoff.WithAttempts(tokenAttempts), backoff.WithDelay(tokenBackoff, tokenMaxBackoff))
	if err != nil {
		return "", err
	}
	return postMint(ctx, retry, base+"/oidc/"+string(preset)+"/token", body)
}

// serverURL returns --server, else the URL in <state-dir>/server.json.
func serverURL(fl tokenFlags) (string, error) {
	raw := fl.server
	if raw == "" {
		path := filepath.Join(fl.stateDir, serverFile)
		info, err := readServerFile(path)
		if err != nil {
			return "", fmt.Errorf("no --server given and %w; start one with `signet sigstore serve` or pass --server URL", err)
		}
		raw = info.URL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--server %q: expected a URL such as http://127.0.0.1:8080", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func readClaims(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--claims: reading claims file %q: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var claims map[string]any
	err = dec.Decode(&claims)
	if err == nil && claims == nil {
		err = errors.New("got null")
	}
	if err != nil {
		return nil, fmt.Errorf("--claims %q: expected a JSON object of claims such as {\"ref\": \"refs/heads/main\"}: %w", path, err)
	}
	return claims, nil
}

// postMint asks the mint endpoint for a token by the retry policy: connection failures, 429 and
// 5xx answers are tried again (a Retry-After is honoured up to the policy's cap), anything
// else fails at once. Every error names the endpoint.
func postMint(ctx context.Context, retry backoff.Policy, endpoint string, body []byte) (string, error) {
	client := &http.Client{Timeout: tokenRequestTimeout}
	what := fmt.Sprintf("asking the local Sigstore at %s for a token", endpoint)
	var tok string
	err := retry.Do(ctx, what, func(ctx context.Context) error {
		var err error
		tok, err = postMintOnce(ctx, client, endpoint, body)
		return err
	})
	var be *backoff.Error
	if err != nil && !errors.As(err, &be) {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return tok, err
}

// postMintOnce makes one request. Its error is marked backoff.Permanent when another attempt
// would not help.
func postMintOnce(ctx context.Context, client *http.Client, endpoint string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", backoff.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", backoff.Permanent(err)
		}
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Value string `json:"value"`
		Error string `json:"error"`
	}
	decErr := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		err := fmt.Errorf("server answered %s", resp.Status)
		if d, ok := backoff.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return "", backoff.RetryAfter(err, d)
		}
		return "", err
	case resp.StatusCode != http.StatusOK:
		return "", backoff.Permanent(fmt.Errorf("server answered %s: %s", resp.Status, out.Error))
	case decErr != nil || out.Value == "":
		return "", backoff.Permanent(fmt.Errorf("expected {\"value\": \"<jwt>\"} in the answer (decoding: %v)", decErr))
	}
	return out.Value, nil
}

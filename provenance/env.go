package provenance

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrEnvMismatch means an environment variable contradicts a claim of the verified token.
var ErrEnvMismatch = errors.New("environment contradicts the OIDC token")

// envClaim pairs an environment variable with the token claim that states the same fact.
type envClaim struct{ env, claim string }

// checkEnv rejects any set variable whose value differs from its claim: the token is signed,
// the environment is not, so a difference means one of them describes another build.
func checkEnv(claims *Claims, getenv func(string) string, pairs []envClaim) error {
	var errs []error
	for _, p := range pairs {
		e := getenv(p.env)
		if e == "" {
			continue
		}
		if c, _ := claims.Get(p.claim); c != e {
			errs = append(errs, fmt.Errorf("%s is %q but the token's %s claim is %q", p.env, e, p.claim, c))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w (signet trusts the signed token, not the environment): %w", ErrEnvMismatch, errors.Join(errs...))
}

// serverURL reads a platform's server URL variable, defaulting to def, without a trailing slash.
func serverURL(getenv func(string) string, name, def string) (string, error) {
	s := getenv(name)
	if s == "" {
		return def, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%s %q: expected a server URL such as %s", name, s, def)
	}
	return strings.TrimSuffix(s, "/"), nil
}

// requireAll reads claims that must all be present, naming every missing one at once.
func requireAll(claims *Claims, what string, names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	var errs []error
	for _, n := range names {
		v, err := claims.Require(what, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[n] = v
	}
	return out, errors.Join(errs...)
}

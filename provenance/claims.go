package provenance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strconv"
	"time"

	"github.com/signet-ci/signet/core"
)

// Claims are the claims of a verified OIDC token. Only VerifyToken makes them, so every value
// read through Claims was signed by the token's issuer.
type Claims struct {
	raw map[string]any
}

// parseClaims decodes a JWT payload, keeping numbers exact (json.Number).
func parseClaims(payload []byte) (*Claims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: token payload is not a JSON object: %w", core.ErrTokenMalformed, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: token payload is null, expected a JSON object", core.ErrTokenMalformed)
	}
	return &Claims{raw: raw}, nil
}

// Raw returns the claim map as decoded (numbers are json.Number). It is a shallow copy.
func (c *Claims) Raw() map[string]any { return maps.Clone(c.raw) }

// Issuer returns the iss claim.
func (c *Claims) Issuer() string { s, _ := c.Get("iss"); return s }

// Subject returns the sub claim.
func (c *Claims) Subject() string { s, _ := c.Get("sub"); return s }

// Audience returns the aud claim, which may be a string or a list of strings.
func (c *Claims) Audience() []string {
	switch v := c.raw["aud"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, a := range v {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Expiry returns the exp claim, or the zero time when it is absent or not a number.
func (c *Claims) Expiry() time.Time { return c.time("exp") }

// NotBefore returns the nbf claim, or the zero time when it is absent or not a number.
func (c *Claims) NotBefore() time.Time { return c.time("nbf") }

func (c *Claims) time(name string) time.Time {
	n, ok := c.raw[name].(json.Number)
	if !ok {
		return time.Time{}
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// Get returns a scalar claim as a string: strings as they are, numbers as written in the
// token, booleans as "true"/"false". ok is false when the claim is absent, null or an object.
func (c *Claims) Get(name string) (value string, ok bool) {
	switch v := c.raw[name].(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// Require returns a scalar claim that must be present and not empty; what names the token
// kind in the error ("GitHub token", "GitLab token"...).
func (c *Claims) Require(what, name string) (string, error) {
	v, ok := c.Get(name)
	if !ok || v == "" {
		return "", fmt.Errorf("%w: %s has no %q claim (%s)", ErrClaim, what, name, c.describe(name))
	}
	return v, nil
}

// describe says what a claim that Require refused actually holds, without its value.
func (c *Claims) describe(name string) string {
	v, present := c.raw[name]
	switch {
	case !present:
		return "absent"
	case v == nil:
		return "null"
	case v == "":
		return "empty"
	}
	return fmt.Sprintf("a %T, expected a string", v)
}

// Object returns an object claim such as kubernetes.io.
func (c *Claims) Object(name string) (map[string]any, bool) {
	m, ok := c.raw[name].(map[string]any)
	return m, ok
}

// Visibility returns the source repository's visibility at signing time: GitHub's
// repository_visibility or GitLab's project_visibility (public, internal or private), or ""
// when the token has neither (Kubernetes tokens).
func (c *Claims) Visibility() string {
	if v, ok := c.Get("repository_visibility"); ok {
		return v
	}
	v, _ := c.Get("project_visibility")
	return v
}

// IsPrivate reports whether the source repository is private or internal, in which case
// nothing about it should go to a public transparency log unless the user opts in.
// A token that states no visibility (Kubernetes) is not private by this test.
func (c *Claims) IsPrivate() bool {
	v := c.Visibility()
	return v == "private" || v == "internal"
}

// Platform names the platform whose token shape the claims have: GitHub (job_workflow_ref),
// GitLab (project_path and pipeline_id), Tekton (a kubernetes.io object), else Local.
func (c *Claims) Platform() Platform {
	_, gh := c.raw["job_workflow_ref"]
	_, project := c.raw["project_path"]
	_, pipeline := c.raw["pipeline_id"]
	_, k8s := c.Object("kubernetes.io")
	switch {
	case gh:
		return GitHub
	case project && pipeline:
		return GitLab
	case k8s:
		return Tekton
	}
	return Local
}

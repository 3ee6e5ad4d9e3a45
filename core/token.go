package core

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Audience is the audience Fulcio requires of an OIDC identity token. Every CI platform is
// asked for a token with it.
const Audience = "sigstore"

// The identity-token errors callers branch on, whichever platform or flag gave the token.
// None of the errors that wrap them contains the token.
var (
	// ErrNoToken means no token was given, or the place it was to come from is empty.
	ErrNoToken = errors.New("no OIDC identity token")
	// ErrTokenMalformed means the token is not a compact JWS with a JSON payload.
	ErrTokenMalformed = errors.New("OIDC identity token is not a JWT")
	// ErrTokenAudience means the token was issued for an audience other than Audience.
	ErrTokenAudience = errors.New("OIDC identity token has the wrong audience")
	// ErrTokenExpired means the token's exp claim is past.
	ErrTokenExpired = errors.New("OIDC identity token expired")
)

// TokenClaims are a token's claims read WITHOUT checking its signature. They explain, before
// anything is signed, why Fulcio would refuse a token (wrong audience, expired, a missing
// claim); no fact that ends up signed may come from them.
type TokenClaims struct {
	raw map[string]json.RawMessage
}

// PeekToken decodes the header and payload of a compact JWS without verifying it. It is the
// one JWT reader of signet; its errors wrap ErrNoToken or ErrTokenMalformed and never contain
// the token.
func PeekToken(token string) (*TokenClaims, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, fmt.Errorf("%w: the token is empty", ErrNoToken)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d dot-separated part(s), expected 3 (header.payload.signature)", ErrTokenMalformed, len(parts))
	}
	if parts[2] == "" {
		return nil, fmt.Errorf("%w: the signature part is empty", ErrTokenMalformed)
	}
	if _, err := jsonObject(parts[0]); err != nil {
		return nil, fmt.Errorf("%w: the header %w", ErrTokenMalformed, err)
	}
	raw, err := jsonObject(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: the payload %w", ErrTokenMalformed, err)
	}
	return &TokenClaims{raw: raw}, nil
}

// jsonObject decodes one base64url part of a JWS that must hold a JSON object.
func jsonObject(part string) (map[string]json.RawMessage, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
	if err != nil {
		return nil, errors.New("is not base64url")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, errors.New("is not a JSON object")
	}
	return obj, nil
}

// CheckToken peeks at token and checks what would otherwise fail later, and less clearly, at
// Fulcio: that it is a JWT issued for Audience and not expired at now. from names where the
// token came from ("SIGSTORE_ID_TOKEN", "token file \"/var/run/…\""), for the errors.
func CheckToken(token, from string, now time.Time) (*TokenClaims, error) {
	c, err := PeekToken(token)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if aud := c.Audience(); !slices.Contains(aud, Audience) {
		return nil, fmt.Errorf("%w: %s is for audience %q, but Fulcio accepts only %q", ErrTokenAudience, from, aud, Audience)
	}
	if exp, ok := c.Expiry(); ok && !exp.After(now) {
		return nil, fmt.Errorf("%w: %s expired at %s", ErrTokenExpired, from, exp.UTC().Format(time.RFC3339))
	}
	return c, nil
}

// Claim returns a claim's raw JSON and whether it is present (a JSON null is present).
func (c *TokenClaims) Claim(name string) (json.RawMessage, bool) {
	v, ok := c.raw[name]
	return v, ok
}

// String returns a string claim, or "" when it is absent or not a string.
func (c *TokenClaims) String(name string) string {
	var s string
	if json.Unmarshal(c.raw[name], &s) != nil {
		return ""
	}
	return s
}

// Audience returns the aud claim, a string or a list of strings.
func (c *TokenClaims) Audience() []string {
	var one string
	if json.Unmarshal(c.raw["aud"], &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(c.raw["aud"], &many) == nil {
		return many
	}
	return nil
}

// Expiry returns the exp claim and whether it is present as a number.
func (c *TokenClaims) Expiry() (time.Time, bool) {
	var exp float64
	if json.Unmarshal(c.raw["exp"], &exp) != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

// IsTokenError reports whether err says, with one of the token sentinels above, what is wrong
// with an identity token.
func IsTokenError(err error) bool {
	for _, sentinel := range []error{ErrNoToken, ErrTokenMalformed, ErrTokenAudience, ErrTokenExpired} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}

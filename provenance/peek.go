package provenance

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// UnverifiedClaims are a token's claims read WITHOUT checking its signature. Adapters use them
// only to explain, before anything is signed, why Fulcio or VerifyToken would refuse a token
// (wrong audience, expired, a missing claim); no fact that ends up signed may come from them.
type UnverifiedClaims struct {
	raw map[string]json.RawMessage
}

// PeekToken decodes the payload of a compact JWS without verifying it. Its errors wrap
// ErrTokenMalformed and never contain the token.
func PeekToken(token string) (*UnverifiedClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d dot-separated part(s), expected 3 (header.payload.signature)", ErrTokenMalformed, len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, fmt.Errorf("%w: the payload is not base64url", ErrTokenMalformed)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("%w: the payload is not a JSON object", ErrTokenMalformed)
	}
	return &UnverifiedClaims{raw: raw}, nil
}

// Claim returns a claim's raw JSON and whether it is present (a JSON null is present).
func (u *UnverifiedClaims) Claim(name string) (json.RawMessage, bool) {
	v, ok := u.raw[name]
	return v, ok
}

// String returns a string claim, or "" when it is absent or not a string.
func (u *UnverifiedClaims) String(name string) string {
	var s string
	if json.Unmarshal(u.raw[name], &s) != nil {
		return ""
	}
	return s
}

// Audience returns the aud claim, a string or a list of strings.
func (u *UnverifiedClaims) Audience() []string {
	var one string
	if json.Unmarshal(u.raw["aud"], &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(u.raw["aud"], &many) == nil {
		return many
	}
	return nil
}

// Expiry returns the exp claim and whether it is present as a number.
func (u *UnverifiedClaims) Expiry() (time.Time, bool) {
	var exp float64
	if json.Unmarshal(u.raw["exp"], &exp) != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

package provenance

import "github.com/signet-ci/signet/core"

// UnverifiedClaims are a token's claims read WITHOUT checking its signature.
//
// Deprecated: use core.TokenClaims. This alias stays only until the gitlab and tekton
// adapters, which still name it, are ported to core.CheckToken.
type UnverifiedClaims = core.TokenClaims

// PeekToken decodes a compact JWS without verifying it. Its errors wrap core.ErrNoToken or
// core.ErrTokenMalformed and never contain the token.
//
// Deprecated: use core.PeekToken, the one JWT reader of signet; this wrapper stays only until
// the gitlab and tekton adapters, which still call it, are ported.
func PeekToken(token string) (*UnverifiedClaims, error) { return core.PeekToken(token) }

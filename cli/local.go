//go:build !nolocalsigstore

package cli

import (
	"context"

	"github.com/signet-ci/signet/localsigstore"
)

// embedded is the in-process local Sigstore behind --sigstore local.
type embedded struct{ *localsigstore.Sigstore }

// startLocal starts the embedded Sigstore with its CA and TSA keys kept in stateDir.
func startLocal(ctx context.Context, stateDir string) (localStack, error) {
	s, err := localsigstore.Start(ctx, localsigstore.WithStateDir(stateDir))
	if err != nil {
		return nil, err
	}
	return embedded{s}, nil
}

// Token mints an email-shaped token from the embedded issuer.
func (e embedded) Token(context.Context) (string, error) {
	return e.Sigstore.Token(localsigstore.PresetEmail)
}

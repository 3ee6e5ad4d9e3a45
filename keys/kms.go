package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms/aws"
	"github.com/sigstore/sigstore/pkg/signature/kms/azure"
	"github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	"github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// kmsClient is what every sigstore KMS SignerVerifier offers.
type kmsClient interface {
	SignMessage(message io.Reader, opts ...signature.SignOption) ([]byte, error)
	PublicKey(opts ...signature.PublicKeyOption) (crypto.PublicKey, error)
}

// kmsBackend signs through one of sigstore's KMS modules, which hash nothing themselves here:
// they are handed the digest.
type kmsBackend struct{ c kmsClient }

// openKMS loads the provider's client. It is called directly (never through sigstore's
// provider registry, whose fallback runs a "sigstore-kms-<scheme>" plugin found on PATH).
func openKMS(ctx context.Context, ref Ref) (backend, error) {
	var c kmsClient
	var err error
	switch ref.kind {
	case AWSKMS:
		// One attempt per SDK call: this package's retry policy is the only one, so the
		// bound it promises holds.
		c, err = aws.LoadSignerVerifier(ctx, ref.raw, awsconfig.WithRetryMaxAttempts(1))
	case GCPKMS:
		c, err = gcp.LoadSignerVerifier(ctx, ref.raw)
	case AzureKMS:
		c, err = azure.LoadSignerVerifier(ctx, ref.raw)
	case HashiVault:
		c, err = hashivault.LoadSignerVerifier(ref.raw, crypto.SHA256)
	default:
		return nil, fmt.Errorf("%w: %s", ErrRef, ref)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s: configuring the client: %w", ErrService, ref.Service(), ref, err)
	}
	return kmsBackend{c}, nil
}

func (k kmsBackend) public(ctx context.Context) (crypto.PublicKey, error) {
	return k.c.PublicKey(options.WithContext(ctx))
}

func (k kmsBackend) sign(ctx context.Context, digest []byte, h crypto.Hash) ([]byte, error) {
	return k.c.SignMessage(nil, options.WithContext(ctx), options.WithDigest(digest), options.WithCryptoSignerOpts(h))
}

func (kmsBackend) close() error { return nil }

// permanentErr reports whether another attempt would get the same answer: the service
// refused the request (a 4xx other than 429, an AWS client fault), or no credentials or
// region are configured.
func permanentErr(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		code := re.HTTPStatusCode()
		return code >= 400 && code < 500 && code != http.StatusTooManyRequests
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorFault() == smithy.FaultClient {
		return true
	}
	var mr *awssdk.MissingRegionError
	if errors.As(err, &mr) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "failed to retrieve credentials") || strings.Contains(msg, "failed to refresh cached credentials")
}

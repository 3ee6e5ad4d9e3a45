package sigstore

import (
	"errors"
	"fmt"
	"time"

	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
)

// API versions this package can talk to (sigstore-go v1.3.0's clients).
var (
	fulcioAPIVersions = sign.FulcioAPIVersions
	tsaAPIVersions    = sign.TimestampAuthorityAPIVersions
	rekorAPIVersions  = sign.RekorAPIVersions
)

// services are the endpoints one signer uses, chosen once from the signing configuration so
// every statement of a run is signed, timestamped and logged the same way.
type services struct {
	fulcio string
	tsas   []string
	tlogs  []root.Service
}

// selectFulcio picks the certificate authority valid at now.
func selectFulcio(sc *root.SigningConfig, now time.Time) (string, error) {
	s, err := root.SelectService(sc.FulcioCertificateAuthorityURLs(), fulcioAPIVersions, now)
	if err != nil {
		return "", fmt.Errorf("%w: signing config: no usable Fulcio certificate authority (caUrls): %w", ErrTrust, err)
	}
	return s.URL, nil
}

// selectTSAs picks timestamp authorities per the tsaConfig selector; none when none are listed.
func selectTSAs(sc *root.SigningConfig, now time.Time) ([]string, error) {
	if sc == nil || len(sc.TimestampAuthorityURLs()) == 0 {
		return nil, nil
	}
	picked, err := root.SelectServices(sc.TimestampAuthorityURLs(), selector(sc.TimestampAuthorityURLsConfig()),
		tsaAPIVersions, now)
	if err != nil {
		return nil, fmt.Errorf("%w: signing config: no usable timestamp authority (tsaUrls): %w", ErrTrust, err)
	}
	urls := make([]string, len(picked))
	for i, s := range picked {
		urls[i] = s.URL
	}
	return urls, nil
}

// selectTlogs picks transparency logs per the rekorTlogConfig selector. want is nil to follow
// the signing configuration, or an explicit choice.
func selectTlogs(sc *root.SigningConfig, now time.Time, want *bool) ([]root.Service, error) {
	listed := sc != nil && len(sc.RekorLogURLs()) > 0
	switch {
	case want != nil && !*want:
		return nil, nil
	case !listed && want != nil:
		return nil, fmt.Errorf("%w: a transparency log was requested but the signing config lists none (rekorTlogUrls)", ErrTrust)
	case !listed:
		return nil, nil
	}
	picked, err := root.SelectServices(sc.RekorLogURLs(), selector(sc.RekorLogURLsConfig()), rekorAPIVersions, now)
	if err != nil {
		return nil, fmt.Errorf("%w: signing config: no usable transparency log (rekorTlogUrls): %w", ErrTrust, err)
	}
	return picked, nil
}

// selector treats an unset selector as ANY, as Sigstore clients do.
func selector(c root.ServiceConfiguration) root.ServiceConfiguration {
	if c.Selector == prototrustroot.ServiceSelector_SERVICE_SELECTOR_UNDEFINED {
		c.Selector = prototrustroot.ServiceSelector_ANY
	}
	return c
}

// errNoTrustedTime is returned when a signer would produce bundles nothing can date.
var errNoTrustedTime = errors.New("the signing config lists no timestamp authority and no transparency log is used: " +
	"bundles would carry no trusted time and could not be verified once the certificate expires")

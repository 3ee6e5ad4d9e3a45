package sigstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	rekorclient "github.com/sigstore/rekor/pkg/client"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"
)

const (
	rekorV2AddPath    = "/api/v2/log/entries"
	maxRekorResponse  = 10 << 20
	rekorMajorV1      = 1
	rekorMajorV2      = 2
	signetUserAgent   = "signet (sigstore-go v1.3.0)"
	maxErrorBodyBytes = 256
)

// newTransparency builds the sigstore-go client for one log. Rekor v1 uses the rekor client's
// own retry loop, given the numbers of the net's backoff policy; Rekor v2 goes through this
// package's retrying transport.
func newTransparency(s root.Service, n netConfig) (sign.Transparency, error) {
	opts := &sign.RekorOptions{BaseURL: s.URL, Timeout: n.timeout, Version: s.MajorAPIVersion}
	switch s.MajorAPIVersion {
	case rekorMajorV1:
		c, err := rekorclient.GetRekorClient(s.URL, rekorclient.WithUserAgent(signetUserAgent),
			rekorclient.WithRetryCount(uint(n.retry.Attempts()-1)), rekorclient.WithRetryWaitMin(n.retry.Delay(0)),
			rekorclient.WithRetryWaitMax(n.retry.MaxDelay()))
		if err != nil {
			return nil, fmt.Errorf("%w at %s: %w", ErrTlog, s.URL, err)
		}
		opts.Client = c.Entries
	case rekorMajorV2:
		opts.ClientV2 = &rekorV2Client{url: s.URL, net: n}
	default:
		return nil, fmt.Errorf("%w at %s: unsupported API version %d", ErrTlog, s.URL, s.MajorAPIVersion)
	}
	return &namedLog{url: s.URL, version: s.MajorAPIVersion, inner: sign.NewRekor(opts)}, nil
}

// namedLog names the log and its URL in every error.
type namedLog struct {
	url     string
	version uint32
	inner   sign.Transparency
}

// GetTransparencyLogEntry uploads the bundle's signature and adds the entry to b.
func (l *namedLog) GetTransparencyLogEntry(ctx context.Context, keyOrCertPEM []byte, b *protobundle.Bundle) error {
	if err := l.inner.GetTransparencyLogEntry(ctx, keyOrCertPEM, b); err != nil {
		return fmt.Errorf("%w at %s (API v%d): %w", ErrTlog, l.url, l.version, err)
	}
	return nil
}

// rekorV2Client adds hashedrekord entries to a Rekor v2 (rekor-tiles) log.
type rekorV2Client struct {
	url string
	net netConfig
}

// Add posts one entry and returns the log entry with its inclusion proof.
func (c *rekorV2Client) Add(ctx context.Context, entry any) (*protorekor.TransparencyLogEntry, error) {
	h, ok := entry.(*rekortilespb.HashedRekordRequestV002)
	if !ok {
		return nil, fmt.Errorf("unsupported Rekor v2 entry type %T", entry)
	}
	payload, err := protojson.Marshal(&rekortilespb.CreateEntryRequest{
		Spec: &rekortilespb.CreateEntryRequest_HashedRekordRequestV002{HashedRekordRequestV002: h},
	})
	if err != nil {
		return nil, fmt.Errorf("encoding entry: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.url, "/")+rekorV2AddPath, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", signetUserAgent)
	resp, err := c.net.client(ctx).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRekorResponse))
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("status %s: %s", resp.Status, excerpt(body))
	}
	var tle protorekor.TransparencyLogEntry
	if err := protojson.Unmarshal(body, &tle); err != nil {
		return nil, fmt.Errorf("decoding log entry: %w", err)
	}
	return &tle, nil
}

func excerpt(b []byte) string {
	if len(b) > maxErrorBodyBytes {
		b = b[:maxErrorBodyBytes]
	}
	return strings.TrimSpace(string(b))
}

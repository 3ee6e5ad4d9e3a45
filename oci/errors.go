package oci

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ErrDigestMismatch means a registry served content whose digest is not the one it claimed
// or was asked for.
var ErrDigestMismatch = errors.New("digest mismatch")

// ErrTooLarge means a registry response exceeded a bound.
var ErrTooLarge = errors.New("response too large")

// StatusError is an HTTP answer a request did not expect.
type StatusError struct {
	Method string
	Path   string
	Status int
	// Codes are the registry's error codes (UNAUTHORIZED, MANIFEST_UNKNOWN, ...), if any.
	Codes []string
}

// Error names the request and the status.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if len(e.Codes) > 0 {
		s += " (" + strings.Join(e.Codes, ", ") + ")"
	}
	return s
}

// ProtocolError is a registry answer that breaks the distribution or OCI specification, or
// signet's bounds: a digest that does not match, an oversized or malformed document.
type ProtocolError struct {
	What string
	Err  error
}

// Error says what was wrong.
func (e *ProtocolError) Error() string { return e.What + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ProtocolError) Unwrap() error { return e.Err }

// RegistryError is a failed registry operation, naming the registry, the repository, the
// digest when there is one, the HTTP status when there was one, and where the credentials
// came from (never what they are).
type RegistryError struct {
	Op         string
	Registry   string
	Repository string
	Digest     string
	Status     int
	Source     string
	Err        error
}

// Error describes the failure; a 401 or 403 says which credential source was refused.
func (e *RegistryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: registry %s, repository %s", e.Op, e.Registry, e.Repository)
	if e.Digest != "" {
		fmt.Fprintf(&b, ", digest %s", e.Digest)
	}
	switch e.Status {
	case http.StatusUnauthorized:
		fmt.Fprintf(&b, ": HTTP 401 Unauthorized: the registry refused %s; check the user name and password or token for %s", e.Source, e.Registry)
	case http.StatusForbidden:
		fmt.Fprintf(&b, ": HTTP 403 Forbidden: %s may not do this on %s; it needs pull (and, to push, push) access", e.Source, e.Repository)
	default:
		if e.Status != 0 {
			fmt.Fprintf(&b, ": HTTP %d", e.Status)
		}
		fmt.Fprintf(&b, " (credentials: %s)", e.Source)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the cause.
func (e *RegistryError) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status an error carries, or 0.
func StatusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return 0
}

func registryError(op string, repo name.Repository, digest, source string, err error) error {
	var re *RegistryError
	if errors.As(err, &re) {
		return err
	}
	return &RegistryError{Op: op, Registry: repo.RegistryStr(), Repository: repo.Name(), Digest: digest,
		Status: StatusOf(err), Source: source, Err: err}
}

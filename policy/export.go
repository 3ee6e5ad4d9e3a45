package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/signet-ci/signet/verify"
)

// Format is an admission controller's policy format.
type Format string

// The formats Export writes.
const (
	// PolicyController is a sigstore policy-controller ClusterImagePolicy (policy.sigstore.dev/v1beta1).
	PolicyController Format = "policy-controller"
	// Kyverno is a Kyverno ClusterPolicy (kyverno.io/v1) with a verifyImages rule.
	Kyverno Format = "kyverno"
)

// Public-good Sigstore, which both controllers use by default; the export names it.
const (
	publicFulcio = "https://fulcio.sigstore.dev"
	publicRekor  = "https://rekor.sigstore.dev"
)

// Sentinel errors callers branch on.
var (
	// ErrInexpressible means the target cannot check a requirement of the policy exactly.
	ErrInexpressible = errors.New("cannot be expressed")
	// ErrInvalidOptions means an export option (format, name, image) is malformed; the error
	// is an *OptionError.
	ErrInvalidOptions = errors.New("invalid export option")
)

// OptionError is a malformed export option: Option is "format", "name" or "image".
type OptionError struct {
	Option string
	Msg    string
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalidOptions) true.
func (e *OptionError) Unwrap() error { return ErrInvalidOptions }

// InexpressibleError names the policy requirement a target cannot check and why. Key is the
// policy file's dotted key ("identity.sourceRef"), so a caller can name its own flag.
type InexpressibleError struct {
	Format Format
	Key    string
	Reason string
}

// Describe renders the error, naming the requirement with name(Key).
func (e *InexpressibleError) Describe(name func(key string) string) string {
	return fmt.Sprintf("%s: %s %s: %s", string(e.Format), name(e.Key), ErrInexpressible, e.Reason)
}

func (e *InexpressibleError) Error() string { return e.Describe(func(k string) string { return k }) }

// Unwrap makes errors.Is(err, ErrInexpressible) true.
func (e *InexpressibleError) Unwrap() error { return ErrInexpressible }

// Options says which images the policy admits and what it is called.
type Options struct {
	// Name is the cluster resource's name, a lower-case DNS subdomain.
	Name string
	// Images are the image reference patterns the policy applies to (policy-controller globs,
	// Kyverno imageReferences); at least one.
	Images []string
}

var (
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	imagePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/@*?-]*$`)
)

func (o Options) check() error {
	if len(o.Name) > 253 || !dnsSubdomain.MatchString(o.Name) {
		return &OptionError{"name", fmt.Sprintf("%q: expected a lower-case DNS subdomain (signet-release)", o.Name)}
	}
	if len(o.Images) == 0 {
		return &OptionError{"image", "none given: the policy must say which images it applies to (ghcr.io/org/app*)"}
	}
	for _, im := range o.Images {
		if len(im) > 1024 || !imagePattern.MatchString(im) {
			return &OptionError{"image", fmt.Sprintf("%q: expected an image reference pattern (registry/repository, '*' and '?' allowed)", im)}
		}
	}
	return nil
}

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case PolicyController, Kyverno:
		return f, nil
	}
	return "", &OptionError{"format", fmt.Sprintf("%q: expected policy-controller or kyverno", s)}
}

// Export writes the policy c as format's cluster resource (YAML) to w. It refuses, with an
// *InexpressibleError, a policy the target cannot check exactly, and a key-only policy.
func Export(w io.Writer, c *verify.Compiled, format Format, opts Options) error {
	if _, err := ParseFormat(string(format)); err != nil {
		return err
	}
	if err := opts.check(); err != nil {
		return err
	}
	if c.KeyOnly() {
		return &InexpressibleError{Format: format, Key: "publicKey", Reason: "export writes keyless policies only"}
	}
	rule, err := translate(c.Policy, format)
	if err != nil {
		return err
	}
	var doc any
	if format == PolicyController {
		doc, err = policyControllerDoc(rule, opts)
	} else {
		doc = kyvernoDoc(rule, opts)
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding the %s policy: %w", format, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encoding the %s policy: %w", format, err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// cueString is s as a CUE (and JSON) string literal.
func cueString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

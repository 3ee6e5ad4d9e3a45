package keys

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature/kms/aws"
	"github.com/sigstore/sigstore/pkg/signature/kms/azure"
	"github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	"github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrRef means a key reference is malformed, ambiguous or of an unknown scheme.
	ErrRef = errors.New("key reference")
	// ErrNotBuilt means the reference's provider is not compiled into this binary.
	ErrNotBuilt = errors.New("key provider not built into this binary")
	// ErrService means the KMS or HSM refused or kept failing a request.
	ErrService = errors.New("key service")
)

// Kind is where a key lives.
type Kind int

// Kinds of key reference.
const (
	File Kind = iota
	AWSKMS
	GCPKMS
	AzureKMS
	HashiVault
	PKCS11
)

// maxRefLen bounds a reference: the longest real ones (ARNs, Azure vault URLs) are far shorter.
const maxRefLen = 2048

// scheme is one URI form a reference may take.
type scheme struct {
	name     string // lowercase scheme name, without ':'
	prefix   string // what a well-formed reference starts with
	kind     Kind
	service  string
	form     string
	validate func(string) error
}

var schemes = []scheme{
	{"awskms", "awskms://", AWSKMS, "AWS KMS", "awskms://[ENDPOINT]/[ID|ALIAS|ARN]", aws.ValidReference},
	{"gcpkms", "gcpkms://", GCPKMS, "Google Cloud KMS", "gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V]", gcp.ValidReference},
	{"azurekms", "azurekms://", AzureKMS, "Azure Key Vault", "azurekms://[VAULT_NAME][VAULT_URL]/[KEY_NAME]", azure.ValidReference},
	{"hashivault", "hashivault://", HashiVault, "HashiCorp Vault", "hashivault://[KEY_NAME]", hashivault.ValidReference},
	{"pkcs11", "pkcs11:", PKCS11, "PKCS#11 token", "pkcs11:token=LABEL;object=LABEL?module-path=/path/to/module.so (RFC 7512)", nil},
}

// uriScheme matches what reads as a URI scheme followed by "//": "foo://".
var uriScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// Ref is a parsed key reference. Its String never shows a PIN.
type Ref struct {
	kind Kind
	raw  string
	p11  *pkcs11URI
}

// Parse reads a key reference: a KMS URI, a pkcs11: URI or a file path. Scheme names are
// matched exactly in lowercase; a case variant ("AWSKMS://"), a malformed KMS URI
// ("awskms:/x") or an unknown "scheme://" is an error, never a file name: write "./awskms:x"
// for a file whose name starts like a scheme.
func Parse(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("%w: empty", ErrRef)
	}
	if len(s) > maxRefLen {
		return Ref{}, fmt.Errorf("%w: %d bytes, longer than the %d a key reference may have", ErrRef, len(s), maxRefLen)
	}
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return Ref{}, fmt.Errorf("%w: contains a control character", ErrRef)
	}
	lower := strings.ToLower(s)
	for _, sc := range schemes {
		if !strings.HasPrefix(lower, sc.name+":") {
			continue
		}
		return parseScheme(sc, s)
	}
	if m := uriScheme.FindString(s); m != "" {
		return Ref{}, fmt.Errorf("%w: unknown scheme %q: expected a file path or one of %s", ErrRef, strings.TrimSuffix(m, "//"), schemeList())
	}
	return Ref{kind: File, raw: s}, nil
}

func parseScheme(sc scheme, s string) (Ref, error) {
	if !strings.HasPrefix(s, sc.name+":") {
		return Ref{}, fmt.Errorf("%w: scheme %q must be written in lowercase, %q (for a file of that name write ./%s)",
			ErrRef, s[:len(sc.name)], sc.name, sc.name+":…")
	}
	if sc.kind == PKCS11 {
		u, err := parsePKCS11URI(s)
		if err != nil {
			return Ref{}, fmt.Errorf("%w: %w; expected %s", ErrRef, err, sc.form)
		}
		return Ref{kind: PKCS11, raw: s, p11: u}, nil
	}
	if !strings.HasPrefix(s, sc.prefix) {
		return Ref{}, fmt.Errorf("%w: %q is not a valid %s reference: expected %s (for a file of that name write ./%s)",
			ErrRef, s, sc.service, sc.form, sc.name+":…")
	}
	if err := sc.validate(s); err != nil {
		return Ref{}, fmt.Errorf("%w: %q is not a valid %s reference: expected %s", ErrRef, s, sc.service, sc.form)
	}
	return Ref{kind: sc.kind, raw: s}, nil
}

func schemeList() string {
	names := make([]string, len(schemes))
	for i, sc := range schemes {
		names[i] = sc.prefix
	}
	return strings.Join(names, ", ")
}

// Kind is where the key lives.
func (r Ref) Kind() Kind { return r.kind }

// IsFile reports whether the reference is a file path.
func (r Ref) IsFile() bool { return r.kind == File }

// Path is the file path of a File reference ("" otherwise).
func (r Ref) Path() string {
	if r.kind != File {
		return ""
	}
	return r.raw
}

// Service names the KMS or HSM holding the key ("file" for a file).
func (r Ref) Service() string {
	for _, sc := range schemes {
		if sc.kind == r.kind {
			return sc.service
		}
	}
	return "file"
}

// String is the reference as given, with a PKCS#11 PIN replaced by "REDACTED".
func (r Ref) String() string {
	if r.p11 != nil {
		return r.p11.redacted
	}
	return r.raw
}

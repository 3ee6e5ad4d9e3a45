package tekton

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/ci"
)

// TestReadStepKey reads the key param: a PEM file relative to the source workspace made
// absolute, an absolute file (a mounted Secret) and a KMS reference as given; a bad value is an
// input error naming the param and its variable, and never shows a PIN or key material.
func TestReadStepKey(t *testing.T) {
	t.Parallel()
	ws := workspaceWith(t, "dist/app", "keys/release.pem")
	abs := filepath.Join(workspaceWith(t, "cosign.key"), "cosign.key")
	for _, tt := range []struct{ name, key, want, says string }{
		{name: "relative to the workspace", key: "keys/release.pem", want: filepath.Join(ws, "keys/release.pem")},
		{name: "an absolute file", key: abs, want: abs},
		{name: "a KMS key", key: "azurekms://vault.vault.azure.net/release", want: "azurekms://vault.vault.azure.net/release"},
		{name: "unset", key: "", want: ""},
		{name: "missing", key: "keys/none.pem", says: `input key (SIGNET_TEKTON_KEY): "keys/none.pem": there is no file`},
		{name: "a look-alike scheme", key: "awskms:/alias/x", says: "not a valid AWS KMS reference"},
		{name: "a PIN in the URI", key: "pkcs11:token=t;object=k;bogus=1?pin-value=s3cr3tpin&module-path=/lib.so", says: "not supported"},
		{name: "key material", key: "-----BEGIN EC PRIVATE KEY-----", says: "holds PEM key material (not shown)"},
		{name: "a space", key: "keys/release .pem", says: "holds whitespace"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Look-alike variables are never read as the param.
			s, err := ReadStep(envOf(map[string]string{EnvWorkspace: ws, EnvSubjectPath: "dist/app", EnvKey: tt.key,
				"signet_tekton_key": "/etc/x.pem", "SIGNET_TEKTON_KEYS": "/etc/x.pem", "SIGNET_KEY": "/etc/x.pem", "INPUT_KEY": "/etc/x.pem"}))
			if tt.says == "" {
				if err != nil || s.Key != tt.want {
					t.Fatalf("Key = %q, %v; want %q", s.Key, err, tt.want)
				}
				if wantFrom := "input key (SIGNET_TEKTON_KEY)"; tt.want != "" && s.KeyFrom != wantFrom {
					t.Errorf("KeyFrom = %q, want %q", s.KeyFrom, wantFrom)
				}
				return
			}
			var ie *ci.InputError
			if !errors.As(err, &ie) || ie.Input != ParamKey || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err %v; want an input error for key saying %q", err, tt.says)
			}
			if strings.Contains(err.Error(), "s3cr3tpin") || strings.Contains(err.Error(), "BEGIN") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

package provenance

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMaterial(t *testing.T) {
	t.Parallel()
	sha256 := strings.Repeat("ab", 32)
	tests := []struct {
		in      string
		want    Material
		wantErr string
	}{
		{in: "oci://ghcr.io/org/base@sha256:" + sha256, want: Material{URI: "oci://ghcr.io/org/base", Digest: map[string]string{"sha256": sha256}}},
		{in: "pkg:golang/golang.org/toolchain@v0.0.1-go1.26.8@SHA256:" + strings.ToUpper(sha256),
			want: Material{URI: "pkg:golang/golang.org/toolchain@v0.0.1-go1.26.8", Digest: map[string]string{"sha256": sha256}}},
		{in: "git+https://github.com/org/lib@refs/tags/v1@gitcommit:" + strings.Repeat("1", 40),
			want: Material{URI: "git+https://github.com/org/lib@refs/tags/v1", Digest: map[string]string{"gitCommit": strings.Repeat("1", 40)}}},
		{in: "https://example.com/x.tgz@sha512:" + strings.Repeat("0", 128), want: Material{URI: "https://example.com/x.tgz", Digest: map[string]string{"sha512": strings.Repeat("0", 128)}}},
		{in: "oci://ghcr.io/org/base:latest", wantErr: "no '@' before the digest"},
		{in: "ghcr.io/org/base@sha256:" + sha256, wantErr: `URI "ghcr.io/org/base" has no scheme`},
		{in: "oci://x@md5:" + strings.Repeat("0", 32), wantErr: `digest algorithm "md5": expected one of sha256, sha384, sha512, sha1, gitCommit`},
		{in: "oci://x@sha256:abc", wantErr: `sha256 needs 64 hex digits, got "abc"`},
		{in: "oci://x@sha256:" + strings.Repeat("z", 64), wantErr: "sha256 needs 64 hex digits"},
		{in: "oci://x@sha256", wantErr: `digest "sha256": expected ALG:HEX`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMaterial(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrMaterial) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want ErrMaterial saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

package cli

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/sbom"
)

// TestLibraryErrorsGiveNoFlagAdvice: core's and sbom's errors name no flag; `signet attest` adds
// its own flags to an existing output file and a neutral sentence to an SBOM limit (attest has
// no flag that raises one); `signet sbom` names the flag that raises the limit.
func TestLibraryErrorsGiveNoFlagAdvice(t *testing.T) {
	t.Parallel()
	exists := fmt.Errorf("publishing: %w", &core.ExistsError{Path: "out/provenance.sigstore.json"})
	limit := func(name string) error {
		return fmt.Errorf("SBOM of %q: %w", "app.tar", &sbom.LimitError{Limit: name, Max: 2, Where: "app.tar", Detail: "3 members"})
	}
	tests := []struct {
		name       string
		err        error
		attestSays []string
		sbomSays   []string
	}{
		{name: "output file exists", err: exists,
			attestSays: []string{`"out/provenance.sigstore.json" already exists`, "pass --force", "--output-dir"}},
		{name: "members", err: limit(sbom.LimitMembers),
			attestSays: []string{"max-members", "fixed limits"}, sbomSays: []string{"raise it with --max-members"}},
		{name: "depth", err: limit(sbom.LimitDepth),
			attestSays: []string{"fixed limits"}, sbomSays: []string{"raise it with --max-depth"}},
		{name: "expanded bytes", err: limit(sbom.LimitExpandedBytes),
			attestSays: []string{"fixed limits"}, sbomSays: []string{"raise it with --max-expanded-bytes"}},
		{name: "field bytes", err: limit(sbom.LimitFieldBytes),
			attestSays: []string{"fixed limits"}, sbomSays: []string{"--truncate-fields cuts such fields"}},
		{name: "text bytes", err: limit(sbom.LimitTextBytes),
			attestSays: []string{"fixed limits"}, sbomSays: []string{"--truncate-fields"}},
		{name: "packages", err: limit(sbom.LimitPackages),
			attestSays: []string{"fixed limits"}, sbomSays: []string{"this limit is fixed"}},
		{name: "other error", err: errors.New("disk full"), attestSays: []string{"disk full"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if strings.Contains(tt.err.Error(), "--") {
				t.Errorf("library error names a flag: %q", tt.err)
			}
			attest := withAttestAdvice(tt.err)
			if !errors.Is(attest, tt.err) {
				t.Errorf("attest's message %q does not wrap the library error", attest)
			}
			for _, w := range tt.attestSays {
				if !strings.Contains(attest.Error(), w) {
					t.Errorf("attest says %q, want it to say %q", attest, w)
				}
			}
			for _, flag := range []string{"--truncate-fields", "--max-"} {
				if strings.Contains(attest.Error(), flag) {
					t.Errorf("attest suggests %s, which it does not have: %q", flag, attest)
				}
			}
			if tt.sbomSays == nil {
				return
			}
			s := withLimitHint(tt.err).Error()
			for _, w := range tt.sbomSays {
				if !strings.Contains(s, w) {
					t.Errorf("signet sbom says %q, want it to say %q", s, w)
				}
			}
		})
	}
}

// TestAttestSBOMLimitAdvice: `signet attest --sbom` over an input with a field above its SBOM
// limit fails before signing and writing, naming the input and the limit, and suggests no
// flag of `signet sbom` (--truncate-fields), which attest does not have.
func TestAttestSBOMLimitAdvice(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	dir := t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte(`{"name":"` + strings.Repeat("n", 10<<10) + `","version":"1.0.0"}`)
	if err := tw.WriteHeader(&tar.Header{Name: "app/node_modules/x/package.json", Mode: 0o644, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	if err := os.WriteFile(filepath.Join(dir, "long.tar"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(t, dir, nil, "attest", "--sigstore", ss.Dir, "--identity-token-file",
		ss.tokenFile(t, localsigstore.PresetEmail), "--sbom", "spdx-json", "long.tar")
	if code == 0 {
		t.Fatal("attest succeeded over a field above its SBOM limit")
	}
	for _, w := range []string{"long.tar!/app/node_modules/x/package.json", "max-field-bytes", "fixed limits"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not say %q", stderr, w)
		}
	}
	if strings.Contains(stderr, "--truncate-fields") {
		t.Errorf("attest suggests signet sbom's --truncate-fields: %q", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "attestations")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed attest created its output directory: %v", err)
	}
}

package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The SBOM formats signet writes, by the names every interface (flags, CI inputs) uses.
const (
	SBOMSPDX      = "spdx-json"
	SBOMCycloneDX = "cyclonedx-json"
)

// ErrSBOMFormat means an SBOM format name is not one signet writes.
var ErrSBOMFormat = errors.New("unknown SBOM format")

// SBOMFormats returns the SBOM format names signet writes.
func SBOMFormats() []string { return []string{SBOMSPDX, SBOMCycloneDX} }

// CheckSBOMFormats returns formats sorted without duplicates, or an error wrapping
// ErrSBOMFormat naming the first unknown one and what is expected.
func CheckSBOMFormats(formats []string) ([]string, error) {
	for _, f := range formats {
		if !slices.Contains(SBOMFormats(), f) {
			return nil, fmt.Errorf("%w %q: expected %s, or both as a comma list", ErrSBOMFormat, f, strings.Join(SBOMFormats(), " or "))
		}
	}
	out := slices.Clone(formats)
	slices.Sort(out)
	return slices.Compact(out), nil
}

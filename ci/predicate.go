package ci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxSBOMDocument is the largest existing SBOM document an sbom-path input takes: actions/attest-sbom's
// limit (16 MiB, "SBOMs cannot exceed 16MB").
const MaxSBOMDocument = 16 << 20

// MaxInlinePredicate bounds a predicate given inline (a predicate input) to what a step's input
// can reasonably hold.
const MaxInlinePredicate = 1 << 20

// SBOM predicate types, as actions/attest-sbom and in-toto's predicate specs name them.
const (
	CycloneDXPredicateType = "https://cyclonedx.org/bom"
	spdxPredicatePrefix    = "https://spdx.dev/Document/v"
)

// ReadSBOMDocument reads an SBOM another tool wrote, at most MaxSBOMDocument bytes, and returns
// its predicate type, recognised as actions/attest-sbom recognises it: SPDX JSON (spdxVersion
// and SPDXID; type https://spdx.dev/Document/vVERSION) or CycloneDX JSON (bomFormat,
// serialNumber and specVersion; type https://cyclonedx.org/bom).
func ReadSBOMDocument(path string) (predicateType string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return "", err
	} else if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("not a regular file (mode %s)", fi.Mode())
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSBOMDocument+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxSBOMDocument {
		return "", fmt.Errorf("larger than %d bytes, the most an SBOM attestation takes (as actions/attest-sbom)", MaxSBOMDocument)
	}
	return SBOMPredicateType(b)
}

// SBOMPredicateType recognises an SBOM document (see ReadSBOMDocument).
func SBOMPredicateType(doc []byte) (string, error) {
	var d struct {
		SPDXVersion  string `json:"spdxVersion"`
		SPDXID       string `json:"SPDXID"`
		BOMFormat    string `json:"bomFormat"`
		SerialNumber string `json:"serialNumber"`
		SpecVersion  string `json:"specVersion"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return "", fmt.Errorf("expected an SPDX or CycloneDX JSON document: %w", err)
	}
	switch {
	case d.SPDXVersion != "" && d.SPDXID != "":
		v, ok := strings.CutPrefix(d.SPDXVersion, "SPDX-")
		if !ok || v == "" || strings.Trim(v, "0123456789.") != "" {
			return "", fmt.Errorf("spdxVersion %q: expected SPDX-MAJOR.MINOR", d.SPDXVersion)
		}
		return spdxPredicatePrefix + v, nil
	case d.BOMFormat == "CycloneDX" && d.SerialNumber != "" && d.SpecVersion != "":
		return CycloneDXPredicateType, nil
	case d.BOMFormat != "" && d.SerialNumber != "" && d.SpecVersion != "":
		return "", fmt.Errorf("bomFormat %q: expected CycloneDX", d.BOMFormat)
	}
	return "", errors.New("expected an SPDX JSON document (spdxVersion, SPDXID) or a CycloneDX JSON document (bomFormat, serialNumber, specVersion)")
}

// InlinePredicate checks a predicate given as a JSON string: one JSON object, at most
// MaxInlinePredicate bytes.
func InlinePredicate(s string) ([]byte, error) {
	if len(s) > MaxInlinePredicate {
		return nil, fmt.Errorf("%d bytes, more than %d: give a file with predicate-path instead", len(s), MaxInlinePredicate)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(s), &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("expected a JSON object such as {\"key\": \"value\"}")
	}
	return []byte(s), nil
}

package ci_test

import (
	"strings"
	"testing"

	"github.com/signet-ci/signet/ci"
)

// FuzzSBOMPredicateType: any document gives a predicate type of exactly one of the two known
// shapes, or an error; a type never carries anything but a version from the document.
func FuzzSBOMPredicateType(f *testing.F) {
	for _, s := range []string{
		`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:x"}`,
		`{"spdxVersion":"SPDX-2.3/../../x","SPDXID":"a"}`, `{"spdxVersion":"SPDX-","SPDXID":"a"}`, `null`, `[]`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		typ, err := ci.SBOMPredicateType(doc)
		if err != nil {
			if typ != "" {
				t.Fatalf("a type %q with an error", typ)
			}
			return
		}
		if typ == ci.CycloneDXPredicateType {
			return
		}
		v, ok := strings.CutPrefix(typ, "https://spdx.dev/Document/v")
		if !ok || v == "" || strings.Trim(v, "0123456789.") != "" {
			t.Fatalf("predicate type %q", typ)
		}
	})
}

func TestSBOMPredicateType(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string]string{
		`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT"}`:                    "https://spdx.dev/Document/v2.3",
		`{"spdxVersion":"SPDX-2.2","SPDXID":"SPDXRef-DOCUMENT"}`:                    "https://spdx.dev/Document/v2.2",
		`{"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:1"}`: ci.CycloneDXPredicateType,
		`{"bomFormat":"CycloneDX","specVersion":"1.5"}`:                             "",
		`{"spdxVersion":"SPDX-2.3"}`:                                                "",
		`{"spdxVersion":"2.3","SPDXID":"SPDXRef-DOCUMENT"}`:                         "",
		`{"spdxVersion":"SPDX-2.3 ","SPDXID":"SPDXRef-DOCUMENT"}`:                   "",
		`{"bomFormat":"cyclonedx","specVersion":"1.5","serialNumber":"urn:uuid:1"}`: "",
	} {
		got, err := ci.SBOMPredicateType([]byte(doc))
		if got != want || (want == "") != (err != nil) {
			t.Errorf("%s: %q, %v; want %q", doc, got, err, want)
		}
	}
	for _, s := range []string{"[1]", "null", `"x"`, "1", "{", strings.Repeat("[", 10)} {
		if _, err := ci.InlinePredicate(s); err == nil {
			t.Errorf("inline predicate %q accepted", s)
		}
	}
	if _, err := ci.InlinePredicate(`{"a":` + strings.Repeat(" ", ci.MaxInlinePredicate) + `1}`); err == nil {
		t.Error("an inline predicate over the limit was accepted")
	}
}

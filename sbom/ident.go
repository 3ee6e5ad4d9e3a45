package sbom

import (
	"net/mail"
	"regexp"
	"strings"

	spdxexp "github.com/github/go-spdx/v2/spdxexp"
	packageurl "github.com/package-url/packageurl-go"
)

// purl renders a package URL; qualifiers are given as name, value pairs. What it returns
// always parses: input that makes no valid purl of its type (a name that is empty once its
// scope or path is split off) becomes a generic purl naming the whole input.
func purl(typ, namespace, name, version, subpath string, qualifiers ...string) string {
	s := renderPurl(typ, namespace, name, version, subpath, qualifiers...)
	if _, err := packageurl.FromString(s); err == nil {
		return s
	}
	whole := strings.Trim(namespace+"/"+name, "/")
	if whole == "" {
		whole = "unnamed"
	}
	s = renderPurl("generic", "", whole, version, "")
	if _, err := packageurl.FromString(s); err == nil {
		return s
	}
	return renderPurl("generic", "", "unnamed", "", "")
}

func renderPurl(typ, namespace, name, version, subpath string, qualifiers ...string) string {
	var q packageurl.Qualifiers
	for i := 0; i+1 < len(qualifiers); i += 2 {
		if qualifiers[i+1] != "" {
			q = append(q, packageurl.Qualifier{Key: qualifiers[i], Value: qualifiers[i+1]})
		}
	}
	return packageurl.NewPackageURL(typ, namespace, name, version, q, subpath).ToString()
}

// codeHosts are module-path hosts whose second element names the owner.
var codeHosts = map[string]bool{
	"github.com": true, "gitlab.com": true, "bitbucket.org": true, "codeberg.org": true,
	"gitee.com": true, "git.sr.ht": true,
}

// goSupplier derives the organization behind a Go module path: "github.com/spf13" for
// github.com/spf13/cobra, "golang.org" for golang.org/x/sync, "github.com/go-yaml" for
// gopkg.in/yaml.v3. It returns nil for paths without a host (a local module).
func goSupplier(modPath string) *party {
	parts := strings.Split(modPath, "/")
	host := parts[0]
	if !strings.Contains(host, ".") {
		return nil
	}
	switch {
	case codeHosts[host] && len(parts) >= 2:
		return &party{kind: "Organization", name: host + "/" + parts[1]}
	case host == "gopkg.in" && len(parts) == 2:
		return &party{kind: "Organization", name: "github.com/go-" + strings.SplitN(parts[1], ".", 2)[0]}
	case host == "gopkg.in" && len(parts) >= 3:
		return &party{kind: "Organization", name: "github.com/" + parts[1]}
	}
	return &party{kind: "Organization", name: host}
}

var personRe = regexp.MustCompile(`^\s*([^<(]*?)\s*(?:<([^>]*)>)?\s*(?:\(([^)]*)\))?\s*$`)

// teamWords mark a maintainer name as a group rather than a person.
var teamWords = []string{"team", "maintainers", "developers", "project", "community", "group", "foundation"}

// person parses "Name <email> (url)" as npm, Debian and Python write it; a name such as
// "Debian Python Team" makes an organization.
func person(s string) *party { return classify(parsePerson(s)) }

// classify makes a party whose name reads like a group an organization.
func classify(p *party) *party {
	if p == nil {
		return nil
	}
	lower := strings.ToLower(p.name)
	for _, w := range teamWords {
		if strings.Contains(lower, w) {
			p.kind = "Organization"
		}
	}
	return p
}

func parsePerson(s string) *party {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if a, err := mail.ParseAddress(s); err == nil && a.Name != "" {
		return &party{kind: "Person", name: a.Name, email: a.Address}
	}
	m := personRe.FindStringSubmatch(s)
	if m == nil || m[1] == "" {
		if m != nil && m[2] != "" {
			return &party{kind: "Person", name: m[2], email: m[2]}
		}
		return &party{kind: "Person", name: s}
	}
	return &party{kind: "Person", name: m[1], email: strings.TrimSpace(m[2])}
}

// organization returns a supplier organization, or nil for an empty name.
func organization(name string) *party {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	return &party{kind: "Organization", name: name}
}

// licenseURLs maps the license URLs manifests declare (Bundle-License, pom licenses) to SPDX.
var licenseURLs = map[string]string{
	"apache.org/licenses/license-2.0":      "Apache-2.0",
	"opensource.org/licenses/mit":          "MIT",
	"opensource.org/licenses/mit-license":  "MIT",
	"opensource.org/licenses/bsd-2-clause": "BSD-2-Clause",
	"opensource.org/licenses/bsd-3-clause": "BSD-3-Clause",
	"eclipse.org/legal/epl-2.0":            "EPL-2.0",
	"eclipse.org/legal/epl-v20":            "EPL-2.0",
	"eclipse.org/legal/epl-v10":            "EPL-1.0",
	"mozilla.org/mpl/2.0":                  "MPL-2.0",
}

// licenseFromURL recognizes a well-known license URL, else returns the text unchanged.
func licenseFromURL(s string) string {
	u := strings.ToLower(strings.TrimSpace(strings.SplitN(s, ",", 2)[0]))
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	u = strings.TrimPrefix(u, "www.")
	for _, ext := range []string{".txt", ".html", ".php", "/"} {
		u = strings.TrimSuffix(u, ext)
	}
	if id, ok := licenseURLs[u]; ok {
		return id
	}
	return s
}

// license normalizes a declared license: a valid SPDX expression is returned as the first
// value, anything else as the second (kept as text, never invented into an expression).
func license(declared string) (expr, text string) {
	declared = strings.TrimSpace(declared)
	switch strings.ToUpper(declared) {
	case "", "UNKNOWN", "NOASSERTION", "NONE", "UNLICENSED", "SEE LICENSE IN LICENSE":
		return "", ""
	}
	norm, invalid := spdxexp.ValidateAndNormalizeLicensesWithOptions([]string{declared},
		spdxexp.ValidateLicensesOptions{FailAllLicenseRefs: true, FailAllDocumentRefs: true})
	if len(invalid) == 0 && len(norm) == 1 {
		return norm[0], ""
	}
	return "", declared
}

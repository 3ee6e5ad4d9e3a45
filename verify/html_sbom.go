package verify

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/signet-ci/signet/core"
)

// sbomPackage is one package an SBOM lists.
type sbomPackage struct {
	Name, Version, Ecosystem, License, PURL string
}

// sbomView is one verified SBOM on the page.
type sbomView struct {
	ID, Format, Bundle, BundleDigest, Signer, Artifacts string
	Packages                                            int
	Ecosystems                                          []countRow
	Licenses                                            *barChart
	Rows                                                []sbomPackage
	Error                                               string
}

type countRow struct {
	Name  string
	Count int
}

// barChart is a horizontal bar chart drawn as inline SVG.
type barChart struct {
	Width, Height int
	Bars          []bar
	Desc          string
}

type bar struct {
	Label, Count              string
	Y, W, TextY, BarX, CountX int
}

// sbomViews reads each verified SBOM statement into counts, a license chart and package rows
// (at most maxPackageRows over all SBOMs; the rest is counted).
func sbomViews(sboms []*VerifiedSBOM) ([]*sbomView, int) {
	var out []*sbomView
	budget, more := maxPackageRows, 0
	for i, s := range sboms {
		v := &sbomView{ID: fmt.Sprintf("sbom-%d", i+1), Bundle: escape(s.Bundle), BundleDigest: escape(s.BundleDigest),
			Artifacts: escape(clipLong(strings.Join(s.Artifacts, ", "), 400))}
		if s.Signer != nil {
			v.Signer = escape(s.Signer.Identity + " (" + s.Signer.Issuer + ")")
		} else {
			v.Signer = "a public key the policy pins"
		}
		format, pkgs, err := parseSBOM(s.PredicateType, s.Statement)
		v.Format = format
		if err != nil {
			v.Error = escape(err.Error())
			out = append(out, v)
			continue
		}
		v.Packages = len(pkgs)
		eco, lic := map[string]int{}, map[string]int{}
		for _, p := range pkgs {
			eco[p.Ecosystem]++
			lic[p.License]++
		}
		v.Ecosystems = counted(eco)
		v.Licenses = licenseChart(counted(lic))
		n := min(len(pkgs), budget)
		budget -= n
		more += len(pkgs) - n
		for _, p := range pkgs[:n] {
			v.Rows = append(v.Rows, sbomPackage{Name: escape(p.Name), Version: escape(p.Version),
				Ecosystem: escape(p.Ecosystem), License: escape(p.License), PURL: escape(p.PURL)})
		}
		out = append(out, v)
	}
	return out, more
}

// counted sorts counts, largest first, then by name.
func counted(m map[string]int) []countRow {
	out := make([]countRow, 0, len(m))
	for k, n := range m {
		out = append(out, countRow{Name: escape(k), Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// licenseChart draws the license counts as bars; licenses past maxLicenseBars are one bar.
func licenseChart(rows []countRow) *barChart {
	if len(rows) == 0 {
		return nil
	}
	if len(rows) > maxLicenseBars {
		other := countRow{Name: fmt.Sprintf("%d other licenses", len(rows)-maxLicenseBars+1)}
		for _, r := range rows[maxLicenseBars-1:] {
			other.Count += r.Count
		}
		rows = append(rows[:maxLicenseBars-1:maxLicenseBars-1], other)
	}
	const labelW, barMax, rowH = 260, 320, 24
	c := &barChart{Width: labelW + barMax + 70, Height: len(rows)*rowH + 8}
	top := rows[0].Count
	var desc []string
	for i, r := range rows {
		w := max(1, r.Count*barMax/max(top, 1))
		y := 4 + i*rowH
		c.Bars = append(c.Bars, bar{Label: clip(r.Name), Count: fmt.Sprint(r.Count), Y: y, W: w, TextY: y + 15, BarX: labelW, CountX: labelW + w + 6})
		desc = append(desc, fmt.Sprintf("%s: %d", r.Name, r.Count))
	}
	c.Desc = "Packages per license: " + strings.Join(desc, "; ") + "."
	return c
}

// parseSBOM reads the packages of a verified SPDX 2.3 or CycloneDX statement.
func parseSBOM(predicateType string, statement []byte) (string, []sbomPackage, error) {
	switch {
	case strings.HasPrefix(predicateType, "https://spdx.dev/Document"):
		var st struct {
			Predicate struct {
				Packages []struct {
					Name             string `json:"name"`
					Version          string `json:"versionInfo"`
					LicenseDeclared  string `json:"licenseDeclared"`
					LicenseConcluded string `json:"licenseConcluded"`
					ExternalRefs     []struct {
						Type    string `json:"referenceType"`
						Locator string `json:"referenceLocator"`
					} `json:"externalRefs"`
				} `json:"packages"`
			} `json:"predicate"`
		}
		if err := json.Unmarshal(statement, &st); err != nil {
			return "SPDX", nil, fmt.Errorf("reading the SPDX document: %w", err)
		}
		out := make([]sbomPackage, 0, len(st.Predicate.Packages))
		for _, p := range st.Predicate.Packages {
			pkg := sbomPackage{Name: p.Name, Version: p.Version, License: license(p.LicenseConcluded, p.LicenseDeclared)}
			for _, r := range p.ExternalRefs {
				if r.Type == "purl" {
					pkg.PURL = r.Locator
					break
				}
			}
			pkg.Ecosystem = ecosystem(pkg.PURL)
			out = append(out, pkg)
		}
		return "SPDX", out, nil
	case strings.HasPrefix(predicateType, core.CycloneDXPredicateType):
		var st struct {
			Predicate struct {
				Components []cdxComponent `json:"components"`
			} `json:"predicate"`
		}
		if err := json.Unmarshal(statement, &st); err != nil {
			return "CycloneDX", nil, fmt.Errorf("reading the CycloneDX document: %w", err)
		}
		var out []sbomPackage
		flattenComponents(st.Predicate.Components, &out, 0)
		return "CycloneDX", out, nil
	}
	return "", nil, fmt.Errorf("predicate type %q is not an SBOM", predicateType)
}

type cdxComponent struct {
	Group    string `json:"group"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	PURL     string `json:"purl"`
	Licenses []struct {
		Expression string `json:"expression"`
		License    *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"license"`
	} `json:"licenses"`
	Components []cdxComponent `json:"components"`
}

// flattenComponents lists nested components, depth first, to a bounded depth.
func flattenComponents(cs []cdxComponent, out *[]sbomPackage, depth int) {
	if depth > 32 {
		return
	}
	for _, c := range cs {
		name := c.Name
		if c.Group != "" {
			name = c.Group + "/" + c.Name
		}
		var lics []string
		for _, l := range c.Licenses {
			switch {
			case l.Expression != "":
				lics = append(lics, l.Expression)
			case l.License != nil:
				lics = append(lics, firstOf(l.License.ID, l.License.Name))
			}
		}
		*out = append(*out, sbomPackage{Name: name, Version: c.Version, PURL: c.PURL, Ecosystem: ecosystem(c.PURL),
			License: license(strings.Join(lics, " OR "), "")})
		flattenComponents(c.Components, out, depth+1)
	}
}

// license picks the concluded license, else the declared one; NOASSERTION and empty mean none.
func license(concluded, declared string) string {
	for _, l := range []string{concluded, declared} {
		if l != "" && l != "NOASSERTION" && l != "NONE" {
			return l
		}
	}
	return "not stated"
}

// ecosystem is a package URL's type (golang, npm, pypi, deb, ...).
func ecosystem(purl string) string {
	rest, ok := strings.CutPrefix(purl, "pkg:")
	if !ok {
		return "no purl"
	}
	t, _, _ := strings.Cut(rest, "/")
	if t == "" {
		return "no purl"
	}
	return strings.ToLower(t)
}

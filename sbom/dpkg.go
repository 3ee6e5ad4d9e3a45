package sbom

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// paragraph is one stanza of a Debian control file (or of an apk database).
type paragraph map[string]string

// eachParagraph calls fn with each paragraph of deb822 text in turn until fn returns false;
// continuation lines are joined with "\n". Only one paragraph is in memory at a time.
func eachParagraph(b []byte, fn func(paragraph) bool) {
	cur := map[string][]string{}
	last := ""
	more := true
	flush := func() {
		if len(cur) > 0 && more {
			p := make(paragraph, len(cur))
			for k, lines := range cur {
				p[k] = strings.Join(lines, "\n")
			}
			more = fn(p)
		}
		cur, last = map[string][]string{}, ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for more && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			if last != "" {
				cur[last] = append(cur[last], strings.TrimSpace(line))
			}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			last = k
			cur[k] = []string{strings.TrimSpace(v)}
		}
	}
	flush()
}

// debNamespace is the purl namespace for Debian packages of distribution d.
func debNamespace(d distro, version string) string {
	switch {
	case d.id != "":
		return d.id
	case strings.Contains(version, "ubuntu"):
		return "ubuntu"
	}
	return "debian"
}

// debPackage builds the package of one dpkg paragraph.
func debPackage(p paragraph, d distro, loc string) *pkg {
	name, version := p["Package"], p["Version"]
	upstream := ""
	if src := strings.Fields(p["Source"]); len(src) > 0 && src[0] != name {
		upstream = src[0]
	}
	out := &pkg{name: name, version: version, typ: typeLibrary, ecosystem: "deb",
		purl: purl("deb", debNamespace(d, version), name, version, "",
			"arch", p["Architecture"], "distro", d.qualifier(), "upstream", upstream),
		supplier: person(p["Maintainer"]), homepage: p["Homepage"], locations: []string{loc},
		description: strings.SplitN(p["Description"], "\n", 2)[0]}
	out.setProp("signet:deb:source", p["Source"])
	return out
}

// catalogDpkg catalogs the installed packages of dpkg status files, with Depends and
// Pre-Depends resolved to installed packages (or to packages providing them).
func (t *tree) catalogDpkg(status [][]byte, d distro, copyright map[string][2]string) []string {
	if len(status) == 0 {
		return nil
	}
	var paras []paragraph
	for _, s := range status {
		eachParagraph(s, func(p paragraph) bool {
			if p["Package"] != "" && installed(p["Status"]) {
				paras = append(paras, p)
			}
			return len(paras) <= t.s.cfg.maxPackages
		})
	}
	if len(paras) > t.s.cfg.maxPackages {
		t.s.inv.fail(&LimitError{Limit: LimitPackages, Max: int64(t.s.cfg.maxPackages), Where: t.s.inv.whereLoc(t.loc + "var/lib/dpkg/status"),
			Detail: fmt.Sprintf("lists more than %d installed packages", t.s.cfg.maxPackages)})
		return nil
	}
	if t.dpkg == nil {
		t.dpkg = map[string]string{}
	}
	provides := map[string]string{}
	var found []string
	for _, p := range paras {
		dp := debPackage(p, d, t.loc+"var/lib/dpkg/status")
		if l, ok := copyright[p["Package"]]; ok {
			dp.license, dp.licenseText = l[0], l[1]
		}
		k := t.s.inv.add(dp)
		t.dpkg[p["Package"]] = k
		found = append(found, k)
		for _, v := range depNames(p["Provides"]) {
			if _, ok := provides[v[0]]; !ok {
				provides[v[0]] = k
			}
		}
	}
	for _, p := range paras {
		from := t.dpkg[p["Package"]]
		for _, group := range depNames(p["Pre-Depends"] + "," + p["Depends"]) {
			t.s.inv.link(from, resolveAlt(group, t.dpkg, provides), relDependsOn)
		}
	}
	return found
}

// installed reports whether a dpkg Status field says the package is installed (a
// distroless status.d entry has no Status field and is installed).
func installed(status string) bool {
	if status == "" {
		return true
	}
	f := strings.Fields(status)
	return len(f) == 3 && f[2] == "installed"
}

var depDecor = regexp.MustCompile(`\([^)]*\)|\[[^\]]*\]|<[^>]*>`)

// depNames parses "a (>= 1), b | c:any" into alternatives groups of bare names.
func depNames(s string) [][]string {
	var out [][]string
	for group := range strings.SplitSeq(s, ",") {
		var alts []string
		for alt := range strings.SplitSeq(group, "|") {
			n := strings.TrimSpace(depDecor.ReplaceAllString(alt, ""))
			n = strings.SplitN(n, ":", 2)[0]
			if n != "" {
				alts = append(alts, n)
			}
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}

// resolveAlt returns the key of the first alternative that is installed or provided.
func resolveAlt(alts []string, byName, provides map[string]string) string {
	for _, a := range alts {
		if k, ok := byName[a]; ok {
			return k
		}
		if k, ok := provides[a]; ok {
			return k
		}
	}
	return ""
}

// dpkgOwners maps every file listed in dpkg's info/*.list files to its package name.
func dpkgOwners(lists map[string][]byte) map[string]string {
	if len(lists) == 0 {
		return nil
	}
	owners := map[string]string{}
	for name, data := range lists {
		for line := range strings.Lines(string(data)) {
			if line = strings.TrimSpace(line); line != "" && line != "/." {
				owners[line] = name
			}
		}
	}
	return owners
}

// dpkgKey returns the key of an installed Debian package of this tree by name.
func (t *tree) dpkgKey(name string) string { return t.dpkg[name] }

// catalogApk catalogs Alpine's installed database with dependencies resolved by name and
// by what packages provide (so:, cmd:, pc: names).
func (t *tree) catalogApk(db []byte, d distro) []string {
	if len(db) == 0 {
		return nil
	}
	paras := parseApk(db, t.s.cfg.maxPackages)
	if len(paras) > t.s.cfg.maxPackages {
		t.s.inv.fail(&LimitError{Limit: LimitPackages, Max: int64(t.s.cfg.maxPackages), Where: t.s.inv.whereLoc(t.loc + "lib/apk/db/installed"),
			Detail: fmt.Sprintf("lists more than %d installed packages", t.s.cfg.maxPackages)})
		return nil
	}
	byName, provides := map[string]string{}, map[string]string{}
	var found []string
	for _, p := range paras {
		k := t.s.inv.add(apkPackage(p, d, t.loc+"lib/apk/db/installed"))
		byName[p["P"]] = k
		found = append(found, k)
		for _, v := range strings.Fields(p["p"]) {
			provides[apkName(v)] = k
		}
	}
	for _, p := range paras {
		for _, dep := range strings.Fields(p["D"]) {
			if strings.HasPrefix(dep, "!") {
				continue
			}
			t.s.inv.link(byName[p["P"]], resolveAlt([]string{apkName(dep)}, byName, provides), relDependsOn)
		}
	}
	return found
}

// apkName strips a version constraint from an apk dependency or provide.
func apkName(s string) string {
	if i := strings.IndexAny(s, "<>=~"); i >= 0 {
		return s[:i]
	}
	return s
}

// parseApk splits an apk installed database into its packages' paragraphs; it stops after
// max+1 of them (the caller refuses a database with more packages than a document may hold).
func parseApk(b []byte, max int) []paragraph {
	var out []paragraph
	cur := paragraph{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSuffix(line, "\n")
		if strings.TrimSpace(line) == "" {
			if cur["P"] != "" {
				out = append(out, cur)
				if len(out) > max {
					return out
				}
			}
			cur = paragraph{}
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok && len(k) == 1 {
			if _, seen := cur[k]; !seen {
				cur[k] = v
			}
		}
	}
	if cur["P"] != "" {
		out = append(out, cur)
	}
	return out
}

func apkPackage(p paragraph, d distro, loc string) *pkg {
	if d.id == "" {
		d.id = "alpine"
	}
	upstream := ""
	if p["o"] != "" && p["o"] != p["P"] {
		upstream = p["o"]
	}
	out := &pkg{name: p["P"], version: p["V"], typ: typeLibrary, ecosystem: "apk",
		purl:     purl("apk", d.id, p["P"], p["V"], "", "arch", p["A"], "distro", d.qualifier(), "upstream", upstream),
		supplier: person(p["m"]), homepage: p["U"], description: p["T"], locations: []string{loc}}
	out.license, out.licenseText = license(apkLicense(p["L"]))
	return out
}

// apkLicense turns apk's space-separated license list into an expression.
func apkLicense(l string) string {
	f := strings.Fields(l)
	for _, w := range f {
		if w == "AND" || w == "OR" || w == "WITH" {
			return l
		}
	}
	return strings.Join(f, " AND ")
}

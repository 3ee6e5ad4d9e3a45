package sbom

import (
	"bufio"
	"bytes"
	"path"
	"regexp"
	"strings"
)

// parseProperties reads a Java .properties file (key=value, # comments).
func parseProperties(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// parseManifest reads the main section of a MANIFEST.MF (continuation lines start with a
// space; they are collected and joined once, so a value of many short lines costs linear time).
func parseManifest(b []byte) map[string]string {
	parts := map[string][]string{}
	last := ""
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' && last != "" {
			parts[last] = append(parts[last], line[1:])
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			last = strings.TrimSpace(k)
			parts[last] = []string{strings.TrimSpace(v)}
		}
	}
	out := make(map[string]string, len(parts))
	for k, v := range parts {
		out[k] = strings.Join(v, "")
	}
	return out
}

// catalogPom adds the maven package a pom.properties describes; jar, when given, supplies
// the jar-level facts (supplier, license, location).
func (t *tree) catalogPom(f namedData, jar *pkg) string {
	props := parseProperties(f.data)
	g, a, v := props["groupId"], props["artifactId"], props["version"]
	if a == "" || v == "" {
		return ""
	}
	p := &pkg{name: a, version: v, purl: purl("maven", g, a, v, ""), typ: typeLibrary, ecosystem: "maven",
		supplier: organization(g), locations: []string{t.loc + f.name}}
	p.setProp("signet:maven:groupId", g)
	if jar != nil {
		p.supplier = firstParty(jar.supplier, p.supplier)
		p.license, p.licenseText = jar.license, jar.licenseText
		p.locations = jar.locations
	}
	return t.s.inv.add(p)
}

func firstParty(ps ...*party) *party {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}

var jarVersionRe = regexp.MustCompile(`^(.+?)[-_](\d[\w.+-]*)$`)

// finishJar catalogs a walked jar: the jar becomes a maven package (from its own
// pom.properties, else its manifest and file name) containing what was found inside it.
func (t *tree) finishJar(base string) []string {
	t.jar = true
	inside := t.finish()
	stem := strings.TrimSuffix(base, path.Ext(base))
	mf := parseManifest(t.meta.manifest)
	jar := &pkg{typ: typeLibrary, ecosystem: "maven", locations: []string{t.selfLocation()},
		supplier: organization(firstNonEmpty(mf["Implementation-Vendor"], mf["Bundle-Vendor"]))}
	jar.license, jar.licenseText = license(licenseFromURL(mf["Bundle-License"]))
	var key string
	var shaded []string
	for _, pom := range t.meta.poms {
		props := parseProperties(pom.data)
		if key == "" && (len(t.meta.poms) == 1 || strings.HasPrefix(stem, props["artifactId"]+"-") || stem == props["artifactId"]) {
			key = t.catalogPom(pom, jar)
			continue
		}
		if k := t.catalogPom(pom, nil); k != "" {
			shaded = append(shaded, k)
		}
	}
	if key == "" {
		key = t.s.inv.add(jarFromManifest(jar, mf, stem))
	}
	for _, k := range append(shaded, inside...) {
		t.s.inv.link(key, k, relContains)
	}
	return []string{key}
}

// jarFromManifest names a jar without a matching pom.properties from its manifest, falling
// back to its file name ("name-1.2.3.jar").
func jarFromManifest(jar *pkg, mf map[string]string, stem string) *pkg {
	name, version := "", firstNonEmpty(mf["Implementation-Version"], mf["Bundle-Version"])
	if m := jarVersionRe.FindStringSubmatch(stem); m != nil {
		name, version = m[1], firstNonEmpty(version, m[2])
	}
	name = firstNonEmpty(name, stem, "unnamed")
	group := mf["Implementation-Vendor-Id"]
	if group == name {
		group = ""
	}
	jar.name, jar.version = name, version
	jar.purl = purl("maven", group, name, version, "")
	if jar.supplier == nil {
		jar.supplier = organization(group)
	}
	return jar
}

package sbom

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
)

// pomXML is the part of a Maven pom.xml signet reads.
type pomXML struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Parent     struct {
		GroupID string `xml:"groupId"`
		Version string `xml:"version"`
	} `xml:"parent"`
	Properties struct {
		Entries []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"properties"`
	Dependencies []pomDependency `xml:"dependencies>dependency"`
}

type pomDependency struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
	Scope      string `xml:"scope"`
	Optional   string `xml:"optional"`
}

// mavenID is a valid groupId or artifactId.
var mavenID = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// pomProperty is a ${name} reference.
var pomProperty = regexp.MustCompile(`\$\{([^}]*)\}`)

// catalogPomXML catalogs a pom.xml: the project and its declared dependencies. ${…}
// references to the pom's own properties and to project.version/groupId are resolved; a
// dependency whose version is left to a parent or an imported BOM (or to a property the pom
// does not define) has no version to name and is not listed.
func (t *tree) catalogPomXML(f namedData) []string {
	loc := t.loc + f.name
	where := t.s.inv.whereLoc(loc)
	var pom pomXML
	dec := xml.NewDecoder(bytes.NewReader(f.data))
	dec.Strict = true
	if err := dec.Decode(&pom); err != nil {
		t.s.inv.fail(fmt.Errorf("reading %s: %w", where, err))
		return nil
	}
	if len(pom.Dependencies) > t.s.cfg.maxPackages {
		t.s.inv.fail(&LimitError{Limit: LimitPackages, Max: int64(t.s.cfg.maxPackages), Where: where,
			Detail: fmt.Sprintf("declares %d dependencies, more than %d", len(pom.Dependencies), t.s.cfg.maxPackages)})
		return nil
	}
	props := map[string]string{}
	for _, e := range pom.Properties.Entries {
		props[e.XMLName.Local] = strings.TrimSpace(e.Value)
	}
	group := firstNonEmpty(strings.TrimSpace(pom.GroupID), strings.TrimSpace(pom.Parent.GroupID))
	version := firstNonEmpty(strings.TrimSpace(pom.Version), strings.TrimSpace(pom.Parent.Version))
	props["project.groupId"], props["pom.groupId"] = group, group
	version = pomResolve(version, props)
	props["project.version"], props["pom.version"] = version, version
	var rootKey string
	artifact := strings.TrimSpace(pom.ArtifactID)
	if mavenID.MatchString(group) && mavenID.MatchString(artifact) && version != "" {
		root := mavenPackage(group, artifact, version, loc)
		root.typ = typeApplication
		if rootKey = t.s.inv.add(root); rootKey == "" {
			return nil
		}
	}
	var found []string
	for _, d := range pom.Dependencies {
		g, a := pomResolve(strings.TrimSpace(d.GroupID), props), pomResolve(strings.TrimSpace(d.ArtifactID), props)
		v := pomResolve(strings.TrimSpace(d.Version), props)
		if !mavenID.MatchString(g) || !mavenID.MatchString(a) || v == "" {
			continue
		}
		p := mavenPackage(g, a, v, loc)
		p.setProp("signet:maven:scope", strings.TrimSpace(d.Scope))
		if strings.TrimSpace(d.Optional) == "true" {
			p.setProp("signet:maven:optional", "true")
		}
		k := t.s.inv.add(p)
		if k == "" {
			return nil
		}
		if rootKey != "" {
			t.s.inv.link(rootKey, k, relDependsOn)
		} else {
			found = append(found, k)
		}
	}
	if rootKey != "" {
		return []string{rootKey}
	}
	return found
}

// pomResolve replaces ${name} references with the pom's properties; it returns "" when one
// cannot be resolved or the value still holds a reference (no recursion: one pass).
func pomResolve(v string, props map[string]string) string {
	unresolved := false
	out := pomProperty.ReplaceAllStringFunc(v, func(ref string) string {
		val, ok := props[ref[2:len(ref)-1]]
		if !ok || strings.Contains(val, "${") {
			unresolved = true
		}
		return val
	})
	if unresolved || strings.ContainsAny(out, " \t\n[]()") { // a version range is not a version
		return ""
	}
	return out
}

func mavenPackage(group, artifact, version, loc string) *pkg {
	p := &pkg{name: artifact, version: version, purl: purl("maven", group, artifact, version, ""),
		typ: typeLibrary, ecosystem: "maven", supplier: organization(group), locations: []string{loc}}
	p.setProp("signet:maven:groupId", group)
	return p
}

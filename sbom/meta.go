package sbom

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path"
	"sort"
	"strings"
)

// metadata is what one tree's walk collected for its catalogers.
type metadata struct {
	dpkgStatus [][]byte
	dpkgLists  map[string][]byte // package name (file base without .list) → file list
	apk        []byte
	osRelease  []byte
	npm        []npmInstalled
	locks      []namedData
	python     []namedData
	poms       []namedData
	manifest   []byte
	binaries   []goBinary
	copyright  map[string][2]string // Debian package name → license expression and text
	decl       []declFile           // a workspace's lock files and manifests
}

type namedData struct {
	name string
	data []byte
}

func (m *metadata) add(k metaKindT, name string, data []byte) {
	switch k {
	case metaDpkgStatus:
		m.dpkgStatus = append(m.dpkgStatus, data)
	case metaDpkgList:
		if m.dpkgLists == nil {
			m.dpkgLists = map[string][]byte{}
		}
		m.dpkgLists[strings.SplitN(strings.TrimSuffix(path.Base(name), ".list"), ":", 2)[0]] = data
	case metaApk:
		m.apk = data
	case metaOSRelease:
		if m.osRelease == nil || name == "etc/os-release" {
			m.osRelease = data
		}
	case metaNpmManifest:
		var mf npmManifest // parsed now: a package.json may carry a whole README
		if json.Unmarshal(data, &mf) == nil && validNpmName(mf.Name) && mf.Version != "" {
			m.npm = append(m.npm, npmInstalled{name, mf})
		}
	case metaNpmLock:
		m.locks = append(m.locks, namedData{name, data})
	case metaPython: // the headers only (readHeaderBlock)
		m.python = append(m.python, namedData{name, data})
	case metaPomProperties:
		m.poms = append(m.poms, namedData{name, data})
	case metaManifest:
		m.manifest = data
	case metaDebCopyright:
		if m.copyright == nil {
			m.copyright = map[string][2]string{}
		}
		e, text := debCopyrightLicense(data)
		m.copyright[path.Base(path.Dir(name))] = [2]string{e, text}
	}
}

func (m *metadata) isJava() bool { return len(m.poms) > 0 || m.manifest != nil }

// catalog turns the collected metadata into packages. Packages whose files an installed
// Debian package lists are contained by that package; the rest are returned as found
// directly in the tree.
func (m *metadata) catalog(t *tree) []string {
	distro := parseOSRelease(m.osRelease)
	owners := dpkgOwners(m.dpkgLists)
	var found []string
	place := func(file, key string) {
		if key == "" {
			return
		}
		if deb, ok := owners["/"+file]; ok {
			if dk := t.dpkgKey(deb); dk != "" {
				t.s.inv.link(dk, key, relContains)
				return
			}
		}
		found = append(found, key)
	}
	found = append(found, t.catalogDpkg(m.dpkgStatus, distro, m.copyright)...)
	found = append(found, t.catalogApk(m.apk, distro)...)
	for _, b := range m.binaries {
		place(b.path, t.catalogGo(b))
	}
	for file, key := range t.catalogNpm(m.npm) {
		place(file, key)
	}
	for _, l := range m.locks {
		found = append(found, t.catalogLock(l)...)
	}
	found = append(found, t.catalogDeclared(m.decl)...)
	for file, key := range t.catalogPython(m.python) {
		place(file, key)
	}
	if !t.jar {
		for _, p := range m.poms {
			found = append(found, t.catalogPom(p, nil))
		}
	}
	sort.Strings(found)
	return found
}

// distro is what /etc/os-release says.
type distro struct {
	id, versionID, versionCodename, prettyName string
}

// qualifier is the purl "distro" qualifier: "debian-12", "alpine-3.19.1".
func (d distro) qualifier() string {
	if d.id == "" {
		return ""
	}
	if d.versionID == "" {
		return d.id
	}
	return d.id + "-" + d.versionID
}

func parseOSRelease(b []byte) distro {
	var d distro
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			d.id = v
		case "VERSION_ID":
			d.versionID = v
		case "VERSION_CODENAME":
			d.versionCodename = v
		case "PRETTY_NAME":
			d.prettyName = v
		}
	}
	return d
}

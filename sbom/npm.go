package sbom

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// npmManifest is the part of a package.json signet reads.
type npmManifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Description          string            `json:"description"`
	Homepage             string            `json:"homepage"`
	Author               json.RawMessage   `json:"author"`
	License              json.RawMessage   `json:"license"`
	Licenses             []npmLicenseObj   `json:"licenses"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	Integrity            string            `json:"_integrity"`
}

type npmLicenseObj struct {
	Type string `json:"type"`
}

// npmInstalled is a package.json found under node_modules, parsed.
type npmInstalled struct {
	name     string
	manifest npmManifest
}

// validNpmName reports whether name can name an npm package in a purl: not empty, and a
// scoped name "@SCOPE/NAME" has both parts ("@scope/" names nothing).
func validNpmName(name string) bool {
	if !strings.HasPrefix(name, "@") {
		return name != ""
	}
	scope, n, ok := strings.Cut(name[1:], "/")
	return ok && scope != "" && n != ""
}

// npmPurl is the purl of an npm package name ("@scope/name" puts the scope in the namespace).
func npmPurl(name, version string) string {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if s, rest, ok := strings.Cut(name, "/"); ok {
			ns, n = s, rest
		}
	}
	return purl("npm", ns, n, version, "")
}

// npmAuthor reads "author" as a string ("Name <email> (url)") or an object.
func npmAuthor(raw json.RawMessage) *party {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return person(s)
	}
	var o struct{ Name, Email string }
	if json.Unmarshal(raw, &o) == nil && o.Name != "" {
		return classify(&party{kind: "Person", name: o.Name, email: o.Email})
	}
	return nil
}

// npmLicense reads "license" as a string or a legacy {"type": …} object, or "licenses".
func npmLicense(m npmManifest) (string, string) {
	var s string
	if json.Unmarshal(m.License, &s) == nil && s != "" {
		return license(s)
	}
	var o npmLicenseObj
	if json.Unmarshal(m.License, &o) == nil && o.Type != "" {
		return license(o.Type)
	}
	var types []string
	for _, l := range m.Licenses {
		types = append(types, l.Type)
	}
	if len(types) > 1 {
		return license("(" + strings.Join(types, " OR ") + ")")
	}
	return license(strings.Join(types, ""))
}

// integrityHash turns a subresource-integrity string into a digest.
func integrityHash(sri string) (alg, hexDigest string) {
	for _, one := range strings.Fields(sri) {
		a, b64, ok := strings.Cut(one, "-")
		if !ok || len(b64) > 88 { // base64 of a SHA-512 is 88 characters
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		switch {
		case a == "sha512" && len(raw) == 64:
			return "SHA-512", hex.EncodeToString(raw)
		case a == "sha256" && len(raw) == 32:
			return "SHA-256", hex.EncodeToString(raw)
		case a == "sha1" && len(raw) == 20:
			alg, hexDigest = "SHA-1", hex.EncodeToString(raw)
		}
	}
	return alg, hexDigest
}

func setIntegrity(p *pkg, sri string) {
	if alg, h := integrityHash(sri); alg != "" {
		p.hashes = map[string]string{alg: h}
	}
}

// catalogNpm catalogs installed node_modules packages and resolves each one's dependencies
// the way Node does (nearest node_modules up the tree). It returns file → package key.
func (t *tree) catalogNpm(files []npmInstalled) map[string]string {
	out := map[string]string{}
	dirs := map[string]string{}
	deps := map[string][]string{}
	refs := 0
	for _, f := range files {
		// resolving a reference costs a lookup per directory level: bound them before any
		if refs += len(f.manifest.Dependencies) + len(f.manifest.OptionalDependencies) + len(f.manifest.PeerDependencies); refs > t.s.cfg.maxRelations {
			t.s.inv.fail(&LimitError{Limit: LimitRelations, Max: int64(t.s.cfg.maxRelations), Where: t.s.inv.whereLoc(t.loc + f.name),
				Detail: fmt.Sprintf("installed packages declare more than %d dependencies", t.s.cfg.maxRelations)})
			return nil
		}
	}
	for _, f := range files {
		m := f.manifest
		p := &pkg{name: m.Name, version: m.Version, purl: npmPurl(m.Name, m.Version), typ: typeLibrary,
			ecosystem: "npm", supplier: npmAuthor(m.Author), homepage: m.Homepage, description: m.Description,
			locations: []string{t.loc + f.name}}
		p.license, p.licenseText = npmLicense(m)
		setIntegrity(p, m.Integrity)
		k := t.s.inv.add(p)
		dir := path.Dir(f.name)
		dirs[dir], out[f.name] = k, k
		deps[dir] = sortedKeys(m.Dependencies, m.OptionalDependencies, m.PeerDependencies)
	}
	for dir, names := range deps {
		for _, n := range names {
			if k, ok := resolveNode(dirs, dir, n); ok {
				t.s.inv.link(dirs[dir], k, relDependsOn)
			}
		}
	}
	return out
}

// resolveNode finds package name as required from dir: dir/node_modules/name, then the
// same in every ancestor directory.
func resolveNode(dirs map[string]string, dir, name string) (string, bool) {
	for d := dir; ; d = path.Dir(d) {
		if d == "." || d == "/" {
			d = ""
		}
		cand := "node_modules/" + name
		if d != "" {
			cand = d + "/" + cand
		}
		if k, ok := dirs[cand]; ok {
			return k, true
		}
		if d == "" {
			return "", false
		}
	}
}

func sortedKeys(ms ...map[string]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// npmLock is package-lock.json (lockfileVersion 1, 2 or 3).
type npmLock struct {
	Name            string                 `json:"name"`
	Version         string                 `json:"version"`
	LockfileVersion int                    `json:"lockfileVersion"`
	Packages        map[string]lockEntry   `json:"packages"`
	Dependencies    map[string]lockEntryV1 `json:"dependencies"`
}

type lockEntry struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Integrity            string            `json:"integrity"`
	License              json.RawMessage   `json:"license"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	Dev                  bool              `json:"dev"`
	Link                 bool              `json:"link"`
}

type lockEntryV1 struct {
	Version      string                 `json:"version"`
	Integrity    string                 `json:"integrity"`
	Requires     map[string]string      `json:"requires"`
	Dependencies map[string]lockEntryV1 `json:"dependencies"`
	Dev          bool                   `json:"dev"`
}

// flattenV1 turns lockfile v1's nested dependencies into v2-style path keys; it stops
// descending at keys longer than maxKey (lockBounds then refuses the file).
func flattenV1(prefix string, deps map[string]lockEntryV1, out map[string]lockEntry, maxKey int) {
	for name, e := range deps {
		key := prefix + "node_modules/" + name
		out[key] = lockEntry{Version: e.Version, Integrity: e.Integrity, Dependencies: e.Requires, Dev: e.Dev}
		if len(key) <= maxKey {
			flattenV1(key+"/", e.Dependencies, out, maxKey)
		}
	}
}

// lockName is the package name of a lock entry at key ("node_modules/a/node_modules/@s/b").
func lockName(key string, e lockEntry) string {
	if e.Name != "" {
		return e.Name
	}
	i := strings.LastIndex(key, "node_modules/")
	if i < 0 {
		return ""
	}
	return key[i+len("node_modules/"):]
}

// catalogLock catalogs a package-lock.json: every entry once per name@version however many
// paths it is installed at, edges resolved per path, the root project depending on its
// direct dependencies.
func (t *tree) catalogLock(f namedData) []string {
	loc := t.loc + f.name
	l, ok, err := decodeLock(f.data, t.s.cfg.maxPackages, t.s.inv.whereLoc(loc))
	if err != nil {
		t.s.inv.fail(err)
		return nil
	}
	if !ok {
		return nil
	}
	entries := l.Packages
	if len(entries) == 0 && len(l.Dependencies) > 0 {
		entries = map[string]lockEntry{}
		flattenV1("", l.Dependencies, entries, t.s.cfg.maxField)
	}
	if err := t.lockBounds(entries, loc); err != nil {
		t.s.inv.fail(err)
		return nil
	}
	dirs := make(map[string]string, len(entries))
	for key, e := range entries {
		name := lockName(key, e)
		if key == "" || e.Link || e.Version == "" || !validNpmName(name) {
			continue
		}
		p := &pkg{name: name, version: e.Version, purl: npmPurl(name, e.Version), typ: typeLibrary,
			ecosystem: "npm", locations: []string{loc}}
		p.license, p.licenseText = npmLicense(npmManifest{License: e.License})
		setIntegrity(p, e.Integrity)
		if e.Dev {
			p.setProp("signet:npm:dev", "true")
		}
		dirs[key] = t.s.inv.add(p)
	}
	for key, e := range entries {
		from, ok := dirs[key]
		if !ok {
			continue
		}
		for _, n := range sortedKeys(e.Dependencies, e.OptionalDependencies, e.PeerDependencies) {
			if k, ok := resolveNode(dirs, key, n); ok {
				t.s.inv.link(from, k, relDependsOn)
			}
		}
	}
	return t.lockRoot(l, entries, dirs, loc)
}

// decodeLock decodes a package-lock.json one "packages" entry at a time, so a lock file
// with more entries than a document may hold packages is refused after max entries, not
// after all of them are in memory. ok is false for a file that is not a lock file.
func decodeLock(data []byte, max int, where string) (l npmLock, ok bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return l, false, nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return l, false, nil
		}
		var dst any
		switch tok {
		case "packages":
			if !decodeLockEntries(dec, &l, max) {
				return l, false, nil
			}
			if len(l.Packages) > max {
				return l, false, &LimitError{Limit: LimitPackages, Max: int64(max), Where: where,
					Detail: fmt.Sprintf("lists more than %d packages", max)}
			}
			continue
		case "name":
			dst = &l.Name
		case "version":
			dst = &l.Version
		case "lockfileVersion":
			dst = &l.LockfileVersion
		case "dependencies":
			dst = &l.Dependencies
		default:
			dst = &json.RawMessage{}
		}
		if dec.Decode(dst) != nil {
			return l, false, nil
		}
	}
	return l, true, nil
}

// decodeLockEntries decodes the "packages" object into l.Packages, stopping after one entry
// more than max (decodeLock then refuses the file).
func decodeLockEntries(dec *json.Decoder, l *npmLock, max int) bool {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return err == nil
	}
	if tok != json.Delim('{') {
		return false
	}
	l.Packages = map[string]lockEntry{}
	for dec.More() {
		kt, err := dec.Token()
		key, isKey := kt.(string)
		if err != nil || !isKey {
			return false
		}
		var e lockEntry
		if dec.Decode(&e) != nil {
			return false
		}
		l.Packages[key] = e
		if len(l.Packages) > max {
			return true
		}
	}
	_, err = dec.Token()
	return err == nil
}

// lockBounds refuses a lock file whose entry paths are over the field limit (they are file
// names) or whose entries declare more dependency references in total than the document
// may hold relationships, before any of them is resolved: resolving one reference costs a
// map lookup per directory level of its path.
func (t *tree) lockBounds(entries map[string]lockEntry, loc string) error {
	where := t.s.inv.whereLoc(loc)
	refs := 0
	for key, e := range entries {
		if len(key) > t.s.cfg.maxField {
			return &LimitError{Limit: LimitFieldBytes, Max: int64(t.s.cfg.maxField), Where: where,
				Detail: fmt.Sprintf("entry path %.64q… is %d bytes, over the %d-byte limit", key, len(key), t.s.cfg.maxField)}
		}
		refs += len(e.Dependencies) + len(e.DevDependencies) + len(e.OptionalDependencies) + len(e.PeerDependencies)
	}
	if refs > t.s.cfg.maxRelations {
		return &LimitError{Limit: LimitRelations, Max: int64(t.s.cfg.maxRelations), Where: where,
			Detail: fmt.Sprintf("entries declare %d dependencies, more than %d", refs, t.s.cfg.maxRelations)}
	}
	return nil
}

// lockRoot adds the project the lock belongs to and returns it, or, without a named and
// versioned root, the top-level installed packages.
func (t *tree) lockRoot(l npmLock, entries map[string]lockEntry, dirs map[string]string, loc string) []string {
	root := entries[""]
	name, version := firstNonEmpty(root.Name, l.Name), firstNonEmpty(root.Version, l.Version)
	if !validNpmName(name) || version == "" {
		var top []string
		for key, k := range dirs {
			if strings.Count(key, "node_modules/") == 1 && strings.HasPrefix(key, "node_modules/") {
				top = append(top, k)
			}
		}
		sort.Strings(top)
		return top
	}
	rk := t.s.inv.add(&pkg{name: name, version: version, purl: npmPurl(name, version), typ: typeApplication,
		ecosystem: "npm", locations: []string{loc}})
	direct := sortedKeys(root.Dependencies, root.DevDependencies, root.OptionalDependencies, root.PeerDependencies)
	if len(l.Packages) == 0 {
		direct = nil
		for key := range dirs {
			if strings.Count(key, "node_modules/") == 1 {
				direct = append(direct, lockName(key, entries[key]))
			}
		}
	}
	for _, n := range direct {
		if k, ok := resolveNode(dirs, "", n); ok {
			t.s.inv.link(rk, k, relDependsOn)
		}
	}
	return []string{rk}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

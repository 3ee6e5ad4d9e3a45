package sbom

import (
	"bytes"
	"path"
	"sort"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/signet-ci/signet/core"
)

var spdxChecksum = map[string]common.ChecksumAlgorithm{
	"SHA-1": common.SHA1, "SHA-256": common.SHA256, "SHA-512": common.SHA512,
}

var spdxPurpose = map[compType]string{
	typeLibrary: "LIBRARY", typeApplication: "APPLICATION", typeOS: "OPERATING_SYSTEM",
	typeContainer: "CONTAINER", typeFile: "FILE",
}

// encodeSPDX writes inv as an SPDX 2.3 JSON document.
func encodeSPDX(inv *inventory, cfg *config, s core.Subject) ([]byte, error) {
	created := cfg.now().UTC().Format(time.RFC3339)
	id := docIdentity(cfg, s, inv, created, FormatSPDX)
	doc := &v2_3.Document{
		SPDXVersion:       v2_3.Version,
		DataLicense:       v2_3.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      s.Name,
		DocumentNamespace: cfg.namespaceURL + "/" + idSafe(path.Base(s.Name)) + "-" + id.String(),
		CreationInfo: &v2_3.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: "signet-" + cfg.toolVersion}},
			Created:  created,
		},
	}
	if n := inv.limits.truncated; n > 0 {
		doc.DocumentComment = truncatedNote(n)
	}
	ids := spdxIDs(inv)
	doc.Packages = append(doc.Packages, spdxPackage(inv.primary, ids))
	for _, p := range inv.sorted() {
		doc.Packages = append(doc.Packages, spdxPackage(p, ids))
	}
	doc.Relationships = append(doc.Relationships, &v2_3.Relationship{
		RefA: common.MakeDocElementID("", "DOCUMENT"), RefB: common.MakeDocElementID("", ids[inv.primary.key()]),
		Relationship: common.TypeRelationshipDescribe})
	for _, e := range inv.sortedEdges() {
		doc.Relationships = append(doc.Relationships, &v2_3.Relationship{
			RefA: common.MakeDocElementID("", ids[e.from]), RefB: common.MakeDocElementID("", ids[e.to]),
			Relationship: string(e.kind)})
	}
	doc.Files, doc.Relationships = spdxFiles(inv, ids[inv.primary.key()], doc.Relationships)
	var buf bytes.Buffer
	if err := spdxjson.Write(doc, &buf, spdxjson.Indent(" "), spdxjson.EscapeHTML(false)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// spdxIDs assigns every package a readable, unique SPDX identifier.
func spdxIDs(inv *inventory) map[string]string {
	ids := make(map[string]string, len(inv.pkgs))
	for k, p := range inv.pkgs {
		name := p.name
		if i := strings.LastIndex(name, "/"); i >= 0 && p != inv.primary {
			name = name[i+1:]
		}
		ids[k] = "Package-" + idSafe(p.ecosystem+"-"+name) + "-" + shortHash(k)
	}
	return ids
}

func spdxPackage(p *pkg, ids map[string]string) *v2_3.Package {
	sp := &v2_3.Package{
		PackageName:             p.name,
		PackageSPDXIdentifier:   common.ElementID(ids[p.key()]),
		PackageVersion:          p.version,
		PackageDownloadLocation: "NOASSERTION",
		PackageSupplier:         spdxSupplier(p.supplier),
		PackageLicenseConcluded: "NOASSERTION",
		PackageLicenseDeclared:  firstNonEmpty(p.license, "NOASSERTION"),
		PackageCopyrightText:    "NOASSERTION",
		PackageHomePage:         webURL(p.homepage),
		PackageSummary:          p.description,
		PrimaryPackagePurpose:   spdxPurpose[p.typ],
		PackageExternalReferences: []*v2_3.PackageExternalReference{{
			Category: common.CategoryPackageManager, RefType: common.TypePackageManagerPURL, Locator: p.purl}},
		PackageSourceInfo: sourceInfo(p.locations),
		PackageComment:    propsComment(p.props),
	}
	if p.licenseText != "" {
		sp.PackageLicenseComments = "declared license (not an SPDX expression): " + p.licenseText
	}
	algs := make([]string, 0, len(p.hashes))
	for a := range p.hashes {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	for _, a := range algs {
		sp.PackageChecksums = append(sp.PackageChecksums, common.Checksum{Algorithm: spdxChecksum[a], Value: p.hashes[a]})
	}
	return sp
}

func spdxSupplier(p *party) *common.Supplier {
	if p == nil || p.name == "" {
		return &common.Supplier{Supplier: "NOASSERTION"}
	}
	name := p.name
	if e := validEmail(p.email); e != "" {
		name += " (" + e + ")"
	}
	return &common.Supplier{SupplierType: p.kind, Supplier: name}
}

func sourceInfo(locs []string) string {
	if len(locs) == 0 {
		return ""
	}
	return "found at: " + strings.Join(locs, ", ")
}

func propsComment(props map[string]string) string {
	var lines []string
	for _, kv := range sortedProps(props) {
		lines = append(lines, kv[0]+"="+kv[1])
	}
	return strings.Join(lines, "\n")
}

// spdxFiles lists the files found with file digests on, each contained by the primary package.
func spdxFiles(inv *inventory, primaryID string, rels []*v2_3.Relationship) ([]*v2_3.File, []*v2_3.Relationship) {
	var files []*v2_3.File
	for _, f := range inv.files {
		id := "File-" + idSafe(path.Base(f.path)) + "-" + shortHash(f.path)
		files = append(files, &v2_3.File{
			FileName: "./" + f.path, FileSPDXIdentifier: common.ElementID(id),
			Checksums:        []common.Checksum{{Algorithm: common.SHA1, Value: f.sha1}, {Algorithm: common.SHA256, Value: f.sha256}},
			LicenseConcluded: "NOASSERTION", FileCopyrightText: "NOASSERTION",
		})
		rels = append(rels, &v2_3.Relationship{RefA: common.MakeDocElementID("", primaryID),
			RefB: common.MakeDocElementID("", id), Relationship: common.TypeRelationshipContains})
	}
	return files, rels
}

package sbom

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// rpmTag is one entry of a test rpm header: a string, or an INT32 when num is set.
type rpmTag struct {
	tag   int
	value string
	num   *uint32
}

// rpmHeaderOf encodes an rpm header structure.
func rpmHeaderOf(tags ...rpmTag) []byte {
	var index, data bytes.Buffer
	for _, tg := range tags {
		typ := uint32(rpmString)
		if tg.num != nil {
			typ = rpmInt32
			for data.Len()%4 != 0 {
				data.WriteByte(0)
			}
		}
		binary.Write(&index, binary.BigEndian, []uint32{uint32(tg.tag), typ, uint32(data.Len()), 1})
		if tg.num != nil {
			binary.Write(&data, binary.BigEndian, *tg.num)
		} else {
			data.WriteString(tg.value + "\x00")
		}
	}
	out := append(append([]byte{}, rpmHeaderMagic...), 0, 0, 0, 0)
	out = binary.BigEndian.AppendUint32(out, uint32(len(tags)))
	out = binary.BigEndian.AppendUint32(out, uint32(data.Len()))
	return append(append(out, index.Bytes()...), data.Bytes()...)
}

// cpioOf writes entries as a newc cpio archive.
func cpioOf(entries ...entry) []byte {
	var b bytes.Buffer
	write := func(name string, mode uint32, body []byte) {
		fmt.Fprintf(&b, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			1, mode, 0, 0, 1, 1700000000, len(body), 0, 0, 0, 0, len(name)+1, 0)
		b.WriteString(name + "\x00")
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.Write(body)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	for _, e := range entries {
		switch e.typ {
		case tar.TypeSymlink:
			write(e.name, 0o120777, []byte(e.link))
		case tar.TypeDir:
			write(e.name, 0o40755, nil)
		default:
			write(e.name, 0o100644, e.body)
		}
	}
	write("TRAILER!!!", 0, nil)
	return b.Bytes()
}

// rpmOf builds an rpm package: lead, empty signature header, header, gzip'd cpio payload.
func rpmOf(t testing.TB, payload []byte, tags ...rpmTag) []byte {
	lead := make([]byte, rpmLeadLen)
	copy(lead, []byte{0xed, 0xab, 0xee, 0xdb, 3, 0})
	out := append(lead, rpmHeaderOf()...)
	out = append(out, rpmHeaderOf(tags...)...)
	return append(out, compress(t, "gz", payload)...)
}

func helloToolsRPM(t testing.TB, gf goFixtures) []byte {
	epoch := uint32(2)
	return rpmOf(t, cpioOf(
		entry{name: "./usr/bin", typ: tar.TypeDir},
		fileBytes("./usr/bin/hello", readFile(t, gf.hello)),
		entry{name: "./usr/bin/hi", typ: tar.TypeSymlink, link: "hello"},
		file("./usr/lib/python3.12/site-packages/urllib3-2.0.7.dist-info/METADATA", pyMetadata("urllib3", "2.0.7", "")),
	),
		rpmTag{tag: rpmTagName, value: "hello-tools"}, rpmTag{tag: rpmTagVersion, value: "1.2.3"},
		rpmTag{tag: rpmTagRelease, value: "1.fc40"}, rpmTag{tag: rpmTagEpoch, num: &epoch},
		rpmTag{tag: rpmTagArch, value: "x86_64"}, rpmTag{tag: rpmTagVendor, value: "Fedora Project"},
		rpmTag{tag: rpmTagLicense, value: "MIT AND Apache-2.0"}, rpmTag{tag: rpmTagSourceRPM, value: "hello-tools-1.2.3-1.fc40.src.rpm"},
		rpmTag{tag: rpmTagCompressor, value: "gzip"})
}

func TestRPM(t *testing.T) {
	t.Parallel()
	gf := goBinaries(t)
	rpm := "pkg:rpm/fedora/hello-tools@1.2.3-1.fc40?arch=x86_64&epoch=2&upstream=hello-tools-1.2.3-1.fc40"
	want := sorted([]string{rpm, "pkg:pypi/urllib3@2.0.7"}, helloPurls(gf))
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"hello-tools-1.2.3-1.fc40.x86_64.rpm", helloToolsRPM(t, gf)},
		{"repo.tar.gz", compress(t, "gz", tarOf(t, fileBytes("Packages/h/hello-tools.rpm", helloToolsRPM(t, gf))))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp, cd := generate(t, writeSubject(t, dir, tc.name, tc.body))
			comparePurls(t, sp.purls, want)
			for _, v := range []view{sp, cd} {
				for _, e := range [][2]string{{rpm, helloPurls(gf)[0]}, {rpm, "pkg:pypi/urllib3@2.0.7"}} {
					if v.edge(e[0], e[1]) == "" {
						t.Errorf("missing relationship %s → %s", e[0], e[1])
					}
				}
			}
			if got := sp.supplier[rpm]; got != "Organization: Fedora Project" {
				t.Errorf("rpm supplier %q, want the Vendor", got)
			}
		})
	}
}

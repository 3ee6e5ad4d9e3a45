package sbom

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// rpm header tags signet reads.
const (
	rpmTagName       = 1000
	rpmTagVersion    = 1001
	rpmTagRelease    = 1002
	rpmTagEpoch      = 1003
	rpmTagSummary    = 1004
	rpmTagVendor     = 1011
	rpmTagLicense    = 1014
	rpmTagPackager   = 1015
	rpmTagURL        = 1020
	rpmTagArch       = 1022
	rpmTagSourceRPM  = 1044
	rpmTagCompressor = 1125
)

// rpm header entry types.
const (
	rpmInt32       = 4
	rpmString      = 6
	rpmStringArray = 8
	rpmI18NString  = 9
)

const (
	rpmLeadLen    = 96
	rpmMaxEntries = 1 << 16
)

var rpmHeaderMagic = []byte{0x8e, 0xad, 0xe8, 0x01}

// rpmHeader is the tags of one rpm header that signet reads, as strings.
type rpmHeader map[int]string

// readRPMHeader reads one header structure: magic, index entries, then the data store.
func readRPMHeader(r io.Reader, maxData int64, where string) (rpmHeader, int64, error) {
	var pre [16]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, 0, fmt.Errorf("reading rpm header: %w", err)
	}
	if string(pre[:4]) != string(rpmHeaderMagic) {
		return nil, 0, errors.New("bad rpm header magic")
	}
	n, size := binary.BigEndian.Uint32(pre[8:]), binary.BigEndian.Uint32(pre[12:])
	if n > rpmMaxEntries {
		return nil, 0, &LimitError{Limit: LimitMetadataBytes, Max: maxData, Where: where,
			Detail: fmt.Sprintf("rpm header declares %d entries, more than %d", n, rpmMaxEntries)}
	}
	if int64(size) > maxData {
		return nil, 0, &LimitError{Limit: LimitMetadataBytes, Max: maxData, Where: where,
			Detail: fmt.Sprintf("rpm header declares %d bytes of data", size)}
	}
	index := make([]byte, 16*int(n))
	data := make([]byte, size)
	if _, err := io.ReadFull(r, index); err != nil {
		return nil, 0, fmt.Errorf("reading rpm header index: %w", err)
	}
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, 0, fmt.Errorf("reading rpm header data: %w", err)
	}
	h := rpmHeader{}
	for i := 0; i < int(n); i++ {
		e := index[16*i:]
		tag, typ := int(binary.BigEndian.Uint32(e)), binary.BigEndian.Uint32(e[4:])
		off, count := binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:])
		if v, ok := rpmValue(data, typ, off, count); ok {
			h[tag] = v
		}
	}
	return h, 16 + int64(len(index)) + int64(size), nil
}

// rpmValue decodes the first value of an entry (strings, and INT32 as decimal).
func rpmValue(data []byte, typ, off, count uint32) (string, bool) {
	if int64(off) >= int64(len(data)) || count == 0 {
		return "", false
	}
	switch typ {
	case rpmString, rpmStringArray, rpmI18NString:
		s := data[off:]
		if i := strings.IndexByte(string(s), 0); i >= 0 {
			return string(s[:i]), true
		}
	case rpmInt32:
		if int(off)+4 <= len(data) {
			return strconv.FormatUint(uint64(binary.BigEndian.Uint32(data[off:])), 10), true
		}
	}
	return "", false
}

// walkRPM reads an rpm package file: the lead, the signature header, the main header (the
// package), then the compressed cpio payload, walked as a filesystem the package contains.
func (t *tree) walkRPM(ctx context.Context, r io.Reader) ([]string, error) {
	br := bufio.NewReader(r)
	if _, err := br.Discard(rpmLeadLen); err != nil {
		return nil, fmt.Errorf("reading rpm %s: %w", t.displayName(), err)
	}
	_, n, err := readRPMHeader(br, t.s.cfg.maxMetadata, t.displayName())
	if err != nil {
		return nil, fmt.Errorf("reading rpm %s: signature: %w", t.displayName(), err)
	}
	if pad := (8 - n%8) % 8; pad > 0 {
		br.Discard(int(pad))
	}
	h, _, err := readRPMHeader(br, t.s.cfg.maxMetadata, t.displayName())
	if err != nil {
		return nil, fmt.Errorf("reading rpm %s: %w", t.displayName(), err)
	}
	t.rooted = true
	if err := t.rpmPayload(ctx, br, h[rpmTagCompressor]); err != nil {
		return nil, err
	}
	inside := t.finish()
	if h[rpmTagName] == "" { // a package needs a name: the file's, as rpm names files
		h[rpmTagName] = fileStem(t.selfLocation(), ".rpm")
	}
	k := t.s.inv.add(rpmPackage(h, t.selfLocation()))
	for _, c := range inside {
		t.s.inv.link(k, c, relContains)
	}
	return []string{k}, nil
}

func (t *tree) rpmPayload(ctx context.Context, r *bufio.Reader, compressor string) error {
	where := t.where("payload")
	head, _ := r.Peek(512)
	k := sniff(head)
	var payload io.Reader = r
	switch k {
	case kindGzip, kindZstd, kindXz, kindBzip2:
		dr, closeFn, err := decompress(k, r)
		if err != nil {
			return fmt.Errorf("reading %s: %w", where, err)
		}
		defer closeFn()
		payload = &meter{r: dr, b: t.s.budget, archive: where}
	case kindOther:
		if compressor != "" && compressor != "gzip" && compressor != "xz" && compressor != "zstd" && compressor != "bzip2" {
			return fmt.Errorf("reading %s: payload compressor %q is not supported (gzip, xz, zstd, bzip2)", where, compressor)
		}
	}
	return t.walkCpio(ctx, payload)
}

// rpmPackage describes an rpm from its header.
func rpmPackage(h rpmHeader, loc string) *pkg {
	version := h[rpmTagVersion]
	if rel := h[rpmTagRelease]; rel != "" {
		version += "-" + rel
	}
	upstream := strings.TrimSuffix(h[rpmTagSourceRPM], ".src.rpm")
	p := &pkg{name: h[rpmTagName], version: version, typ: typeLibrary, ecosystem: "rpm",
		purl: purl("rpm", rpmNamespace(h[rpmTagVendor]), h[rpmTagName], version, "",
			"arch", h[rpmTagArch], "epoch", h[rpmTagEpoch], "upstream", upstream),
		supplier: firstParty(organization(h[rpmTagVendor]), person(h[rpmTagPackager])),
		homepage: h[rpmTagURL], description: h[rpmTagSummary], locations: []string{loc}}
	p.license, p.licenseText = license(h[rpmTagLicense])
	return p
}

// rpmNamespace derives the purl namespace (the distribution) from an rpm's Vendor.
func rpmNamespace(vendor string) string {
	v := strings.ToLower(vendor)
	switch {
	case strings.HasPrefix(v, "red hat"):
		return "redhat"
	case v == "":
		return ""
	}
	f := strings.FieldsFunc(v, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// cpio "newc" format: a 110-byte ASCII header, the NUL-terminated name, the data, each padded to 4.
const cpioHeaderLen = 110

// walkCpio walks a cpio (newc or crc) archive.
func (t *tree) walkCpio(ctx context.Context, r io.Reader) error {
	br := bufio.NewReader(r)
	for {
		var h [cpioHeaderLen]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return fmt.Errorf("reading cpio %s: %w", t.displayName(), err)
		}
		if m := string(h[:6]); m != "070701" && m != "070702" {
			return fmt.Errorf("reading cpio %s: bad header magic %q", t.displayName(), m)
		}
		mode, size, nameLen := cpioField(h[:], 1), cpioField(h[:], 6), cpioField(h[:], 11)
		if nameLen == 0 || nameLen > 4096 || size > 1<<40 {
			return fmt.Errorf("reading cpio %s: bad header", t.displayName())
		}
		raw := make([]byte, nameLen+pad4(cpioHeaderLen+nameLen))
		if _, err := io.ReadFull(br, raw); err != nil {
			return fmt.Errorf("reading cpio %s: %w", t.displayName(), err)
		}
		name := strings.TrimRight(string(raw[:nameLen]), "\x00")
		if name == "TRAILER!!!" {
			return nil
		}
		body := io.LimitReader(br, int64(size))
		if err := t.cpioMember(ctx, name, mode, size, body); err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			return fmt.Errorf("reading cpio %s: %w", t.where(name), err)
		}
		if _, err := br.Discard(int(pad4(size))); err != nil {
			return fmt.Errorf("reading cpio %s: %w", t.displayName(), err)
		}
	}
}

func (t *tree) cpioMember(ctx context.Context, raw string, mode, size uint64, body io.Reader) error {
	name, err := memberName(t.displayName(), raw, t.rooted)
	if err != nil {
		return err
	}
	switch mode & 0o170000 {
	case 0o100000:
		return t.file(ctx, name, int64(size), body)
	case 0o120000:
		target, err := io.ReadAll(io.LimitReader(body, 4096))
		if err != nil {
			return fmt.Errorf("reading link %s: %w", t.where(name), err)
		}
		return t.link(name, string(target))
	}
	return t.count()
}

// cpioField parses the i-th 8-digit hexadecimal field after the magic.
func cpioField(h []byte, i int) uint64 {
	v, err := strconv.ParseUint(string(h[6+8*i:6+8*i+8]), 16, 64)
	if err != nil {
		return 0
	}
	return v
}

func pad4(n uint64) uint64 { return (4 - n%4) % 4 }

package sbom

import (
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// kind is what a file's first bytes say it is.
type kind int

const (
	kindOther kind = iota
	kindExecutable
	kindGzip
	kindZstd
	kindXz
	kindBzip2
	kindTar
	kindZip
	kindAr
	kindRPM
)

var executableMagic = [][]byte{
	[]byte("\x7fELF"),
	{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, // Mach-O big-endian
	{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}, // Mach-O little-endian
	[]byte("MZ"),      // PE
	[]byte("\x00asm"), // WebAssembly
}

// sniff classifies content by its first bytes (up to 512).
func sniff(head []byte) kind {
	for _, m := range executableMagic {
		if bytes.HasPrefix(head, m) {
			return kindExecutable
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return kindGzip
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return kindZstd
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return kindXz
	case bytes.HasPrefix(head, []byte("BZh")) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return kindBzip2
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip
	case bytes.HasPrefix(head, []byte("!<arch>\n")):
		return kindAr
	case bytes.HasPrefix(head, []byte{0xed, 0xab, 0xee, 0xdb}):
		return kindRPM
	case len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar")):
		return kindTar
	}
	return kindOther
}

// decompress returns a reader of k-compressed r and a function releasing it.
func decompress(k kind, r io.Reader) (io.Reader, func(), error) {
	switch k {
	case kindGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("opening gzip stream: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case kindZstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, nil, fmt.Errorf("opening zstd stream: %w", err)
		}
		return zr, zr.Close, nil
	case kindXz:
		zr, err := xz.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("opening xz stream: %w", err)
		}
		return zr, func() {}, nil
	case kindBzip2:
		return bzip2.NewReader(r), func() {}, nil
	}
	return nil, nil, fmt.Errorf("not a compressed stream")
}

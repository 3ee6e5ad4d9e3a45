//go:build !unix

package sbom

import "os"

// openFlags open a subject for reading; the content digest check in openSubject is what ties
// the bytes cataloged to the subject on systems without O_NOFOLLOW.
const openFlags = os.O_RDONLY

// noFollow is 0 where O_NOFOLLOW does not exist: os.Root still keeps every open inside the
// directory.
const noFollow = 0

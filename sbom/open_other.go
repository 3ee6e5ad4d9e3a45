//go:build !unix

package sbom

import "os"

// openFlags open a subject for reading; the content digest check in openSubject is what ties
// the bytes cataloged to the subject on systems without O_NOFOLLOW.
const openFlags = os.O_RDONLY

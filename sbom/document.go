package sbom

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/signet-ci/signet/core"
)

// docIdentity derives a document's unique identifier from everything that shapes it: the
// subject, the time, the tool and the options. Two documents differ in it unless they are
// byte-for-byte the same document.
func docIdentity(cfg *config, s core.Subject, inv *inventory, created, format string) uuid.UUID {
	seed := strings.Join([]string{format, s.Name, inv.primary.hashes["SHA-256"], created, cfg.toolVersion,
		fmt.Sprint(cfg.fileDigests, cfg.maxDepth, cfg.maxMembers, cfg.maxExpanded)}, "\x00")
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(seed))
}

// shortHash is a short stable digest used to keep identifiers unique.
func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

// validEmail returns e when it is a plain email address, else "".
func validEmail(e string) string {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e {
		return ""
	}
	return e
}

// webURL returns u when it is an absolute http(s) URL, else "".
func webURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

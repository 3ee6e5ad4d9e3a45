package verify

import (
	"net/url"
	"strings"

	"github.com/signet-ci/signet/provenance"
)

// platformLinks builds links to the platform that built an artifact, from certificate fields
// that verified. A link is made only for an https URL of a known shape whose every character
// is printable: a value that is not one is shown as text, never as a link.
type platformLinks struct {
	gitlab bool
}

func linksFor(s *Signer, f *Facts) platformLinks {
	if f != nil && f.Platform == string(provenance.GitLab) {
		return platformLinks{gitlab: true}
	}
	if s != nil {
		if u, err := url.Parse(s.SourceRepository); err == nil && strings.Contains(u.Host, "gitlab") {
			return platformLinks{gitlab: true}
		}
	}
	return platformLinks{}
}

// safeURL returns s when it is an absolute https URL with a host and nothing to escape.
func safeURL(s string) string {
	if s == "" || needsEscape(s) || strings.ContainsAny(s, " \"'<>`\\") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return s
}

// commit links a commit of repo.
func (l platformLinks) commit(repo, sha string) string {
	if repo == "" || sha == "" || strings.ContainsAny(sha, "/?#") {
		return ""
	}
	sep := "/commit/"
	if l.gitlab {
		sep = "/-/commit/"
	}
	return safeURL(strings.TrimSuffix(repo, "/") + sep + sha)
}

// workflow links the file of a build signer URI at the commit: GitHub's
// https://HOST/OWNER/REPO/PATH@REF becomes https://HOST/OWNER/REPO/blob/COMMIT/PATH, GitLab's
// https://HOST/GROUP/PROJECT//PATH@REF becomes https://HOST/GROUP/PROJECT/-/blob/COMMIT/PATH.
// Without a commit (another repository's reusable workflow), the ref is used.
func (l platformLinks) workflow(signer, repo, sha string) string {
	if safeURL(signer) == "" {
		return ""
	}
	at := strings.LastIndex(signer, "@")
	if at < 0 {
		return ""
	}
	target, ref := signer[:at], signer[at+1:]
	var proj, file string
	if l.gitlab {
		scheme := strings.Index(target, "://") + 3
		i := strings.Index(target[scheme:], "//")
		if i < 0 {
			return ""
		}
		proj, file = target[:scheme+i], target[scheme+i+2:]
	} else {
		u, err := url.Parse(target)
		if err != nil {
			return ""
		}
		parts := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 3)
		if len(parts) < 3 {
			return ""
		}
		proj, file = u.Scheme+"://"+u.Host+"/"+parts[0]+"/"+parts[1], parts[2]
	}
	rev := ref
	if sha != "" && strings.EqualFold(normRepo(proj), normRepo(repo)) {
		rev = sha
	}
	rev = strings.TrimPrefix(strings.TrimPrefix(rev, "refs/heads/"), "refs/tags/")
	if rev == "" || file == "" {
		return ""
	}
	sep := "/blob/"
	if l.gitlab {
		sep = "/-/blob/"
	}
	return safeURL(proj + sep + rev + "/" + file)
}

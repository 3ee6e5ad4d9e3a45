package gitlab

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/signet-ci/signet/core"
)

// SectionName is the name of the job-log section holding signet's summary.
const SectionName = "signet_summary"

// MaxSummarySubjects bounds the subjects listed in the summary; the index lists them all.
const MaxSummarySubjects = 100

// Section writes body to w as a collapsible section of a GitLab job log, collapsed unless
// expanded is set: ESC[0K section_start:<unix time>:<name>[collapsed=true] CR ESC[0K <header>,
// the body, then ESC[0K section_end:<unix time>:<name> CR ESC[0K.
func Section(w io.Writer, now time.Time, name, header, body string, expanded bool) error {
	opts := "[collapsed=true]"
	if expanded {
		opts = ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\x1b[0Ksection_start:%d:%s%s\r\x1b[0K%s\n", now.Unix(), name, opts, header)
	b.WriteString(body)
	if body != "" && !strings.HasSuffix(body, "\n") {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", now.Unix(), name)
	_, err := io.WriteString(w, b.String())
	return err
}

// summary is the human summary of a run, for the job log.
type summary struct {
	job    Job
	ix     *core.Index
	outDir string
}

func (s summary) header() string {
	n := len(s.ix.Subjects)
	return fmt.Sprintf("signet: signed %d subject(s) into %d bundle(s)", n, len(s.ix.Attestations))
}

func (s summary) body() string {
	var b strings.Builder
	ix := s.ix
	if ix.Signer != nil {
		fmt.Fprintf(&b, "signer:   %s\n", ix.Signer.Subject)
		if ix.Signer.Issuer != "" {
			fmt.Fprintf(&b, "issuer:   %s\n", ix.Signer.Issuer)
		}
	}
	if s.job.PipelineURL != "" {
		fmt.Fprintf(&b, "pipeline: %s\n", s.job.PipelineURL)
	}
	if s.job.CommitSHA != "" {
		fmt.Fprintf(&b, "commit:   %s (%s)\n", s.job.CommitSHA, s.job.RefName)
	}
	fmt.Fprintf(&b, "transparency log: %s\n", tlogText(ix.Tlog))
	fmt.Fprintf(&b, "index:    %s\n\nsubjects:\n", s.job.Rel(joinPath(s.outDir, core.IndexFile)))
	for i, sub := range ix.Subjects {
		if i == MaxSummarySubjects {
			fmt.Fprintf(&b, "  ... and %d more (see the index)\n", len(ix.Subjects)-i)
			break
		}
		fmt.Fprintf(&b, "  %s  %s\n", digestText(sub.Digest), sub.Name)
	}
	b.WriteString("\nbundles:\n")
	for _, a := range ix.Attestations {
		fmt.Fprintf(&b, "  %s  %s, %d subject(s)%s\n", s.job.Rel(joinPath(s.outDir, a.Bundle)), a.PredicateType, a.SubjectCount, proofText(a))
	}
	b.WriteString("\nverify (after downloading the job's artifacts):\n")
	b.WriteString(s.verifyCommand())
	return b.String()
}

// verifyCommand is the signet verify command for the run's files, with its exact identity.
func (s summary) verifyCommand() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  signet verify --index %s", shellQuote(s.job.Rel(joinPath(s.outDir, core.IndexFile))))
	if id := s.ix.Signer; id != nil && id.Issuer != "" {
		fmt.Fprintf(&b, " \\\n    --certificate-identity %s \\\n    --certificate-oidc-issuer %s", shellQuote(id.Subject), shellQuote(id.Issuer))
	}
	var files []string
	for _, sub := range s.ix.Subjects[:min(len(s.ix.Subjects), maxVerifyArgs)] {
		files = append(files, shellQuote(s.artifactArg(sub)))
	}
	if len(files) > 0 {
		fmt.Fprintf(&b, " \\\n    %s", strings.Join(files, " "))
	}
	b.WriteString("\n")
	return b.String()
}

// maxVerifyArgs bounds the artifacts the printed verify command names.
const maxVerifyArgs = 5

// artifactArg names a subject for signet verify: a file of the project by its path, anything
// else (an image, a file built elsewhere) as NAME@ALG:HEX.
func (s summary) artifactArg(sub core.IndexSubject) string {
	if s.job.ProjectDir != "" && filepath.IsLocal(sub.Name) {
		if fi, err := os.Stat(filepath.Join(s.job.ProjectDir, sub.Name)); err == nil && fi.Mode().IsRegular() {
			return sub.Name
		}
	}
	return sub.Name + "@" + digestText(sub.Digest)
}

func tlogText(t core.TlogDecision) string {
	s := "not used"
	if t.Used {
		s = "used"
	}
	if t.Reason != "" {
		s += " (" + t.Reason + ")"
	}
	return s
}

func proofText(a core.IndexAttestation) string {
	var parts []string
	if e := a.LogEntry; e != nil {
		p := fmt.Sprintf("log index %d", e.Index)
		if u := logURL(e); u != "" {
			p += " " + u
		}
		parts = append(parts, p)
	}
	for _, t := range a.Timestamps {
		parts = append(parts, "timestamped "+t.UTC().Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}

func digestText(d map[string]string) string {
	algs := make([]string, 0, len(d))
	for a := range d {
		algs = append(algs, a)
	}
	slices.Sort(algs)
	if len(algs) == 0 {
		return ""
	}
	return algs[0] + ":" + d[algs[0]]
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// joinPath joins the output directory and a slash-separated name from the index.
func joinPath(dir, name string) string {
	return filepath.Join(dir, filepath.FromSlash(name))
}

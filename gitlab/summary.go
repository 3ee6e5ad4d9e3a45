package gitlab

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/signet-ci/signet/ci"
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

// maxVerifyArgs bounds the artifacts the printed verify command names.
const maxVerifyArgs = 5

// summary is the human summary of a run, for the job log.
type summary struct {
	job Job
	out ci.Outcome
}

func (s summary) header() string {
	ix := s.out.Index
	return fmt.Sprintf("signet: signed %d subject(s) into %d bundle(s)", len(ix.Subjects), len(ix.Attestations))
}

func (s summary) body() string {
	var b strings.Builder
	ix := s.out.Index
	if ix.Signer != nil && s.out.PublicKey != "" {
		fmt.Fprintf(&b, "signer:   the key %s (public key: %s)\n", core.PrintableName(ix.Signer.Subject), core.PrintableName(s.out.PublicKeyArg()))
	} else if ix.Signer != nil {
		fmt.Fprintf(&b, "signer:   %s\n", core.PrintableName(ix.Signer.Subject))
		if ix.Signer.Issuer != "" {
			fmt.Fprintf(&b, "issuer:   %s\n", core.PrintableName(ix.Signer.Issuer))
		}
	}
	if s.job.PipelineURL != "" {
		fmt.Fprintf(&b, "pipeline: %s\n", s.job.PipelineURL)
	}
	if s.job.CommitSHA != "" {
		fmt.Fprintf(&b, "commit:   %s (%s)\n", core.PrintableName(s.job.CommitSHA), core.PrintableName(s.job.RefName))
	}
	fmt.Fprintf(&b, "transparency log: %s\n", core.PrintableName(ci.TlogText(ix.Tlog)))
	fmt.Fprintf(&b, "index:    %s\n\nsubjects:\n", s.out.IndexPath())
	for i, sub := range ix.Subjects {
		if i == MaxSummarySubjects {
			fmt.Fprintf(&b, "  ... and %d more (see the index)\n", len(ix.Subjects)-i)
			break
		}
		fmt.Fprintf(&b, "  %s  %s\n", ci.DigestString(sub.Digest), sub.Name)
	}
	b.WriteString("\nbundles:\n")
	for _, a := range ix.Attestations {
		fmt.Fprintf(&b, "  %s  %s, %d subject(s)%s\n", s.out.BundlePath(a.Bundle), a.PredicateType, a.SubjectCount, proofText(a))
	}
	b.WriteString("\nverify (after downloading the job's artifacts):\n")
	cmd, more := s.out.VerifyCommand(maxVerifyArgs)
	fmt.Fprintf(&b, "  %s\n", cmd.Lines(" \\\n    "))
	if more > 0 {
		fmt.Fprintf(&b, "  (%d more subject(s) are in the index: name them too to verify them)\n", more)
	}
	return b.String()
}

// proofText lists a bundle's log entry, with its search page when there is one, and its signed
// timestamps.
func proofText(a core.IndexAttestation) string {
	var parts []string
	for _, p := range ci.Proofs(a) {
		if p.URL != "" {
			p.Text += " " + p.URL
		}
		parts = append(parts, p.Text)
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, ", ")
}

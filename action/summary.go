package action

import (
	"fmt"
	"html"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/signet-ci/signet/core"
)

// SummaryLimit is GitHub's limit on one step's job summary (1 MiB).
const SummaryLimit = 1 << 20

// GitHubIssuer is the issuer of GitHub Actions ID tokens on github.com.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// maxVerifyFiles bounds how many files the suggested verify command names.
const maxVerifyFiles = 20

// run describes the workflow run, from the runner's GITHUB_* variables.
type run struct {
	Server, Repository, SHA, Ref, WorkflowRef, RunID, Attempt string
}

func runFromEnv(getenv func(string) string) run {
	r := run{Server: getenv("GITHUB_SERVER_URL"), Repository: getenv("GITHUB_REPOSITORY"), SHA: getenv("GITHUB_SHA"),
		Ref: getenv("GITHUB_REF"), WorkflowRef: getenv("GITHUB_WORKFLOW_REF"), RunID: getenv("GITHUB_RUN_ID"),
		Attempt: getenv("GITHUB_RUN_ATTEMPT")}
	if r.Server == "" {
		r.Server = "https://github.com"
	}
	return r
}

// workflowPath is the workflow file inside its repository: GITHUB_WORKFLOW_REF without the
// "owner/repo/" prefix and the "@ref" suffix.
func (r run) workflowPath() string {
	p, _, _ := strings.Cut(r.WorkflowRef, "@")
	return strings.TrimPrefix(p, r.Repository+"/")
}

// summary is what the job summary shows.
type summary struct {
	Index    *core.Index
	OutDir   string   // workspace-relative output directory
	Sigstore string   // "public", or a workspace-relative directory
	Files    []string // workspace-relative files among the subjects, for the verify commands
	// Artifacts names every subject for signet verify: its file, or NAME@ALG:HEX.
	Artifacts []string
	Run       run
}

// render returns the Markdown summary, cutting the subjects table to stay under limit bytes.
func (s summary) render(limit int) string {
	head := s.header() + s.chain()
	tail := s.verify()
	rows := s.rows()
	var b strings.Builder
	b.WriteString(head)
	b.WriteString("\n| subject | digest | bundle | transparency log / timestamp |\n|---|---|---|---|\n")
	shown := 0
	for _, r := range rows {
		if b.Len()+len(r)+len(tail)+512 > limit {
			break
		}
		b.WriteString(r)
		shown++
	}
	if shown < len(rows) {
		fmt.Fprintf(&b, "\n> %d more subjects are not shown: a step's summary is limited to 1 MiB. "+
			"Every subject is listed in `%s`.\n", len(rows)-shown, path.Join(s.OutDir, core.IndexFile))
	}
	b.WriteString(tail)
	return b.String()
}

func (s summary) header() string {
	ix := s.Index
	var b strings.Builder
	fmt.Fprintf(&b, "## signet: %d subjects signed into %d bundles\n\n", len(ix.Subjects), len(ix.Attestations))
	if ix.Signer != nil {
		fmt.Fprintf(&b, "Signed as %s", code(ix.Signer.Subject))
		if ix.Signer.Issuer != "" {
			fmt.Fprintf(&b, " (issuer %s)", code(ix.Signer.Issuer))
		}
		b.WriteString(".")
	}
	tlog := "Transparency log: not used"
	if ix.Tlog.Used {
		tlog = "Transparency log: used"
	}
	if ix.Tlog.Reason != "" {
		tlog += " (" + html.EscapeString(oneLine(ix.Tlog.Reason)) + ")"
	}
	fmt.Fprintf(&b, " %s. Index: %s.\n", tlog, code(path.Join(s.OutDir, core.IndexFile)))
	return b.String()
}

// chain is the source → workflow → run → artifacts diagram.
func (s summary) chain() string {
	r := s.Run
	sha := r.SHA
	if len(sha) > 12 {
		sha = sha[:12]
	}
	nodes := []string{
		fmt.Sprintf(`source["source<br>%s@%s<br>%s"]`, mermaid(r.Repository), mermaid(sha), mermaid(r.Ref)),
		fmt.Sprintf(`workflow["workflow<br>%s"]`, mermaid(r.workflowPath())),
		fmt.Sprintf(`run["run %s<br>attempt %s"]`, mermaid(r.RunID), mermaid(r.Attempt)),
		fmt.Sprintf(`artifacts["%d subjects<br>%d bundles"]`, len(s.Index.Subjects), len(s.Index.Attestations)),
	}
	var b strings.Builder
	b.WriteString("\n```mermaid\nflowchart LR\n  " + strings.Join(nodes, " --> ") + "\n```\n\n")
	repo := r.Server + "/" + r.Repository
	fmt.Fprintf(&b, "[commit](%s/commit/%s) · [workflow](%s/blob/%s/%s) · [run](%s/actions/runs/%s/attempts/%s)\n",
		repo, url.PathEscape(r.SHA), repo, url.PathEscape(r.SHA), (&url.URL{Path: r.workflowPath()}).EscapedPath(), repo, url.PathEscape(r.RunID), url.PathEscape(r.Attempt))
	return b.String()
}

// rows are the subjects table's rows, one per subject.
func (s summary) rows() []string {
	byBundle := make(map[string]core.IndexAttestation, len(s.Index.Attestations))
	for _, a := range s.Index.Attestations {
		byBundle[a.Bundle] = a
	}
	rows := make([]string, 0, len(s.Index.Subjects))
	for _, sub := range s.Index.Subjects {
		var bundles, evidence []string
		for _, b := range sub.Bundles {
			bundles = append(bundles, code(path.Join(s.OutDir, b)))
			evidence = append(evidence, logCell(byBundle[b]))
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |\n", code(sub.Name), code(digestString(sub.Digest)),
			strings.Join(bundles, "<br>"), strings.Join(evidence, "<br>")))
	}
	return rows
}

// logCell links a bundle's log entry, or gives its signed timestamp.
func logCell(a core.IndexAttestation) string {
	if e := a.LogEntry; e != nil {
		if u, err := url.Parse(e.URL); err == nil && u.Host == "rekor.sigstore.dev" {
			return fmt.Sprintf("[log index %d](https://search.sigstore.dev/?logIndex=%d)", e.Index, e.Index)
		}
		return fmt.Sprintf("log index %d at %s", e.Index, code(e.URL))
	}
	var ts []string
	for _, t := range a.Timestamps {
		ts = append(ts, "TSA "+t.UTC().Format(time.RFC3339))
	}
	if len(ts) == 0 {
		return "—"
	}
	return strings.Join(ts, ", ")
}

func digestString(d map[string]string) string {
	for _, alg := range []string{core.SHA256, core.SHA512} {
		if h, ok := d[alg]; ok {
			return alg + ":" + h
		}
	}
	for alg, h := range d {
		return alg + ":" + h
	}
	return ""
}

// markdownEntities neutralises the characters Markdown would still interpret inside <code>.
var markdownEntities = strings.NewReplacer("|", "&#124;", "`", "&#96;", "*", "&#42;", "_", "&#95;",
	"[", "&#91;", "]", "&#93;", "\\", "&#92;", "~", "&#126;")

// code renders s as inline code safe inside a Markdown table cell.
func code(s string) string {
	return "<code>" + markdownEntities.Replace(html.EscapeString(oneLine(s))) + "</code>"
}

// mermaid escapes s for a quoted Mermaid label.
func mermaid(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "`", "#96;")
	return r.Replace(oneLine(s))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

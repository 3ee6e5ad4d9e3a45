package action

import (
	"fmt"
	"html"
	"net/url"
	"strings"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
)

// SummaryLimit is GitHub's limit on one step's job summary (1 MiB).
const SummaryLimit = 1 << 20

// maxVerifyArtifacts bounds how many subjects the suggested verify command names.
const maxVerifyArtifacts = 20

// commandBreak lays a printed command out one flag a line.
const commandBreak = " \\\n  "

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

// summary is the job summary of a finished run: package ci's report values laid out in
// GitHub-flavoured Markdown.
type summary struct {
	Out ci.Outcome
	Run run
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
			"Every subject is listed in %s.\n", len(rows)-shown, code(s.Out.IndexPath()))
	}
	b.WriteString(s.stored())
	b.WriteString(s.timing())
	b.WriteString(tail)
	return b.String()
}

// stored lists the attestations uploaded to the repository's attestation store, with their
// pages; "" when none was uploaded.
func (s summary) stored() string {
	var lines []string
	for _, a := range s.Out.Index.Attestations {
		if a.Store == nil {
			continue
		}
		link := html.EscapeString("attestation " + a.Store.ID)
		if u, err := url.Parse(a.Store.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
			link = fmt.Sprintf("[%s](%s)", link, u.String())
		}
		lines = append(lines, fmt.Sprintf("- %s: %s\n", code(s.Out.BundlePath(a.Bundle)), link))
	}
	if len(lines) == 0 {
		return ""
	}
	return fmt.Sprintf("\n### Attestation store\n\n%d of %d bundles are stored in the repository's attestation store "+
		"(its Attestations page lists them; `gh attestation verify FILE --repo %s` finds them there without --bundle):\n\n%s",
		len(lines), len(s.Out.Index.Attestations), html.EscapeString(s.Run.Repository), strings.Join(lines, ""))
}

func (s summary) header() string {
	ix := s.Out.Index
	var b strings.Builder
	fmt.Fprintf(&b, "## signet: %d subjects signed into %d bundles\n\n", len(ix.Subjects), len(ix.Attestations))
	if ix.Signer != nil && s.Out.PublicKey != "" {
		fmt.Fprintf(&b, "Signed with the key %s (public key %s).", code(ix.Signer.Subject), code(s.Out.PublicKeyArg()))
	} else if ix.Signer != nil {
		fmt.Fprintf(&b, "Signed as %s", code(ix.Signer.Subject))
		if ix.Signer.Issuer != "" {
			fmt.Fprintf(&b, " (issuer %s)", code(ix.Signer.Issuer))
		}
		b.WriteString(".")
	}
	fmt.Fprintf(&b, " Transparency log: %s. Index: %s.\n", html.EscapeString(ci.OneLine(ci.TlogText(ix.Tlog))), code(s.Out.IndexPath()))
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
		fmt.Sprintf(`artifacts["%d subjects<br>%d bundles"]`, len(s.Out.Index.Subjects), len(s.Out.Index.Attestations)),
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
	byBundle := make(map[string]core.IndexAttestation, len(s.Out.Index.Attestations))
	for _, a := range s.Out.Index.Attestations {
		byBundle[a.Bundle] = a
	}
	rows := make([]string, 0, len(s.Out.Index.Subjects))
	for _, sub := range s.Out.Index.Subjects {
		var bundles, evidence []string
		for _, b := range sub.Bundles {
			bundles = append(bundles, code(s.Out.BundlePath(b)))
			evidence = append(evidence, proofCell(byBundle[b]))
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |\n", code(sub.Name), code(ci.DigestString(sub.Digest)),
			strings.Join(bundles, "<br>"), strings.Join(evidence, "<br>")))
	}
	return rows
}

// proofCell shows a bundle's log entry, linked when it has a search page, and its timestamps.
func proofCell(a core.IndexAttestation) string {
	var out []string
	for _, p := range ci.Proofs(a) {
		if p.URL != "" {
			out = append(out, fmt.Sprintf("[%s](%s)", p.Text, p.URL))
			continue
		}
		out = append(out, html.EscapeString(p.Text))
	}
	if len(out) == 0 {
		return "—"
	}
	return strings.Join(out, ", ")
}

// verify is the section with the commands a release manager can copy, each as ci builds it.
func (s summary) verify() string {
	var b strings.Builder
	cmd, more := s.Out.VerifyCommand(maxVerifyArtifacts)
	var signet string
	if more > 0 {
		signet = fmt.Sprintf("# the first %d subjects are named; add the other %d (files, or NAME@sha256:HEX)\n", maxVerifyArtifacts, more)
	}
	b.WriteString("\n### Verify\n\nWith signet, offline:\n\n" + shBlock(signet+cmd.Lines(commandBreak)+"\n"))
	file, bundle, ok := s.Out.Example()
	if !ok {
		return b.String()
	}
	var cmds []string
	switch {
	case s.Out.GhVerifies():
		fmt.Fprintf(&b, "\nThe same check for %s with the GitHub CLI, then with cosign", code(file))
	case s.Out.PublicKey != "":
		fmt.Fprintf(&b, "\nThe same check for %s with cosign (the GitHub CLI checks certificates only, and this run was "+
			"signed with a key)", code(file))
	default:
		fmt.Fprintf(&b, "\nThe same check for %s with cosign (the GitHub CLI cannot check it: gh attestation verify "+
			"requires a transparency log entry for a public-good certificate, and this run was not logged)", code(file))
	}
	if root, private := s.Out.TrustedRootCommand(); private && s.Out.Sigstore == "github" && s.Out.GhVerifies() {
		fmt.Fprintf(&b, "; gh knows GitHub's Sigstore instance, cosign reads its trusted root from %s, which the "+
			"first command writes", code(ci.TrustedRootJSONL))
		cmds = append(cmds, root.Lines(commandBreak))
	} else if private && !s.Out.GhVerifies() {
		fmt.Fprintf(&b, "; it reads the private Sigstore's trusted root from %s, which the first command writes",
			code(ci.TrustedRootJSONL))
		cmds = append(cmds, root.Lines(commandBreak))
	} else if private {
		fmt.Fprintf(&b, "; both read the private Sigstore's trusted root from %s, which the first command writes "+
			"as one JSON line (gh reads one trusted root a line)", code(ci.TrustedRootJSONL))
		cmds = append(cmds, root.Lines(commandBreak))
	}
	if s.Out.GhVerifies() {
		cmds = append(cmds, s.Out.GhCommand(file, bundle, s.Run.Repository).Lines(commandBreak))
	}
	cmds = append(cmds, s.Out.CosignCommand(file, bundle).Lines(commandBreak))
	b.WriteString(":\n\n" + shBlock(strings.Join(cmds, "\n\n")+"\n"))
	return b.String()
}

// shBlock fences body as a sh code block. The fence is longer than any run of backticks in
// body, so no name can close it: a quoted word may span lines, and a line of it may start with
// backticks.
func shBlock(body string) string {
	n, run := 3, 0
	for _, r := range body {
		if r != '`' {
			run = 0
			continue
		}
		run++
		n = max(n, run+1)
	}
	fence := strings.Repeat("`", n)
	return fence + "sh\n" + body + fence + "\n"
}

// markdownEntities neutralises the characters Markdown would still interpret inside <code>.
var markdownEntities = strings.NewReplacer("|", "&#124;", "`", "&#96;", "*", "&#42;", "_", "&#95;",
	"[", "&#91;", "]", "&#93;", "\\", "&#92;", "~", "&#126;")

// code renders s as inline code safe inside a Markdown table cell.
func code(s string) string {
	return "<code>" + markdownEntities.Replace(html.EscapeString(ci.OneLine(s))) + "</code>"
}

// mermaidEntities escapes what would end or break a quoted Mermaid label.
var mermaidEntities = strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "`", "#96;")

// mermaid escapes s for a quoted Mermaid label.
func mermaid(s string) string { return mermaidEntities.Replace(ci.OneLine(s)) }

// timing is one line with the run's time by phase, from its metrics record; "" when the run
// wrote none (no metrics-file).
func (s summary) timing() string {
	if len(s.Out.Phases) == 0 {
		return ""
	}
	parts := make([]string, len(s.Out.Phases))
	for i, p := range s.Out.Phases {
		parts[i] = fmt.Sprintf("%s %.3f s", html.EscapeString(string(p.Phase)), p.Seconds)
	}
	return fmt.Sprintf("\nThe run took %.3f s: %s. Metrics: %s.\n", s.Out.DurationSeconds, strings.Join(parts, " · "), code(s.Out.Rel(s.Out.MetricsFile)))
}

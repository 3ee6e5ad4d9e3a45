package verify

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Graph geometry, in SVG user units.
const (
	graphNodeW   = 250
	graphNodeH   = 44
	graphRow     = 56
	graphGap     = 56
	graphTop     = 34
	graphPad     = 8
	graphLabel   = 32 // runes of a node's label before it is shortened
	maxChains    = 24 // source → build → run chains drawn; the rest are counted in the caption
	maxArtifacts = 6  // artifact nodes drawn per run; more are one "N artifacts" node
)

// chain is one provenance chain as the page draws it: where an artifact came from.
type chain struct {
	Source, SourceSub, SourceHref string
	Build, BuildSub, BuildHref    string
	Run, RunSub, RunHref          string
	// Claimed marks a chain read from the signed provenance (or, for inspect, an unverified
	// bundle) rather than from the certificate.
	Claimed bool
}

// graph is the inline SVG of the provenance chains.
type graph struct {
	Width, Height int
	Columns       []graphColumn
	Nodes         []graphNode
	Edges         []string // SVG path data
	Desc          string   // the text alternative: every chain in words
	Hidden        int      // chains not drawn
}

type graphColumn struct {
	X     int
	Title string
}

type graphNode struct {
	X, Y, W, H      int
	TextX, TextY    int
	SubY            int
	Label, Sub, Alt string
	Href            string
	Class           string
}

// graphArtifact is an artifact at the end of a chain.
type graphArtifact struct {
	Name, Digest string
}

// buildGraph lays out chains in four columns — source, build, run, artifacts — merging equal
// nodes, so one commit built by one workflow in one run into many artifacts is one line.
func buildGraph(order []chain, arts map[chain][]graphArtifact) *graph {
	g := &graph{}
	if len(order) == 0 {
		return nil
	}
	if len(order) > maxChains {
		g.Hidden = len(order) - maxChains
		order = order[:maxChains]
	}
	titles := [...]string{"Source @ commit", "Workflow / pipeline / TaskRun", "Run", "Artifacts"}
	type key struct {
		col int
		id  string
	}
	index := map[key]int{}
	cols := make([][]int, 4)
	add := func(col int, id string, n graphNode) int {
		k := key{col, id}
		if i, ok := index[k]; ok {
			return i
		}
		g.Nodes = append(g.Nodes, n)
		i := len(g.Nodes) - 1
		index[k] = i
		cols[col] = append(cols[col], i)
		return i
	}
	type edge struct{ from, to int }
	var edges []edge
	seen := map[edge]bool{}
	link := func(a, b int) {
		if e := (edge{a, b}); !seen[e] {
			seen[e] = true
			edges = append(edges, e)
		}
	}
	var desc []string
	for _, c := range order {
		cls := "node"
		if c.Claimed {
			cls = "node claimed"
		}
		srcID := c.Source + "\x00" + c.SourceSub
		s := add(0, srcID, graphNode{Label: c.Source, Sub: c.SourceSub, Href: c.SourceHref, Class: cls})
		b := add(1, srcID+"\x00"+c.Build+"\x00"+c.BuildSub, graphNode{Label: c.Build, Sub: c.BuildSub, Href: c.BuildHref, Class: cls})
		runID := srcID + "\x00" + c.Build + "\x00" + c.Run + "\x00" + c.RunSub
		r := add(2, runID, graphNode{Label: c.Run, Sub: c.RunSub, Href: c.RunHref, Class: cls})
		link(s, b)
		link(b, r)
		as := arts[c]
		if len(as) > maxArtifacts {
			n := add(3, runID+"\x00*", graphNode{Label: fmt.Sprintf("%d artifacts", len(as)), Sub: "listed in the artifacts table", Class: "node art"})
			link(r, n)
		} else {
			for _, a := range as {
				n := add(3, runID+"\x00"+a.Name+"\x00"+a.Digest, graphNode{Label: a.Name, Sub: shortDigest(a.Digest), Class: "node art"})
				link(r, n)
			}
		}
		what := "from"
		if c.Claimed {
			what = "claimed to be from"
		}
		desc = append(desc, fmt.Sprintf("%d artifact(s) %s %s %s, built by %s %s in run %s %s.",
			len(as), what, c.Source, c.SourceSub, c.Build, c.BuildSub, c.Run, c.RunSub))
	}
	g.Desc = strings.Join(desc, " ")
	g.layout(cols, titles)
	for _, e := range edges {
		a, b := g.Nodes[e.from], g.Nodes[e.to]
		x1, y1, x2, y2 := a.X+a.W, a.Y+a.H/2, b.X, b.Y+b.H/2
		g.Edges = append(g.Edges, fmt.Sprintf("M%d %dC%d %d,%d %d,%d %d", x1, y1, x1+graphGap/2, y1, x2-graphGap/2, y2, x2, y2))
	}
	return g
}

// layout places each column's nodes, centred vertically on the tallest column.
func (g *graph) layout(cols [][]int, titles [4]string) {
	rows := 1
	for _, c := range cols {
		rows = max(rows, len(c))
	}
	g.Height = graphTop + rows*graphRow + graphPad
	g.Width = graphPad*2 + 4*graphNodeW + 3*graphGap
	for ci, c := range cols {
		x := graphPad + ci*(graphNodeW+graphGap)
		g.Columns = append(g.Columns, graphColumn{X: x, Title: titles[ci]})
		off := graphTop + (rows-len(c))*graphRow/2
		for ri, i := range c {
			n := &g.Nodes[i]
			n.X, n.Y, n.W, n.H = x, off+ri*graphRow, graphNodeW, graphNodeH
			n.TextX, n.TextY, n.SubY = x+10, n.Y+18, n.Y+35
			n.Alt = strings.TrimSpace(n.Label + " " + n.Sub)
			n.Label, n.Sub = clip(n.Label), clip(n.Sub)
		}
	}
}

// clip shortens s to graphLabel runes, marking the cut; the node's title holds the whole.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= graphLabel {
		return s
	}
	r := []rune(s)
	return string(r[:graphLabel-1]) + "…"
}

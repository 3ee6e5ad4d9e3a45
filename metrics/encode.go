package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/signet-ci/signet/core"
)

// Format is a metrics file format.
type Format string

// The formats a run can be written in.
const (
	// Prometheus is the Prometheus text exposition format 0.0.4, which node_exporter's
	// textfile collector reads (files named *.prom).
	Prometheus Format = "prometheus"
	// JSON is one JSON object, the Run.
	JSON Format = "json"
)

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Prometheus, JSON:
		return f, nil
	}
	return "", fmt.Errorf("%q: expected prometheus or json", s)
}

// Encode writes run in format f.
func (run Run) Encode(w io.Writer, f Format) error {
	var b []byte
	switch f {
	case Prometheus:
		b = run.prometheus()
	case JSON:
		var err error
		if b, err = json.MarshalIndent(run, "", "  "); err != nil {
			return fmt.Errorf("encoding the metrics: %w", err)
		}
		b = append(b, '\n')
	default:
		return fmt.Errorf("metrics format %q: expected prometheus or json", f)
	}
	_, err := w.Write(b)
	return err
}

// WriteFile writes run to path in format f all at once: a temporary file renamed over path, so
// a collector never reads half a file.
func (run Run) WriteFile(path string, f Format) error {
	var buf bytes.Buffer
	if err := run.Encode(&buf, f); err != nil {
		return err
	}
	return core.WriteFileAtomic(path, buf.Bytes(), 0o644)
}

// family is one metric family of the text format.
type family struct {
	name, help, typ string
	samples         []sample
}

type sample struct {
	labels [][2]string
	value  float64
}

func (run Run) prometheus() []byte {
	cmd := [2]string{"command", run.Command}
	fams := []family{
		{"signet_run_info", "The signet command that ran, its version and its result.", "gauge",
			[]sample{{[][2]string{cmd, {"result", run.Result}, {"version", run.Version}}, 1}}},
		{"signet_run_start_timestamp_seconds", "When the run started, in seconds since the Unix epoch.", "gauge",
			[]sample{{[][2]string{cmd}, float64(run.Started.UnixNano()) / 1e9}}},
		{"signet_run_duration_seconds", "Wall time of the run.", "gauge",
			[]sample{{[][2]string{cmd}, run.DurationSeconds}}},
	}
	phases := family{name: "signet_phase_duration_seconds", typ: "gauge",
		help: "Time spent in each phase of the run, not counting the phases nested in it."}
	for _, p := range run.Phases {
		phases.samples = append(phases.samples, sample{[][2]string{cmd, {"phase", string(p.Phase)}}, p.Seconds})
	}
	subjects := family{name: "signet_subjects_total", typ: "counter",
		help:    "Subjects the run attested, or artifacts it verified.",
		samples: []sample{{[][2]string{cmd}, float64(run.Subjects)}}}
	bundles := family{name: "signet_bundles_total", typ: "counter",
		help: "Bundles the run wrote (attest) or that verified an artifact (verify), by predicate type."}
	for _, k := range sortedKeys(run.Bundles) {
		bundles.samples = append(bundles.samples, sample{[][2]string{cmd, {"predicate_type", k}}, float64(run.Bundles[k])})
	}
	failures := family{name: "signet_failures_total", typ: "counter", help: "Failures of the run, by reason."}
	for _, k := range sortedKeys(run.Failures) {
		failures.samples = append(failures.samples, sample{[][2]string{cmd, {"reason", k}}, float64(run.Failures[k])})
	}
	fams = append(fams, phases, subjects, bundles, failures)
	if len(run.Artifacts) > 0 {
		arts := family{name: "signet_artifact_verified", typ: "gauge",
			help: "1 when the artifact verified, 0 when it failed (reason says which check)."}
		for _, a := range run.Artifacts {
			v := 0.0
			if a.Verified {
				v = 1
			}
			arts.samples = append(arts.samples, sample{[][2]string{cmd, {"artifact", a.Name}, {"reason", a.Reason}}, v})
		}
		fams = append(fams, arts)
	}
	var b strings.Builder
	for _, f := range fams {
		if len(f.samples) == 0 {
			continue
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
		for _, s := range f.samples {
			b.WriteString(f.name)
			b.WriteByte('{')
			for i, l := range s.labels {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(l[0] + `="` + escapeLabel(l[1]) + `"`)
			}
			b.WriteString("} ")
			b.WriteString(strconv.FormatFloat(s.value, 'g', -1, 64))
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

// escapeLabel escapes a label value as the text format requires (backslash, double quote,
// line feed), after making it valid UTF-8.
func escapeLabel(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

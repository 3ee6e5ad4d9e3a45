package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/metrics"
	"github.com/signet-ci/signet/verify"
)

// metricsConfig is --metrics-file and --metrics-format.
type metricsConfig struct {
	File   string
	Format string
}

func addMetricsFlags(f *pflag.FlagSet, m *metricsConfig) {
	f.StringVar(&m.File, "metrics-file", "", "write the run's metrics (phase durations, counts, failures by reason) to this file, replaced atomically, also when the run fails")
	f.StringVar(&m.Format, "metrics-format", "", "prometheus (text format, for node_exporter's textfile collector) or json (default: json for a .json file, else prometheus)")
}

// start checks the flags and starts the run's record: nil when no file was asked for.
func (m metricsConfig) start(command string) (*metrics.Record, metrics.Format, error) {
	if m.File == "" {
		if m.Format != "" {
			return nil, "", &ExitError{Code: 2, Err: errors.New("--metrics-format given without --metrics-file")}
		}
		return nil, "", nil
	}
	name := m.Format
	if name == "" {
		name = string(metrics.Prometheus)
		if strings.EqualFold(filepath.Ext(m.File), ".json") {
			name = string(metrics.JSON)
		}
	}
	f, err := metrics.ParseFormat(name)
	if err != nil {
		return nil, "", &ExitError{Code: 2, Err: fmt.Errorf("--metrics-format %w", err)}
	}
	return metrics.New(command), f, nil
}

// finish writes the record with the run's results; a run that failed still writes its record
// and keeps its own error.
func (m metricsConfig) finish(env Env, rec *metrics.Record, f metrics.Format, res metrics.Results) error {
	_, err := m.write(env, rec, f, res)
	return err
}

// write is finish, also returning the record it wrote.
func (m metricsConfig) write(env Env, rec *metrics.Record, f metrics.Format, res metrics.Results) (metrics.Run, error) {
	res.Version = version()
	run := rec.Run(res)
	if err := run.WriteFile(inDir(env, m.File), f); err != nil {
		err = fmt.Errorf("--metrics-file %q: %w", m.File, err)
		if res.Err != nil {
			return run, errors.Join(res.Err, err)
		}
		return run, err
	}
	return run, res.Err
}

// runAttest is the one attest flow behind the command and every platform adapter, recording
// its metrics when --metrics-file asks. check, when not nil, may refuse the digested subjects
// before anything is signed.
func runAttest(ctx context.Context, env Env, cfg attestConfig, check func([]core.Subject) error) (*ci.Outcome, error) {
	rec, format, err := cfg.Metrics.start("attest")
	if err != nil || rec == nil {
		if err != nil {
			return nil, err
		}
		return attestOnce(ctx, env, cfg, check)
	}
	cfg.recorder = rec
	res, err := attestOnce(ctx, env, cfg, check)
	run, err := cfg.Metrics.write(env, rec, format, attestResults(res, err))
	if res != nil {
		res.MetricsFile, res.DurationSeconds = inDir(env, cfg.Metrics.File), run.DurationSeconds
		for _, p := range run.Phases {
			res.Phases = append(res.Phases, ci.PhaseTime{Phase: p.Phase, Seconds: p.Seconds})
		}
	}
	return res, err
}

// attestReasons are the reasons an attest run fails, as the metrics count them.
var attestReasons = []string{"input", "output", "token", "certificate", "timestamp", "log", "trust", "canceled", "other"}

func attestResults(res *ci.Outcome, err error) metrics.Results {
	r := metrics.Results{Err: err, Reasons: attestReasons, Bundles: map[string]int{}}
	if err != nil {
		r.Failures = map[string]int{attestReason(err): 1}
	}
	if res != nil {
		r.Subjects = len(res.Subjects)
		if res.Index != nil {
			for _, a := range res.Index.Attestations {
				r.Bundles[a.PredicateType]++
			}
		}
	}
	return r
}

// attestReason classifies an attest failure by the sentinel errors the layers below return.
func attestReason(err error) string {
	var exists *core.ExistsError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	case core.IsTokenError(err):
		return "token"
	case errors.Is(err, sigstore.ErrFulcio):
		return "certificate"
	case errors.Is(err, sigstore.ErrTimestamp):
		return "timestamp"
	case errors.Is(err, sigstore.ErrTlog):
		return "log"
	case errors.Is(err, sigstore.ErrTrust):
		return "trust"
	case errors.As(err, &exists), errors.Is(err, core.ErrExists), errors.Is(err, core.ErrOutputCollision):
		return "output"
	case errors.Is(err, core.ErrNoSubjects), errors.Is(err, core.ErrNoMatch), errors.Is(err, core.ErrEmptyDir),
		errors.Is(err, core.ErrConflictingSubject), errors.Is(err, core.ErrOutsideBase), errors.Is(err, core.ErrNotRegular),
		errors.Is(err, core.ErrInOutputDir), errors.Is(err, core.ErrChanged), errors.Is(err, core.ErrInvalidSubject),
		errors.Is(err, core.ErrUnsafeName), errors.Is(err, core.ErrMalformedChecksum):
		return "input"
	}
	return "other"
}

// verifyReasons are the checks a verification fails, as the metrics count them.
var verifyReasons = []string{verify.CheckInput, verify.CheckBundle, verify.CheckSignature, verify.CheckCertificate,
	verify.CheckTimestamp, verify.CheckTlog, verify.CheckSubject, verify.CheckPredicateType, verify.CheckIdentity,
	verify.CheckProvenance, verify.CheckConsistency}

func verifyResults(report *verify.Report, err error) metrics.Results {
	r := metrics.Results{Err: err, Reasons: verifyReasons, Bundles: map[string]int{}, Failures: map[string]int{}}
	if report == nil {
		return r
	}
	r.Subjects = report.Summary.Total
	seen := map[string]bool{}
	for _, a := range report.Artifacts {
		art := metrics.Artifact{Name: a.Name, Verified: a.Verified}
		if a.Verified && a.Bundle != "" && !seen[a.Bundle] {
			seen[a.Bundle] = true
			r.Bundles[report.PredicateType]++
		}
		if !a.Verified {
			art.Reason = "unknown"
			if a.Failure != nil {
				art.Reason = a.Failure.Check
			}
			r.Failures[art.Reason]++
		}
		r.Artifacts = append(r.Artifacts, art)
	}
	return r
}

// runVerify verifies, recording its metrics when --metrics-file asks.
func runVerify(ctx context.Context, env Env, cfg verifyConfig, args []string) error {
	rec, format, err := cfg.Metrics.start("verify")
	if err != nil {
		return err
	}
	if rec == nil {
		_, err := verifyOnce(ctx, env, cfg, args, nil)
		return err
	}
	report, err := verifyOnce(ctx, env, cfg, args, rec)
	return cfg.Metrics.finish(env, rec, format, verifyResults(report, err))
}

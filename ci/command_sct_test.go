package ci

import (
	"slices"
	"testing"

	"github.com/signet-ci/signet/core"
)

// TestCosignCommandWithoutCTLog checks that cosign is told to skip the SCT only when the run's
// Sigstore has no CT log (cosign v3.1.3 otherwise refuses: "only able to verify 0 SCT entries").
func TestCosignCommandWithoutCTLog(t *testing.T) {
	t.Parallel()
	ix := &core.Index{Signer: &core.Identity{Subject: "https://github.com/o/r/.github/workflows/w.yml@refs/heads/main",
		Issuer: "https://token.actions.githubusercontent.com"}, Tlog: core.TlogDecision{Used: true}}
	for _, tt := range []struct {
		name     string
		out      Outcome
		wantSkip bool
	}{
		{"public-good, which has CT logs", Outcome{Index: ix, Sigstore: "public"}, false},
		{"a private Sigstore with a CT log", Outcome{Index: ix, Sigstore: "/ws/sigstore", Dir: "/ws"}, false},
		{"a private Sigstore without one", Outcome{Index: ix, Sigstore: "/ws/sigstore", Dir: "/ws", NoCTLog: true}, true},
		{"the local Sigstore", Outcome{Index: ix, Sigstore: "local", NoCTLog: true}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			argv := tt.out.CosignCommand("dist/app", "attestations/p.sigstore.json").Argv()
			if got := slices.Contains(argv, "--insecure-ignore-sct"); got != tt.wantSkip {
				t.Errorf("%q: --insecure-ignore-sct %v, want %v", argv, got, tt.wantSkip)
			}
			if argv[len(argv)-1] != "dist/app" {
				t.Errorf("%q: the artifact is not the last word", argv)
			}
		})
	}
}

package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/tekton"
)

// TestTektonPlatform runs attest in-process as signet's Task's step runs it: which token is the
// identity (the one rule: --identity-token-file, then SIGSTORE_ID_TOKEN, then the Task's
// projected token), and the IMAGES budget refused before any Sigstore call.
func TestTektonPlatform(t *testing.T) {
	t.Parallel()
	ss := startSigstore(t)
	good := ss.tokenFile(t, localsigstore.PresetKubernetes)
	wrongAud := ss.tokenFile(t, localsigstore.PresetKubernetes, localsigstore.WithAudience("https://kubernetes.default.svc"))
	missing := filepath.Join(t.TempDir(), "var", "run", "sigstore", "cosign", "oidc-token")
	var tooMany []string
	for i := range 60 {
		tooMany = append(tooMany, "--subject", fmt.Sprintf("registry.example.com/team/app-%02d@sha256:%s", i, sha256Hex("image")))
	}
	tests := []struct {
		name      string
		taskToken string            // SIGNET_TEKTON_TOKEN_FILE
		env       map[string]string // more of the step's environment
		args      []string
		wantErr   []string // nil: the run succeeds
		noService bool     // no Sigstore service may have been called
	}{
		{"the Task's projected token", good, nil, nil, nil, false},
		{"--identity-token-file wins: the Task's file is never read", missing, nil, []string{"--identity-token-file", good}, nil, false},
		{"SIGSTORE_ID_TOKEN wins over a bad Task token", wrongAud, map[string]string{"SIGSTORE_ID_TOKEN": mustRead(t, good)}, nil, nil, false},
		{"the Task's token for the wrong audience", wrongAud, nil, nil,
			[]string{"wrong audience", `the projected token file "` + wrongAud + `"`, "tekton: hint:", "audience: sigstore"}, false},
		{"the Task's token file missing", missing, nil, nil,
			[]string{"does not exist", "projected service-account token", tekton.EnvTokenFile}, false},
		{"nothing named", good, map[string]string{tekton.EnvSubjectPath: " \n"}, nil,
			[]string{"no subjects", "tekton: hint:", "subject-path param", "--subject NAME@sha256:HEX in extra-args"}, true},
		{"too many images for IMAGES", good, nil, tooMany,
			[]string{"60 images", "Tekton results too large", "split them"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { // serial: the request counters are shared
			dir := workspace(t)
			results := t.TempDir()
			vars := map[string]string{
				tekton.EnvTaskRunName: "build-1-signet", tekton.EnvTaskRunUID: "0f6d3a52-6f8e-4a4e-9a53-3f7c1f1f0c11",
				tekton.EnvWorkspace: dir, tekton.EnvSubjectPath: "dist/", tekton.EnvTokenFile: tt.taskToken,
				tekton.EnvResultsDir: results,
			}
			for k, v := range tt.env {
				vars[k] = v
			}
			services := []string{localsigstore.ServiceFulcio, localsigstore.ServiceTSA, localsigstore.ServiceOIDC}
			before := map[string]int64{}
			for _, s := range services {
				before[s] = ss.Requests(s)
			}
			args := append([]string{"attest", "--platform", "tekton", "--sigstore", ss.Dir}, tt.args...)
			out, errOut, code := run(t, t.TempDir(), vars, args...)
			if strings.Contains(out+errOut, mustRead(t, good)) || strings.Contains(out+errOut, mustRead(t, wrongAud)) {
				t.Fatal("a token was printed")
			}
			if tt.wantErr == nil {
				if code != 0 {
					t.Fatalf("attest exit %d: %s%s", code, out, errOut)
				}
				b, err := os.ReadFile(filepath.Join(results, tekton.ResultIndexPath))
				if err != nil || string(b) != "attestations/index.json" {
					t.Errorf("index-path = %q (%v), want attestations/index.json", b, err)
				}
				var ao map[string]string
				b, _ = os.ReadFile(filepath.Join(results, tekton.ResultArtifactOutputs))
				if err := json.Unmarshal(b, &ao); err != nil || ao["digest"] != "sha256:"+sha256Hex("binary-1") {
					t.Errorf("ARTIFACT_OUTPUTS = %s (%v), want dist/app-linux-amd64's sha256", b, err)
				}
				return
			}
			if code == 0 {
				t.Fatalf("attest succeeded; want %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr does not say %q:\n%s", w, errOut)
				}
			}
			if entries, _ := os.ReadDir(results); len(entries) != 0 {
				t.Errorf("a failed run wrote %d results", len(entries))
			}
			if !tt.noService {
				return
			}
			for _, s := range services {
				if n := ss.Requests(s) - before[s]; n != 0 {
					t.Errorf("%d %s requests before the refusal, want none", n, s)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "attestations")); !os.IsNotExist(err) {
				t.Errorf("the output directory exists after the refusal (stat: %v)", err)
			}
		})
	}
}

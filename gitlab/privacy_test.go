package gitlab_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-ci/signet/ci"
	"github.com/signet-ci/signet/gitlab"
)

// TestPrivateProjectWarning: a private or internal project signed with the public-good
// Sigstore gets a warning in the job log naming what is published (the certificate, in Fulcio's
// public CT log; Rekor only when it was used) and how to avoid it; public projects and other
// Sigstores get none.
func TestPrivateProjectWarning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		visibility, sigstore string
		tlog                 bool
		want                 []string
	}{
		{visibility: "private", sigstore: "public", want: []string{"signet: warning: this private repository", "certificate transparency log",
			"not sent to the Rekor", "sigstore: DIR"}},
		{visibility: "internal", sigstore: "public", tlog: true, want: []string{"this internal repository", "also recorded in the public Rekor"}},
		{visibility: "public", sigstore: "public"},
		{visibility: "private", sigstore: "/sigstore"},
		{visibility: "", sigstore: "public"},
		{visibility: "Private", sigstore: "public"},
	}
	for _, tt := range tests {
		t.Run(tt.visibility+" "+tt.sigstore, func(t *testing.T) {
			t.Parallel()
			dir, env := project(t)
			env[gitlab.TokenVariable] = unsignedJWT(t, gitlabClaims(nil))
			var log bytes.Buffer
			a := gitlab.New(envOf(env), &log)
			if _, err := a.Plan(context.Background()); err != nil {
				t.Fatal(err)
			}
			ix := sampleIndex()
			ix.Tlog.Used = tt.tlog
			out := ci.Outcome{Index: ix, Dir: dir, OutputDir: filepath.Join(dir, "attestations"), Sigstore: tt.sigstore, Visibility: tt.visibility}
			if err := a.Publish(context.Background(), out); err != nil {
				t.Fatal(err)
			}
			got := log.String()
			if len(tt.want) == 0 && strings.Contains(got, "warning:") {
				t.Errorf("unexpected warning:\n%s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("the job log lacks %q:\n%s", w, got)
				}
			}
			if tt.want != nil && !strings.Contains(got, ix.Signer.Subject) {
				t.Errorf("the warning does not name the published identity %q", ix.Signer.Subject)
			}
		})
	}
}

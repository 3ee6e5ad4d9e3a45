package sigstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
)

// TestVerifyStatement verifies a bundle once without an artifact: the subjects returned are
// those of the signed payload, and a payload changed after signing, or a certificate from
// another CA, is refused with the sentinel of the check that failed (a broken chain is not
// reported as a time outside the certificate's validity).
func TestVerifyStatement(t *testing.T) {
	t.Parallel()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	st := statement(t, appBin, appTar)
	wantSubjects, _, err := core.StatementSubjects(st)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sigstore.NewVerifier(noCTLogs{vs})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		bundle vsBundle
		want   error
		not    string // must not be in the error
	}{
		{"timestamped", vsBundle{tsa: true}, nil, ""},
		{"timestamped and logged", vsBundle{tsa: true, tlog: true}, nil, ""},
		{"payload replaced after signing", vsBundle{tsa: true, payload: statement(t, appBin, appTar, other)}, sigstore.ErrSignature, ""},
		{"certificate from another CA", vsBundle{tsa: true, certFrom: foreign}, sigstore.ErrCertificate, "outside the certificate's validity"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := v.VerifyStatement(t.Context(), tt.bundle.build(t, vs, st))
			if tt.want != nil {
				if !errors.Is(err, tt.want) || (tt.not != "" && strings.Contains(err.Error(), tt.not)) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Statement) != string(st) {
				t.Error("the statement returned is not the one signed")
			}
			if diff := cmp.Diff(wantSubjects, res.Subjects); diff != "" {
				t.Errorf("subjects (-signed +returned):\n%s", diff)
			}
		})
	}
}

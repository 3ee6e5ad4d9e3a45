package localsigstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/signet-ci/signet/localsigstore"
)

// TestCAOrganization: the Fulcio CA names the organisation asked for (gh tells Sigstore
// instances apart by it); the in-memory CA cannot, and an unusable name is refused.
func TestCAOrganization(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]localsigstore.Option{
		{localsigstore.WithCAOrganization("GitHub, Inc.")},
		{localsigstore.WithStateDir(t.TempDir()), localsigstore.WithCAOrganization("")},
		{localsigstore.WithStateDir(t.TempDir()), localsigstore.WithCAOrganization("a\nb")},
	} {
		if s, err := localsigstore.Start(context.Background(), opts...); !errors.Is(err, localsigstore.ErrInvalidOption) {
			if s != nil {
				s.Close()
			}
			t.Errorf("Start: %v, want ErrInvalidOption", err)
		}
	}
	s, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()), localsigstore.WithCAOrganization("GitHub, Inc."))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tr, err := root.NewTrustedRootFromJSON(s.TrustedRoot())
	if err != nil {
		t.Fatal(err)
	}
	cas := tr.FulcioCertificateAuthorities()
	fca, ok := cas[0].(*root.FulcioCertificateAuthority)
	if len(cas) != 1 || !ok || len(fca.Root.Subject.Organization) != 1 || fca.Root.Subject.Organization[0] != "GitHub, Inc." {
		t.Errorf("CA subject %v", fca.Root.Subject)
	}
}

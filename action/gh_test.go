package action_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// gh v2.83.0's constants for `gh attestation verify` (pkg/cmd/attestation/verification).
const (
	ghPublicGoodOrg     = "sigstore.dev"
	ghGitHubOrg         = "GitHub, Inc."
	ghDefaultIssuer     = "https://token.actions.githubusercontent.com"
	ghDefaultPredicate  = "https://slsa.dev/provenance/v1"
	ghMaxFile           = 64 << 20
	ghMaxTrustedRootLen = 16 << 20
)

// ghVerify emulates, offline, what gh v2.83.0 does for the command line words
// `gh attestation verify FILE --bundle B --repo OWNER/REPO [--cert-oidc-issuer I]
// [--custom-trusted-root R]` run in dir. It returns nil where gh exits 0.
//
// It follows gh's contract (see docs/github-action.md and gh's
// pkg/cmd/attestation/verification/sigstore.go): --custom-trusted-root is read line by line,
// each line ending in "\n" one trusted root through root.NewTrustedRootFromJSON; the root is
// picked whose Fulcio CA's lowest certificate has the issuer organisation of the bundle's leaf
// certificate; a root of another organisation than public-good or GitHub gets gh's custom
// verifier (an observer timestamp, plus a log entry when the root lists a log); the policy is
// the artifact's digest and a SAN matching (?i)^https://github.com/OWNER/REPO/ with any issuer;
// then the certificate's source-repository owner and repository URIs and its issuer are
// compared, and the statement must be SLSA provenance v1 (gh's default --predicate-type).
// Flags it does not know are an error, so a printed flag it does not emulate fails the test.
func ghVerify(dir string, words []string) error { return ghVerifyWith(dir, words, "") }

// ghVerifyWith is ghVerify where gh's own trust is given too: githubRoot, when not "", is the
// trusted root file gh would fetch from GitHub's TUF repository for GitHub's instance. Without
// --custom-trusted-root, gh verifies a certificate of organisation "GitHub, Inc." against it
// with a signed timestamp and no log (as for a custom GitHub root); public-good's root (which
// needs SCTs and a log entry) is not emulated.
func ghVerifyWith(dir string, words []string, githubRoot string) error {
	args, ok := strings.CutPrefix(strings.Join(words[:min(3, len(words))], " "), "gh attestation verify")
	if !ok || args != "" {
		return fmt.Errorf("not a gh attestation verify command: %q", words)
	}
	flags := map[string]string{"--cert-oidc-issuer": ghDefaultIssuer}
	var pos []string
	for rest := words[3:]; len(rest) > 0; rest = rest[1:] {
		w := rest[0]
		if !strings.HasPrefix(w, "-") {
			pos = append(pos, w)
			continue
		}
		name, val, hasVal := strings.Cut(w, "=")
		switch name {
		case "--bundle", "-b", "--repo", "-R", "--cert-oidc-issuer", "--custom-trusted-root":
		default:
			return fmt.Errorf("the gh emulation does not know flag %q", name)
		}
		if !hasVal {
			if len(rest) < 2 {
				return fmt.Errorf("flag %s needs a value", name)
			}
			val, rest = rest[1], rest[1:]
		}
		switch name {
		case "-b":
			name = "--bundle"
		case "-R":
			name = "--repo"
		}
		flags[name] = val
	}
	if len(pos) != 1 {
		return fmt.Errorf("want one artifact, got %q", pos)
	}
	owner, repo, ok := strings.Cut(flags["--repo"], "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return fmt.Errorf("--repo %q: expected OWNER/REPO", flags["--repo"])
	}
	if flags["--bundle"] == "" || (flags["--custom-trusted-root"] == "" && githubRoot == "") {
		// Without them gh fetches attestations and public roots over the network.
		return errors.New("the gh emulation runs offline: it needs --bundle and --custom-trusted-root (or GitHub's root given to the emulation)")
	}
	at := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	digest, err := ghDigest(at(pos[0]))
	if err != nil {
		return err
	}
	b, err := bundle.LoadJSONFromPath(at(flags["--bundle"]))
	if err != nil {
		return fmt.Errorf("loading bundle: %w", err)
	}
	var verifier *sgverify.Verifier
	if flags["--custom-trusted-root"] != "" {
		verifier, err = ghChooseVerifier(b, at(flags["--custom-trusted-root"]))
	} else {
		verifier, err = ghGitHubVerifier(b, githubRoot)
	}
	if err != nil {
		return fmt.Errorf("failed to find recognized issuer from bundle content: %w", err)
	}
	san, err := sgverify.NewSANMatcher("", fmt.Sprintf("(?i)^https://github.com/%s/", flags["--repo"]))
	if err != nil {
		return err
	}
	anyIssuer, err := sgverify.NewIssuerMatcher("", ".*")
	if err != nil {
		return err
	}
	id, err := sgverify.NewCertificateIdentity(san, anyIssuer, certificate.Extensions{})
	if err != nil {
		return err
	}
	res, err := verifier.Verify(b, sgverify.NewPolicy(sgverify.WithArtifactDigest("sha256", digest), sgverify.WithCertificateIdentity(id)))
	if err != nil {
		return fmt.Errorf("verifying with issuer: %w", err)
	}
	if res.Statement == nil || res.Statement.PredicateType != ghDefaultPredicate {
		return fmt.Errorf("no attestations found with predicate type %s", ghDefaultPredicate)
	}
	ext := res.Signature.Certificate.Extensions
	for _, c := range []struct{ what, want, got string }{
		{"SourceRepositoryOwnerURI", "https://github.com/" + owner, ext.SourceRepositoryOwnerURI},
		{"SourceRepositoryURI", "https://github.com/" + flags["--repo"], ext.SourceRepositoryURI},
		{"Issuer", flags["--cert-oidc-issuer"], ext.Issuer},
	} {
		if !strings.EqualFold(c.want, c.got) {
			return fmt.Errorf("expected %s to be %s, got %s", c.what, c.want, c.got)
		}
	}
	return nil
}

// ghChooseVerifier reads the custom trusted roots as gh does and builds the verifier for the
// bundle's leaf certificate.
func ghChooseVerifier(b *bundle.Bundle, rootsPath string) (*sgverify.Verifier, error) {
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, err
	}
	leaf := vc.Certificate()
	if leaf == nil {
		return nil, errors.New("leaf cert not found")
	}
	if len(leaf.Issuer.Organization) != 1 {
		return nil, errors.New("expected the leaf certificate issuer to only have one organization")
	}
	issuer := leaf.Issuer.Organization[0]
	f, err := os.Open(rootsPath)
	if err != nil {
		return nil, fmt.Errorf("unable to read file %s: %w", rootsPath, err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, ghMaxTrustedRootLen))
	if err != nil {
		return nil, err
	}
	r := bufio.NewReader(bytes.NewReader(raw))
	// As gh: a line counts only once its "\n" is read; what follows the last one is ignored.
	for line, rerr := r.ReadBytes('\n'); rerr == nil; line, rerr = r.ReadBytes('\n') {
		tr, err := root.NewTrustedRootFromJSON(line)
		if err != nil {
			return nil, fmt.Errorf("failed to create custom verifier: %w", err)
		}
		for _, ca := range tr.FulcioCertificateAuthorities() {
			fca, ok := ca.(*root.FulcioCertificateAuthority)
			if !ok {
				continue
			}
			lowest := ghLowestCert(fca)
			if lowest == nil || len(lowest.Issuer.Organization) == 0 || lowest.Issuer.Organization[0] != issuer {
				continue
			}
			var opts []sgverify.VerifierOption
			switch issuer {
			case ghPublicGoodOrg:
				opts = []sgverify.VerifierOption{sgverify.WithSignedCertificateTimestamps(1), sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1)}
			case ghGitHubOrg:
				opts = []sgverify.VerifierOption{sgverify.WithSignedTimestamps(1)}
			default:
				opts = []sgverify.VerifierOption{sgverify.WithObserverTimestamps(1)}
				if len(tr.RekorLogs()) > 0 {
					opts = append(opts, sgverify.WithTransparencyLog(1))
				}
			}
			return sgverify.NewSignedEntityVerifier(tr, opts...)
		}
	}
	return nil, fmt.Errorf("no custom verifier found for issuer %q", issuer)
}

// ghGitHubVerifier is gh's verifier without a custom root for a certificate of GitHub's
// instance: GitHub's trusted root (from its TUF repository; here the file githubRoot) and one
// signed timestamp.
func ghGitHubVerifier(b *bundle.Bundle, githubRoot string) (*sgverify.Verifier, error) {
	vc, err := b.VerificationContent()
	if err != nil {
		return nil, err
	}
	leaf := vc.Certificate()
	if leaf == nil || len(leaf.Issuer.Organization) != 1 {
		return nil, errors.New("leaf cert not found, or its issuer names not one organization")
	}
	if org := leaf.Issuer.Organization[0]; org != ghGitHubOrg {
		return nil, fmt.Errorf("issuer %q: the emulation knows only GitHub's instance without --custom-trusted-root", org)
	}
	tr, err := root.NewTrustedRootFromPath(githubRoot)
	if err != nil {
		return nil, err
	}
	return sgverify.NewSignedEntityVerifier(tr, sgverify.WithSignedTimestamps(1))
}

// ghLowestCert is gh's getLowestCertInChain: the first intermediate, else the root.
func ghLowestCert(ca *root.FulcioCertificateAuthority) *x509.Certificate {
	if len(ca.Intermediates) > 0 {
		return ca.Intermediates[0]
	}
	return ca.Root
}

// ghDigest is the sha256 of the artifact file, hex.
func ghDigest(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading artifact: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, ghMaxFile)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

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
func ghVerify(dir string, words []string) error { return ghVerifyWith(dir, words, ghTrust{}) }

// ghTrust stands for the trusted roots gh fetches itself, from TUF repositories, when no
// --custom-trusted-root is given: each field, when not "", is a trusted_root.json file.
type ghTrust struct {
	// GitHub is the root of GitHub's instance (gh: GitHub's TUF repository, trusted_root.json),
	// used for a leaf certificate whose issuer organisation is "GitHub, Inc.".
	GitHub string
	// PublicGood is the root of the public-good instance (gh: sigstore-go's embedded TUF root,
	// root.GetTrustedRoot), used for a leaf certificate whose issuer organisation is
	// "sigstore.dev". Tests give a root of a local stack whose Fulcio CA has that organisation.
	PublicGood string
}

// ghVerifierOptions are gh's verifier options for the instance a leaf certificate's issuer
// organisation names (newPublicGoodVerifierWithTrustedRoot, newGitHubVerifierWithTrustedRoot,
// newCustomVerifier): public-good needs an SCT, a transparency log entry and an observer
// timestamp; GitHub's instance a signed timestamp; any other an observer timestamp, and a log
// entry when the root lists a log.
func ghVerifierOptions(issuer string, tr *root.TrustedRoot) []sgverify.VerifierOption {
	switch issuer {
	case ghPublicGoodOrg:
		return []sgverify.VerifierOption{sgverify.WithSignedCertificateTimestamps(1), sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1)}
	case ghGitHubOrg:
		return []sgverify.VerifierOption{sgverify.WithSignedTimestamps(1)}
	}
	opts := []sgverify.VerifierOption{sgverify.WithObserverTimestamps(1)}
	if len(tr.RekorLogs()) > 0 {
		opts = append(opts, sgverify.WithTransparencyLog(1))
	}
	return opts
}

// ghVerifyWith is ghVerify where gh's own trust is given too (see ghTrust). Without
// --custom-trusted-root, gh picks the verifier by the leaf certificate's issuer organisation
// alone: "sigstore.dev" gets public-good's root and options, "GitHub, Inc." GitHub's; any other
// organisation is refused ("leaf certificate issuer is not recognized").
func ghVerifyWith(dir string, words []string, trust ghTrust) error {
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
	if flags["--bundle"] == "" {
		// Without it gh fetches attestations from GitHub's API.
		return errors.New("the gh emulation runs offline: it needs --bundle")
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
		verifier, err = ghInstanceVerifier(b, trust)
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
			return sgverify.NewSignedEntityVerifier(tr, ghVerifierOptions(issuer, tr)...)
		}
	}
	return nil, fmt.Errorf("no custom verifier found for issuer %q", issuer)
}

// ghInstanceVerifier is gh's verifier without a custom root: the leaf certificate's issuer
// organisation picks public-good's or GitHub's trusted root (what gh fetches from the
// instance's TUF repository; here the files trust names) and that instance's options.
func ghInstanceVerifier(b *bundle.Bundle, trust ghTrust) (*sgverify.Verifier, error) {
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
	var path string
	switch issuer {
	case ghPublicGoodOrg:
		path = trust.PublicGood
	case ghGitHubOrg:
		path = trust.GitHub
	default:
		return nil, errors.New("leaf certificate issuer is not recognized")
	}
	if path == "" {
		// gh would fetch the instance's root over the network.
		return nil, fmt.Errorf("the gh emulation runs offline: the trusted root gh fetches for issuer %q was not given", issuer)
	}
	tr, err := root.NewTrustedRootFromPath(path)
	if err != nil {
		return nil, err
	}
	return sgverify.NewSignedEntityVerifier(tr, ghVerifierOptions(issuer, tr)...)
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

package verify_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/core/sigstore"
	"github.com/signet-ci/signet/localsigstore"
	"github.com/signet-ci/signet/verify"
)

// signMessage signs content as cosign sign-blob does: a message-signature bundle over its
// sha256 digest, timestamped by the local TSA, with a certificate the local Fulcio issues for a
// GitHub-shaped token or, when kp is given, with that key alone. It writes the bundle to path.
func (f *fixture) signMessage(t *testing.T, content []byte, kp sign.Keypair, path string) {
	t.Helper()
	ctx := context.Background()
	sc := f.mat.SigningConfig
	opts := sign.BundleOptions{Context: ctx, TimestampAuthorities: []*sign.TimestampAuthority{
		sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: sc.TimestampAuthorityURLs()[0].URL})}}
	if kp == nil {
		var err error
		if kp, err = sign.NewEphemeralKeypair(nil); err != nil {
			t.Fatal(err)
		}
		tok, err := f.ls.Token(localsigstore.PresetGitHub)
		if err != nil {
			t.Fatal(err)
		}
		opts.CertificateProvider = sign.NewFulcio(&sign.FulcioOptions{BaseURL: sc.FulcioCertificateAuthorityURLs()[0].URL})
		opts.CertificateProviderOptions = &sign.CertificateProviderOptions{IDToken: tok}
	}
	pb, err := sign.Bundle(&sign.PlainData{Data: content}, kp, opts)
	if err != nil {
		t.Fatalf("signing a message: %v", err)
	}
	js, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, js)
}

// messageRun is a workspace with one artifact and its message-signature bundle.
type messageRun struct {
	dir, bundle string
	artifact    core.Subject
	content     []byte
}

func (f *fixture) messageRun(t *testing.T, kp sign.Keypair) *messageRun {
	t.Helper()
	r := &messageRun{dir: t.TempDir(), content: []byte("blob " + t.Name())}
	r.artifact = writeFiles(t, r.dir, map[string]string{"dist/blob.bin": string(r.content)})[0]
	r.bundle = filepath.Join(r.dir, "blob.sigstore.json")
	f.signMessage(t, r.content, kp, r.bundle)
	return r
}

// TestMessageSignature verifies message-signature bundles through the same Verifier as
// attestations: the artifact's file or digest is checked by sigstore-go, the signer answers to
// the same identity rules, and the report says the bundle carries no provenance.
func TestMessageSignature(t *testing.T) {
	t.Parallel()
	f := local(t)
	r := f.messageRun(t, nil)
	sum := sha256.Sum256(r.content)
	byDigest := core.Subject{Name: "blob", Digest: map[string]string{core.SHA256: hexOf(sum[:])}}
	for name, a := range map[string]core.Subject{"file": r.artifact, "digest": byDigest} {
		rep := check(t, f.bundleVerifier(t), githubPolicy(f), verify.Files{r.bundle}, []core.Subject{a})
		res := rep.Artifacts[0]
		if !rep.Verified || res.Kind != verify.KindMessageSignature || res.Provenance != nil || res.Signer == nil ||
			res.Signer.SourceRepository != "https://github.com/"+demoRepo || len(res.Timestamps) == 0 {
			t.Fatalf("%s: %+v %+v", name, rep.Summary, res)
		}
		var text bytes.Buffer
		if err := verify.Render(&text, rep, verify.FormatText); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "carries no provenance") {
			t.Errorf("%s: text report does not say the bundle carries no provenance:\n%s", name, text.String())
		}
		var page bytes.Buffer
		if err := verify.RenderHTML(&page, rep, verify.HTMLOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page.String(), "message signature: a signed artifact digest; it carries no provenance") {
			t.Errorf("%s: the HTML report does not say the bundle carries no provenance", name)
		}
	}
}

// TestMessageSignatureRefusals attacks message-signature verification: another artifact,
// another digest, a bundle edited to state another digest, a foreign identity, a key nobody
// trusts, a v0.1 label without a log entry, and provenance requirements, which are named.
func TestMessageSignatureRefusals(t *testing.T) {
	t.Parallel()
	f := local(t)
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	other := "another blob"
	tests := []struct {
		name  string
		key   bool                 // sign with kp instead of a certificate
		edit  func(map[string]any) // edits the bundle JSON
		pol   func(*verify.Policy) // edits the policy
		art   func(*messageRun) core.Subject
		opts  []verify.Option
		check string
		want  string
	}{
		{name: "another artifact's file", art: func(r *messageRun) core.Subject {
			return writeFiles(t, t.TempDir(), map[string]string{"dist/blob.bin": other})[0]
		}, check: verify.CheckSubject, want: "signs another digest"},
		{name: "another digest", art: func(*messageRun) core.Subject { return subjectRef("blob", other) },
			check: verify.CheckSubject, want: "signs another digest"},
		{name: "stated digest edited to another artifact's", edit: func(b map[string]any) {
			s := sha256Sum(other)
			at(b, "messageSignature", "messageDigest")["digest"] = base64.StdEncoding.EncodeToString(s[:])
		}, art: func(*messageRun) core.Subject {
			return writeFiles(t, t.TempDir(), map[string]string{"dist/blob.bin": other})[0]
		}, check: verify.CheckSignature},
		{name: "stated digest edited, artifact given by that digest", edit: func(b map[string]any) {
			s := sha256Sum(other)
			at(b, "messageSignature", "messageDigest")["digest"] = base64.StdEncoding.EncodeToString(s[:])
		}, art: func(*messageRun) core.Subject { return subjectRef("blob", other) }, check: verify.CheckSignature},
		{name: "another repository", pol: func(p *verify.Policy) { p.Identity.GitHub = "signet-ci/other" }, check: verify.CheckIdentity},
		{name: "relabeled v0.1 without a log entry", edit: func(b map[string]any) {
			b["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1"
		}, check: verify.CheckBundle, want: "v0.1 must carry a transparency-log entry"},
		{name: "key-signed, no key trusted", key: true, check: verify.CheckSignature, want: "no public key is trusted"},
		{name: "builder id required", pol: func(p *verify.Policy) { p.Provenance.BuilderID = "https://github.com/*" },
			check: verify.CheckProvenance, want: "carries no provenance, so provenance.builderID cannot be checked"},
		{name: "build type required", pol: func(p *verify.Policy) { p.Provenance.BuildType = "*" },
			check: verify.CheckProvenance, want: "provenance.buildType"},
		{name: "predicate type required, by flag name", pol: func(p *verify.Policy) { p.Provenance.PredicateType = core.ProvenancePredicateType },
			opts:  []verify.Option{verify.WithFieldNames(func(k string) string { return map[string]string{"provenance.predicateType": "--type"}[k] })},
			check: verify.CheckProvenance, want: "so --type cannot be checked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var k sign.Keypair
			if tc.key {
				k = kp
			}
			r := f.messageRun(t, k)
			if tc.edit != nil {
				editJSON(t, r.bundle, tc.edit)
			}
			p := githubPolicy(f)
			if tc.pol != nil {
				tc.pol(&p)
			}
			a := r.artifact
			if tc.art != nil {
				a = tc.art(r)
			}
			c, err := p.Compile()
			if err != nil {
				t.Fatal(err)
			}
			v, err := verify.New(f.bundleVerifier(t), c, verify.Files{r.bundle}, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := v.Verify(context.Background(), []core.Subject{a})
			if err != nil {
				t.Fatal(err)
			}
			res := rep.Artifacts[0]
			if rep.Verified || res.Failure == nil {
				t.Fatalf("FALSE ACCEPT: %+v", res)
			}
			if res.Failure.Check != tc.check || !strings.Contains(res.Failure.Error(), tc.want) {
				t.Errorf("failure %q (check %q), want check %q saying %q", res.Failure.Error(), res.Failure.Check, tc.check, tc.want)
			}
		})
	}
}

// TestMessageSignatureKey verifies a key-signed message signature against the pinned key only.
func TestMessageSignatureKey(t *testing.T) {
	t.Parallel()
	f := local(t)
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := f.messageRun(t, kp)
	c, err := verify.Policy{}.Compile(verify.WithTrustedKey())
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  sign.Keypair
		ok   bool
	}{{"pinned key", kp, true}, {"another key", stranger, false}} {
		sv, err := sigstore.NewVerifier(f.mat.TrustedRoot, sigstore.WithPublicKey(tc.key.GetPublicKey()))
		if err != nil {
			t.Fatal(err)
		}
		v, err := verify.New(verify.Sigstore(sv), c, verify.Files{r.bundle})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := v.Verify(context.Background(), []core.Subject{r.artifact})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verified != tc.ok || tc.ok && (rep.Artifacts[0].Signer != nil || rep.Artifacts[0].Kind != verify.KindMessageSignature) {
			t.Errorf("%s: verified %v, want %v: %+v", tc.name, rep.Verified, tc.ok, rep.Artifacts[0])
		}
	}
	// A certificate policy refuses a key-signed message signature even when the key is trusted.
	sv, err := sigstore.NewVerifier(f.mat.TrustedRoot, sigstore.WithPublicKey(kp.GetPublicKey()))
	if err != nil {
		t.Fatal(err)
	}
	if rep := check(t, verify.Sigstore(sv), githubPolicy(f), verify.Files{r.bundle}, []core.Subject{r.artifact}); rep.Verified {
		t.Errorf("FALSE ACCEPT: a key-signed message signature passed a certificate identity policy")
	}
}

// TestMessageSignatureInDirectory prefers an attestation that verifies to a message signature
// of the same artifact, and finds a message signature in a directory by its digest.
func TestMessageSignatureInDirectory(t *testing.T) {
	t.Parallel()
	f := local(t)
	att := f.sign(t, localsigstore.PresetGitHub, signOpts{})
	a := att.artifacts[0]
	content, err := os.ReadFile(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f.signMessage(t, content, nil, filepath.Join(dir, "a-message.sigstore.json"))
	writeFile(t, filepath.Join(dir, "z-provenance.sigstore.json"), readFile(t, att.bundle))
	ds, err := verify.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep := check(t, f.bundleVerifier(t), githubPolicy(f), ds, []core.Subject{a})
	if res := rep.Artifacts[0]; !rep.Verified || res.Kind != "" || res.Provenance == nil || !strings.HasSuffix(res.Bundle, "z-provenance.sigstore.json") {
		t.Errorf("attestation not preferred: %+v", res)
	}
	if err := os.Remove(filepath.Join(dir, "z-provenance.sigstore.json")); err != nil {
		t.Fatal(err)
	}
	ds, err = verify.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep = check(t, f.bundleVerifier(t), githubPolicy(f), ds, []core.Subject{a})
	if res := rep.Artifacts[0]; !rep.Verified || res.Kind != verify.KindMessageSignature {
		t.Errorf("message signature in a directory: %+v", res)
	}
	// A VSA claims no build level for an artifact that only a message signature verified.
	st, err := verify.VSAStatement(rep, verify.VSAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(st, []byte(`"verifiedLevels":[]`)) {
		t.Errorf("VSA of a message signature claims a level: %s", st)
	}
}

// TestParseMessageBundle reads what a message-signature bundle claims without verifying it.
func TestParseMessageBundle(t *testing.T) {
	t.Parallel()
	f := local(t)
	r := f.messageRun(t, nil)
	info, err := verify.ParseBundle(readFile(t, r.bundle))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(r.content)
	if !info.IsMessage() || info.MessageDigest.String() != "sha256:"+hexOf(sum[:]) || info.PredicateType != "" || len(info.Subjects) != 0 || info.Summary == nil {
		t.Errorf("info: %+v", info)
	}
	if !info.Names(map[string]string{core.SHA256: hexOf(sum[:])}) {
		t.Error("Names: the bundle's own digest is not named")
	}
	for name, edit := range map[string]func(map[string]any){
		"no digest":         func(b map[string]any) { delete(at(b, "messageSignature"), "messageDigest") },
		"unknown algorithm": func(b map[string]any) { at(b, "messageSignature", "messageDigest")["algorithm"] = "MD5" },
		"no signature":      func(b map[string]any) { delete(at(b, "messageSignature"), "signature") },
		"both kinds": func(b map[string]any) {
			b["dsseEnvelope"] = map[string]any{"payload": "e30=", "payloadType": "application/vnd.in-toto+json"}
		},
	} {
		p := filepath.Join(t.TempDir(), "b.json")
		writeFile(t, p, readFile(t, r.bundle))
		editJSON(t, p, edit)
		if _, err := verify.ParseBundle(readFile(t, p)); !errors.Is(err, verify.ErrNotBundle) {
			t.Errorf("%s: err = %v, want ErrNotBundle", name, err)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

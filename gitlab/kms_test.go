package gitlab_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/signet-ci/signet/internal/checkout"
	"github.com/signet-ci/signet/internal/shellwords"
	"github.com/signet-ci/signet/localsigstore"
)

// The credentials the emulated STS issues for the GitLab job's web identity token.
const (
	stsAccessKey    = "ASIASIGNETGITLABJOB1"
	stsSecretKey    = "sts-secret-never-shown-0123456789"
	stsSessionToken = "sts-session-token-never-shown-abcdef"
	roleARN         = "arn:aws:iam::111122223333:role/signet-release-signer"
)

// awsEmulator is AWS STS (AssumeRoleWithWebIdentity) and KMS (an ECC_NIST_P256 key behind
// alias/release) on loopback: STS exchanges only the expected web identity token for the
// role, and KMS answers only requests signed with the credentials STS issued.
type awsEmulator struct {
	*httptest.Server
	key             *ecdsa.PrivateKey
	webToken        string
	assumed, signed atomic.Int32
}

func newAWSEmulator(t *testing.T, webToken string) *awsEmulator {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &awsEmulator{key: k, webToken: webToken}
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.Close)
	return e
}

func (e *awsEmulator) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		e.kms(w, r, target, body)
		return
	}
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") != "AssumeRoleWithWebIdentity" || form.Get("RoleArn") != roleARN || form.Get("WebIdentityToken") != e.webToken {
		http.Error(w, "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not this identity</Message></Error></ErrorResponse>", http.StatusForbidden)
		return
	}
	e.assumed.Add(1)
	w.Header().Set("Content-Type", "text/xml")
	io.WriteString(w, `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>`+stsAccessKey+`</AccessKeyId><SecretAccessKey>`+stsSecretKey+
		`</SecretAccessKey><SessionToken>`+stsSessionToken+`</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>`+roleARN+`/gitlab</Arn><AssumedRoleId>AROA:gitlab</AssumedRoleId></AssumedRoleUser>
</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`)
}

func (e *awsEmulator) kms(w http.ResponseWriter, r *http.Request, target string, body []byte) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if !strings.Contains(r.Header.Get("Authorization"), "Credential="+stsAccessKey+"/") || r.Header.Get("X-Amz-Security-Token") != stsSessionToken {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"UnrecognizedClientException","message":"not signed with the role's credentials"}`)
		return
	}
	var in struct {
		KeyID   string `json:"KeyId"`
		Message []byte `json:"Message"`
	}
	_ = json.Unmarshal(body, &in)
	if in.KeyID != "alias/release" {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"NotFoundException","message":"no such key"}`)
		return
	}
	arn := "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	var out any
	switch target {
	case "TrentService.GetPublicKey":
		der, _ := x509.MarshalPKIXPublicKey(&e.key.PublicKey)
		out = map[string]any{"KeyId": arn, "PublicKey": der, "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY",
			"SigningAlgorithms": []string{"ECDSA_SHA_256"}}
	case "TrentService.DescribeKey":
		out = map[string]any{"KeyMetadata": map[string]any{"KeyId": arn, "Arn": arn, "KeySpec": "ECC_NIST_P256",
			"KeyUsage": "SIGN_VERIFY", "KeyState": "Enabled", "Enabled": true, "SigningAlgorithms": []string{"ECDSA_SHA_256"}}}
	case "TrentService.Sign":
		if len(in.Message) != sha256.Size {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"ValidationException","message":"want a SHA-256 digest"}`)
			return
		}
		sig, err := ecdsa.SignASN1(rand.Reader, e.key, in.Message)
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		e.signed.Add(1)
		out = map[string]any{"KeyId": arn, "Signature": sig, "SigningAlgorithm": "ECDSA_SHA_256"}
	default:
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"UnsupportedOperationException","message":"`+target+`"}`)
		return
	}
	_ = json.NewEncoder(w).Encode(out)
}

// awsJobEnv is what docs/gitlab-component.md's KMS example gives the job: AWS_ROLE_ARN,
// AWS_REGION, and the AWS_ID_TOKEN id_token written to AWS_WEB_IDENTITY_TOKEN_FILE by the
// before_script; plus the emulator's endpoints, and no other AWS configuration.
func awsJobEnv(t *testing.T, e *awsEmulator, tokenFile string) map[string]string {
	dir := t.TempDir()
	return map[string]string{
		"AWS_ROLE_ARN": roleARN, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_REGION": "eu-west-1",
		"AWS_ENDPOINT_URL_STS": e.URL, "AWS_ENDPOINT_URL_KMS": e.URL, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	}
}

// TestJobContractKMS runs the job as docs/gitlab-component.md's KMS example configures it, with
// the binary: the AWS SDK exchanges the job's sts.amazonaws.com ID token (in a file) for the
// role's credentials, the key in the (emulated) KMS signs, and the verify command the log
// prints passes as printed for a verifier with kms:GetPublicKey. No credential reaches the log.
func TestJobContractKMS(t *testing.T) {
	t.Parallel()
	bin := checkout.BuildSignet(t)
	ss, err := localsigstore.Start(context.Background(), localsigstore.WithStateDir(t.TempDir()))
	if err != nil {
		t.Fatalf("starting the local Sigstore: %v", err)
	}
	t.Cleanup(func() { ss.Close() })
	c, _ := readTemplate(t)
	awsToken, err := ss.Token(localsigstore.PresetGitLab, localsigstore.WithAudience("sts.amazonaws.com"))
	if err != nil {
		t.Fatal(err)
	}
	e := newAWSEmulator(t, awsToken)
	j := newJob(t, c, ss, map[string]any{"subject-path": "dist/", "key": "awskms:///alias/release"})
	tokenFile := filepath.Join(filepath.Dir(j.dir), "aws-token")
	if err := os.WriteFile(tokenFile, []byte(awsToken), 0o600); err != nil {
		t.Fatal(err)
	}
	maps.Copy(j.env, awsJobEnv(t, e, tokenFile))
	res := j.run(t, bin, j.script...)
	if res.code != 0 {
		t.Fatalf("the job failed (exit %d)\nlog:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if e.assumed.Load() == 0 || e.signed.Load() == 0 {
		t.Fatalf("STS assumed the role %d time(s), KMS signed %d time(s); want both", e.assumed.Load(), e.signed.Load())
	}
	if n := ss.Requests("fulcio"); n != 0 {
		t.Errorf("a KMS-signed job asked Fulcio %d time(s)", n)
	}
	j.assertNoToken(t, res)
	for _, secret := range []string{awsToken, stsSecretKey, stsSessionToken} {
		if strings.Contains(res.stdout+res.stderr, secret) {
			t.Error("the job log shows an AWS credential or the web identity token")
		}
	}
	text := summaryCommand(t, res.stderr, "signet verify")
	words, err := shellwords.Split(text)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(words, "--public-key"); i < 0 || words[i+1] != "awskms:///alias/release" {
		t.Fatalf("the printed verify command %q does not name the KMS key", text)
	}
	// The verifier runs the binary (the AWS SDK reads the process environment) with the AWS
	// configuration alone: nothing else of the job's environment.
	home := t.TempDir()
	verifier := *j
	verifier.env = awsJobEnv(t, e, tokenFile)
	maps.Copy(verifier.env, map[string]string{"HOME": home, "XDG_CACHE_HOME": filepath.Join(home, ".cache")})
	if v := verifier.run(t, bin, words[1:]...); v.code != 0 {
		t.Fatalf("the printed verify command failed (exit %d):\n%s\n%s\n%s", v.code, text, v.stdout, v.stderr)
	}
	writeFiles(t, j.dir, map[string]string{"dist/app.tar.gz": "tampered"})
	if v := verifier.run(t, bin, words[1:]...); v.code == 0 {
		t.Errorf("the printed verify command accepted a tampered file:\n%s", v.stdout)
	}

	t.Run("a token for another role's audience is refused by STS", func(t *testing.T) {
		j := newJob(t, c, ss, map[string]any{"subject-path": "dist/", "key": "awskms:///alias/release"})
		other := filepath.Join(t.TempDir(), "aws-token")
		if err := os.WriteFile(other, []byte("not-the-job-token"), 0o600); err != nil {
			t.Fatal(err)
		}
		maps.Copy(j.env, awsJobEnv(t, e, other))
		res := j.run(t, bin, j.script...)
		if res.code == 0 || !strings.Contains(res.stderr, "input key (SIGNET_KEY): key service: AWS KMS awskms:///alias/release") {
			t.Errorf("exit %d; want the input and the KMS key named in the failure:\n%s", res.code, res.stderr)
		}
		t.Logf("log: %s", lastLine(res.stderr))
		if strings.Contains(res.stderr, "not-the-job-token") {
			t.Error("the log shows the web identity token")
		}
	})
}

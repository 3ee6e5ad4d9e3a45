package localsigstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	fulcioca "github.com/sigstore/fulcio/pkg/ca"
	"github.com/sigstore/fulcio/pkg/ca/ephemeralca"
	"github.com/sigstore/fulcio/pkg/ca/fileca"
	"github.com/sigstore/fulcio/pkg/certificate"
	"github.com/sigstore/fulcio/pkg/config"
	"github.com/sigstore/fulcio/pkg/generated/protobuf"
	"github.com/sigstore/fulcio/pkg/server"
	v1 "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/grpc/metadata"
)

// Files of the persistent Fulcio CA, under <state dir>/fulcio.
const (
	fulcioDir     = "fulcio"
	fulcioCAFile  = "ca.pem"
	fulcioKeyFile = "ca-key.pem"
)

// maxFulcioRequest bounds a Fulcio request body, as Fulcio's own HTTP server does.
const maxFulcioRequest = 1 << 22

// CI provider names in Fulcio's CIIssuerMetadata, as in Fulcio's own config/identity/config.yaml.
const (
	ciGitHub = "github-workflow"
	ciGitLab = "gitlab-pipeline"
)

// newCA returns the ephemeral CA when stateDir is "", else the file CA kept in stateDir.
func newCA(stateDir, org string) (fulcioca.CertificateAuthority, error) {
	if stateDir == "" {
		ca, err := ephemeralca.NewEphemeralCA()
		if err != nil {
			return nil, fmt.Errorf("creating the ephemeral Fulcio CA: %w", err)
		}
		return ca, nil
	}
	dir := filepath.Join(stateDir, fulcioDir)
	if org == "" {
		org = "signet localsigstore"
	}
	if err := ensureDir(dir, func(tmp string) error { return generateCA(tmp, org) }); err != nil {
		return nil, err
	}
	certPath, keyPath := filepath.Join(dir, fulcioCAFile), filepath.Join(dir, fulcioKeyFile)
	ca, err := fileca.NewFileCA(certPath, keyPath, "", false)
	if err != nil {
		return nil, fmt.Errorf("loading the Fulcio CA from %q and %q: %w", certPath, keyPath, err)
	}
	return ca, nil
}

// generateCA writes a self-signed P-384 root CA (key and certificate) into dir.
func generateCA(dir, org string) error {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating the Fulcio CA key: %w", err)
	}
	serial, err := cryptoutils.GenerateSerialNumber()
	if err != nil {
		return fmt.Errorf("generating the Fulcio CA serial number: %w", err)
	}
	skid, err := cryptoutils.SKID(key.Public())
	if err != nil {
		return fmt.Errorf("computing the Fulcio CA key identifier: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "signet localsigstore Fulcio root", Organization: []string{org}},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            1,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("creating the Fulcio CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("parsing the Fulcio CA certificate: %w", err)
	}
	if err := writePrivateKey(filepath.Join(dir, fulcioKeyFile), key); err != nil {
		return err
	}
	return writeCertificates(filepath.Join(dir, fulcioCAFile), cert)
}

// fulcioConfig returns Fulcio's configuration for the issuers, through config.Read (which looks
// each issuer up at once, so they must already be served).
func fulcioConfig(issuers map[Preset]string) (*config.FulcioConfig, error) {
	types := map[Preset]config.OIDCIssuer{
		PresetEmail:      {Type: config.IssuerTypeEmail},
		PresetGitHub:     {Type: config.IssuerTypeCIProvider, CIProvider: ciGitHub},
		PresetGitLab:     {Type: config.IssuerTypeCIProvider, CIProvider: ciGitLab},
		PresetKubernetes: {Type: config.IssuerTypeKubernetes},
	}
	cfg := config.FulcioConfig{
		OIDCIssuers:      map[string]config.OIDCIssuer{},
		CIIssuerMetadata: ciIssuerMetadata(),
	}
	for p, url := range issuers {
		iss := types[p]
		iss.IssuerURL, iss.ClientID = url, DefaultAudience
		iss.Description = "signet localsigstore " + string(p) + " issuer"
		cfg.OIDCIssuers[url] = iss
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the Fulcio configuration: %w", err)
	}
	parsed, err := config.Read(data)
	if err != nil {
		return nil, fmt.Errorf("reading the Fulcio configuration: %w", err)
	}
	return parsed, nil
}

// ciIssuerMetadata holds the GitHub and GitLab templates of Fulcio's config/identity/config.yaml.
func ciIssuerMetadata() map[string]config.IssuerMetadata {
	return map[string]config.IssuerMetadata{
		ciGitHub: {
			DefaultTemplateValues: map[string]string{"url": "https://github.com", "environment": ""},
			ExtensionTemplates: certificate.Extensions{
				GithubWorkflowTrigger:               "event_name",
				GithubWorkflowSHA:                   "sha",
				GithubWorkflowName:                  "workflow",
				GithubWorkflowRepository:            "repository",
				GithubWorkflowRef:                   "ref",
				BuildSignerURI:                      "{{ .url }}/{{ .job_workflow_ref }}",
				BuildSignerDigest:                   "job_workflow_sha",
				RunnerEnvironment:                   "runner_environment",
				SourceRepositoryURI:                 "{{ .url }}/{{ .repository }}",
				SourceRepositoryDigest:              "sha",
				SourceRepositoryRef:                 "ref",
				SourceRepositoryIdentifier:          "repository_id",
				SourceRepositoryOwnerURI:            "{{ .url }}/{{ .repository_owner }}",
				SourceRepositoryOwnerIdentifier:     "repository_owner_id",
				BuildConfigURI:                      "{{ .url }}/{{ .workflow_ref }}",
				BuildConfigDigest:                   "workflow_sha",
				BuildTrigger:                        "event_name",
				RunInvocationURI:                    "{{ .url }}/{{ .repository }}/actions/runs/{{ .run_id }}/attempts/{{ .run_attempt }}",
				SourceRepositoryVisibilityAtSigning: "repository_visibility",
				DeploymentEnvironment:               "environment",
			},
			SubjectAlternativeNameTemplate: "{{ .url }}/{{ .job_workflow_ref }}",
		},
		ciGitLab: {
			DefaultTemplateValues: map[string]string{"url": "https://gitlab.com", "environment": ""},
			ExtensionTemplates: certificate.Extensions{
				BuildSignerURI:                      "https://{{ .ci_config_ref_uri }}",
				BuildSignerDigest:                   "ci_config_sha",
				RunnerEnvironment:                   "runner_environment",
				SourceRepositoryURI:                 "{{ .url }}/{{ .project_path }}",
				SourceRepositoryDigest:              "sha",
				SourceRepositoryRef:                 `refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref }}`,
				SourceRepositoryIdentifier:          "project_id",
				SourceRepositoryOwnerURI:            "{{ .url }}/{{ .namespace_path }}",
				SourceRepositoryOwnerIdentifier:     "namespace_id",
				BuildConfigURI:                      "https://{{ .ci_config_ref_uri }}",
				BuildConfigDigest:                   "ci_config_sha",
				BuildTrigger:                        "pipeline_source",
				RunInvocationURI:                    "{{ .url }}/{{ .project_path }}/-/jobs/{{ .job_id }}",
				SourceRepositoryVisibilityAtSigning: "project_visibility",
				DeploymentEnvironment:               "environment",
			},
			SubjectAlternativeNameTemplate: "https://{{ .ci_config_ref_uri }}",
		},
	}
}

// newFulcioHandler serves Fulcio's v2 REST API (grpc-gateway over Fulcio's own CA server). Fulcio's
// gRPC interceptors do not run on this path, so the handler puts the configuration in each
// request's context and the bearer token in the gRPC metadata, as Fulcio's own HTTP server does.
func newFulcioHandler(ctx context.Context, cfg *config.FulcioConfig, ca fulcioca.CertificateAuthority) (http.Handler, error) {
	algs, err := signature.NewAlgorithmRegistryConfig([]v1.PublicKeyDetails{
		v1.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
		v1.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384,
		v1.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512,
		v1.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256,
		v1.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256,
		v1.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256,
		v1.PublicKeyDetails_PKIX_ED25519,
	})
	if err != nil {
		return nil, fmt.Errorf("configuring Fulcio's signing algorithms: %w", err)
	}
	caServer := server.NewGRPCCAServer(nil, ca, algs, server.NewIssuerPool(cfg))
	mux := runtime.NewServeMux(runtime.WithMetadata(bearerToken))
	if err := protobuf.RegisterCAHandlerServer(ctx, mux, caServer); err != nil {
		return nil, fmt.Errorf("registering Fulcio's REST gateway: %w", err)
	}
	limited := server.WithMaxBytes(mux, maxFulcioRequest)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limited.ServeHTTP(w, r.WithContext(config.With(r.Context(), cfg)))
	}), nil
}

// bearerToken copies the Authorization bearer token into the metadata Fulcio reads it from.
func bearerToken(_ context.Context, r *http.Request) metadata.MD {
	const prefix = "bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return nil
	}
	return metadata.Pairs(server.MetadataOIDCTokenKey, strings.TrimSpace(h[len(prefix):]))
}

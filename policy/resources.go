package policy

import (
	"fmt"
	"sort"
	"strings"
)

// The resources are written from these small structs, in the upstream APIs' field names;
// the tests decode the output strictly into the upstream Go types and run their validation.

type meta struct {
	Name        string            `yaml:"name"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// generatedBy marks a resource as written by signet from a verify policy.
const generatedBy = "signet policy export"

func metadata(name string) meta {
	return meta{Name: name, Annotations: map[string]string{"signet.dev/generated-by": generatedBy}}
}

// policy.sigstore.dev/v1beta1 ClusterImagePolicy.
type cip struct {
	APIVersion string  `yaml:"apiVersion"`
	Kind       string  `yaml:"kind"`
	Metadata   meta    `yaml:"metadata"`
	Spec       cipSpec `yaml:"spec"`
}

type cipSpec struct {
	Images      []cipImage     `yaml:"images"`
	Authorities []cipAuthority `yaml:"authorities"`
}

type cipImage struct {
	Glob string `yaml:"glob"`
}

type cipAuthority struct {
	Name         string           `yaml:"name"`
	Keyless      cipKeyless       `yaml:"keyless"`
	CTLog        cipURL           `yaml:"ctlog"`
	Attestations []cipAttestation `yaml:"attestations"`
	// SignatureFormat bundle makes policy-controller read Sigstore bundles attached to the
	// image as OCI referrers (cosign's new bundle format), where signet attest
	// --push-to-registry puts them; its default, legacy, reads cosign's attestation tag.
	SignatureFormat string `yaml:"signatureFormat"`
}

type cipURL struct {
	URL string `yaml:"url"`
}

type cipKeyless struct {
	URL        string        `yaml:"url"`
	Identities []cipIdentity `yaml:"identities"`
}

type cipIdentity struct {
	Issuer        string `yaml:"issuer,omitempty"`
	IssuerRegExp  string `yaml:"issuerRegExp,omitempty"`
	Subject       string `yaml:"subject,omitempty"`
	SubjectRegExp string `yaml:"subjectRegExp,omitempty"`
}

type cipAttestation struct {
	Name          string     `yaml:"name"`
	PredicateType string     `yaml:"predicateType"`
	Policy        *cipPolicy `yaml:"policy,omitempty"`
}

type cipPolicy struct {
	Type string `yaml:"type"`
	Data string `yaml:"data"`
}

func policyControllerDoc(r rule, opts Options) (cip, error) {
	images := make([]cipImage, len(opts.Images))
	for i, im := range opts.Images {
		images[i] = cipImage{Glob: im}
	}
	id := cipIdentity{Issuer: r.issuer.exact, IssuerRegExp: r.issuer.regexp, Subject: r.subject.exact, SubjectRegExp: r.subject.regexp}
	att := cipAttestation{Name: "provenance", PredicateType: r.predicateType}
	if data := cuePolicy(r); data != "" {
		att.Policy = &cipPolicy{Type: "cue", Data: data}
	}
	return cip{
		APIVersion: "policy.sigstore.dev/v1beta1",
		Kind:       "ClusterImagePolicy",
		Metadata:   metadata(opts.Name),
		Spec: cipSpec{
			Images: images,
			Authorities: []cipAuthority{{
				Name:            "signet",
				Keyless:         cipKeyless{URL: publicFulcio, Identities: []cipIdentity{id}},
				CTLog:           cipURL{URL: publicRekor},
				Attestations:    []cipAttestation{att},
				SignatureFormat: "bundle",
			}},
		},
	}, nil
}

// cuePolicy is the CUE the attestation's statement must unify with: the predicate type and
// the provenance fields the policy requires ("" when it requires none besides the type).
func cuePolicy(r rule) string {
	var fields []string
	for _, f := range []struct {
		path string
		m    match
	}{{"predicate: runDetails: builder: id", r.builderID}, {"predicate: buildDefinition: buildType", r.buildType}} {
		switch {
		case f.m.exact != "":
			fields = append(fields, f.path+": "+cueString(f.m.exact))
		case f.m.regexp != "":
			fields = append(fields, f.path+": =~"+cueString(f.m.regexp))
		}
	}
	if len(fields) == 0 {
		return ""
	}
	return "predicateType: " + cueString(r.predicateType) + "\n" + strings.Join(fields, "\n") + "\n"
}

// kyverno.io/v1 ClusterPolicy.
type kyvernoPolicy struct {
	APIVersion string      `yaml:"apiVersion"`
	Kind       string      `yaml:"kind"`
	Metadata   meta        `yaml:"metadata"`
	Spec       kyvernoSpec `yaml:"spec"`
}

type kyvernoSpec struct {
	Background            bool          `yaml:"background"`
	WebhookTimeoutSeconds int32         `yaml:"webhookTimeoutSeconds"`
	Rules                 []kyvernoRule `yaml:"rules"`
}

type kyvernoRule struct {
	Name         string              `yaml:"name"`
	Match        kyvernoMatch        `yaml:"match"`
	VerifyImages []kyvernoImageCheck `yaml:"verifyImages"`
}

type kyvernoMatch struct {
	Any []kyvernoResourceFilter `yaml:"any"`
}

type kyvernoResourceFilter struct {
	Resources kyvernoResources `yaml:"resources"`
}

type kyvernoResources struct {
	Kinds []string `yaml:"kinds"`
}

type kyvernoImageCheck struct {
	// Type SigstoreBundle makes Kyverno read Sigstore bundles attached to the image as OCI
	// referrers (artifact type application/vnd.dev.sigstore.bundle*), which is how
	// signet attest --push-to-registry, actions/attest and cosign v3 store them; Kyverno's
	// default, Cosign, reads only cosign's older attestation tag.
	Type            string               `yaml:"type"`
	ImageReferences []string             `yaml:"imageReferences"`
	FailureAction   string               `yaml:"failureAction"`
	MutateDigest    bool                 `yaml:"mutateDigest"`
	VerifyDigest    bool                 `yaml:"verifyDigest"`
	Required        bool                 `yaml:"required"`
	Attestations    []kyvernoAttestation `yaml:"attestations"`
}

type kyvernoAttestation struct {
	Type       string               `yaml:"type"`
	Attestors  []kyvernoAttestorSet `yaml:"attestors"`
	Conditions []kyvernoConditions  `yaml:"conditions,omitempty"`
}

type kyvernoAttestorSet struct {
	Entries []kyvernoAttestor `yaml:"entries"`
}

type kyvernoAttestor struct {
	Keyless kyvernoKeyless `yaml:"keyless"`
}

type kyvernoKeyless struct {
	IssuerRegExp         string            `yaml:"issuerRegExp"`
	SubjectRegExp        string            `yaml:"subjectRegExp,omitempty"`
	AdditionalExtensions map[string]string `yaml:"additionalExtensions,omitempty"`
	Rekor                cipURL            `yaml:"rekor"`
}

type kyvernoConditions struct {
	All []kyvernoCondition `yaml:"all"`
}

type kyvernoCondition struct {
	Key      string `yaml:"key"`
	Operator string `yaml:"operator"`
	Value    string `yaml:"value"`
	Message  string `yaml:"message"`
}

func kyvernoDoc(r rule, opts Options) kyvernoPolicy {
	keyless := kyvernoKeyless{
		// Kyverno's issuer and subject fields are wildcard patterns ('*', '?'): the export
		// writes regular expressions only, a literal escaped and anchored.
		IssuerRegExp:         r.issuer.anchored(),
		AdditionalExtensions: r.extensions,
		Rekor:                cipURL{URL: publicRekor},
	}
	if r.subject.set() {
		keyless.SubjectRegExp = r.subject.anchored()
	}
	if len(keyless.AdditionalExtensions) == 0 {
		keyless.AdditionalExtensions = nil
	}
	att := kyvernoAttestation{Type: r.predicateType, Attestors: []kyvernoAttestorSet{{Entries: []kyvernoAttestor{{Keyless: keyless}}}}}
	var conds []kyvernoCondition
	for _, f := range []struct{ key, what, val string }{
		{"{{ runDetails.builder.id }}", "builder id", r.builderID.exact},
		{"{{ buildDefinition.buildType }}", "build type", r.buildType.exact},
	} {
		if f.val != "" {
			conds = append(conds, kyvernoCondition{Key: f.key, Operator: "Equals", Value: f.val,
				Message: fmt.Sprintf("the provenance's %s must be %s", f.what, f.val)})
		}
	}
	sort.SliceStable(conds, func(i, j int) bool { return conds[i].Key < conds[j].Key })
	if len(conds) > 0 {
		att.Conditions = []kyvernoConditions{{All: conds}}
	}
	return kyvernoPolicy{
		APIVersion: "kyverno.io/v1",
		Kind:       "ClusterPolicy",
		Metadata:   metadata(opts.Name),
		Spec: kyvernoSpec{
			Background:            false,
			WebhookTimeoutSeconds: 30,
			Rules: []kyvernoRule{{
				Name:  "signet-provenance",
				Match: kyvernoMatch{Any: []kyvernoResourceFilter{{Resources: kyvernoResources{Kinds: []string{"Pod"}}}}},
				VerifyImages: []kyvernoImageCheck{{
					Type:            "SigstoreBundle",
					ImageReferences: opts.Images,
					FailureAction:   "Enforce",
					MutateDigest:    true,
					VerifyDigest:    true,
					Required:        true,
					Attestations:    []kyvernoAttestation{att},
				}},
			}},
		},
	}
}

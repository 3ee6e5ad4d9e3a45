package verify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxPolicySize bounds a policy file: a policy is a few hundred bytes.
const maxPolicySize = 1 << 20

// LocalIssuerRegexp matches the OIDC issuers of a local Sigstore (localsigstore), which serve
// every preset at http://127.0.0.1:PORT/oidc/PRESET.
const LocalIssuerRegexp = `^http://127\.0\.0\.1:[0-9]+/oidc/[a-z]+$`

// LocalDefault is the identity policy used with a local Sigstore when none is given: any
// identity its own issuers certify. Nowhere else is there a default.
func LocalDefault() Identity {
	return Identity{IssuerRegexp: LocalIssuerRegexp, SubjectRegexp: `^.+$`}
}

// ReadPolicy reads a YAML (or JSON) policy file of at most 1 MiB. It is strict: see ParsePolicy.
func ReadPolicy(path string) (Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return Policy{}, fmt.Errorf("reading policy file %q: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPolicySize+1))
	if err != nil {
		return Policy{}, fmt.Errorf("reading policy file %q: %w", path, err)
	}
	p, err := ParsePolicy(b)
	if err != nil {
		return Policy{}, fmt.Errorf("policy file %q: %w", path, err)
	}
	return p, nil
}

// ParsePolicy decodes one YAML (or JSON) policy document strictly, so a typo cannot drop a
// requirement: unknown keys, keys that differ from a known one only in case, duplicate keys,
// values of the wrong type, empty values, aliases, tags and further documents are errors
// naming the key and line. docs/policy.schema.json describes the format. It checks every
// field on its own but does not require an identity: flags may complete it; Compile does that.
func ParsePolicy(b []byte) (Policy, error) {
	if len(b) > maxPolicySize {
		return Policy{}, policyErr(ErrInvalidPolicy, "more than the %d bytes a policy may have", maxPolicySize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return Policy{}, policyErr(ErrInvalidPolicy, "the document is empty")
	} else if err != nil {
		return Policy{}, policyErr(ErrInvalidPolicy, "%v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Policy{}, policyErr(ErrInvalidPolicy, "a policy is one document; found more, or %v", err)
	}
	var p Policy
	if err := decodePolicy(doc.Content[0], &p); err != nil {
		return Policy{}, err
	}
	if err := p.check(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// check validates every field of a parsed policy on its own.
func (p Policy) check() error {
	if err := checkVersion(p.Version); err != nil {
		return err
	}
	if err := checkProvenance(p.Provenance); err != nil {
		return err
	}
	id, err := p.Identity.Expand()
	if err != nil {
		return err
	}
	return (&Compiled{}).compileIdentity(&id, true)
}

// policyFields maps each key of a policy document to where its value goes.
func policyFields(p *Policy) map[string]any {
	id, pr := &p.Identity, &p.Provenance
	return map[string]any{
		"version":     &p.Version,
		"requireTlog": &p.RequireTlog,
		"identity": map[string]*string{
			"issuer": &id.Issuer, "issuerRegexp": &id.IssuerRegexp, "identity": &id.Subject, "identityRegexp": &id.SubjectRegexp,
			"sourceRepository": &id.SourceRepository, "sourceRef": &id.SourceRef, "sourceDigest": &id.SourceDigest,
			"signerWorkflow": &id.SignerWorkflow, "runnerEnvironment": &id.RunnerEnvironment, "trigger": &id.Trigger,
			"github": &id.GitHub, "gitlab": &id.GitLab, "gitlabURL": &id.GitLabURL,
			"kubernetesNamespace": &id.KubernetesNamespace, "serviceAccount": &id.ServiceAccount,
		},
		"provenance": map[string]*string{
			"predicateType": &pr.PredicateType, "builderID": &pr.BuilderID, "buildType": &pr.BuildType,
		},
	}
}

func decodePolicy(n *yaml.Node, p *Policy) error {
	fields := policyFields(p)
	return walkMapping(n, "", keysOf(fields), func(key string, v *yaml.Node) error {
		switch dst := fields[key].(type) {
		case *int:
			if err := scalar(v, key, "!!int", dst); err != nil {
				return err
			}
			if *dst != 1 {
				return lineErr(v, "version %d, expected 1", *dst)
			}
			return nil
		case *bool:
			return scalar(v, key, "!!bool", dst)
		case map[string]*string:
			return walkMapping(v, key, keysOf(dst), func(k string, s *yaml.Node) error {
				return scalar(s, key+"."+k, "!!str", dst[k])
			})
		}
		return nil
	})
}

func keysOf[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// walkMapping calls each for every key of a mapping node, refusing unknown keys, keys that
// differ from a known one only in case, and duplicates.
func walkMapping(n *yaml.Node, at string, known map[string]bool, each func(key string, v *yaml.Node) error) error {
	where := "the document"
	if at != "" {
		where = at
	}
	if n.Kind == yaml.AliasNode {
		return lineErr(n, "%s: aliases are not allowed in a policy", where)
	}
	if n.Kind != yaml.MappingNode || n.Tag != "!!map" {
		return lineErr(n, "%s: expected a mapping of keys to values", where)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			return lineErr(k, "%s: merge keys (<<) are not allowed in a policy", where)
		}
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			return lineErr(k, "%s: keys must be plain strings", where)
		}
		name := k.Value
		if at != "" {
			name = at + "." + k.Value
		}
		if line, dup := seen[k.Value]; dup {
			return lineErr(k, "duplicate key %q (first on line %d)", name, line)
		}
		seen[k.Value] = k.Line
		if !known[k.Value] {
			return lineErr(k, "unknown key %q%s", name, didYouMean(k.Value, known))
		}
		if err := each(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

// didYouMean names the known key an unknown one differs from only in case.
func didYouMean(key string, known map[string]bool) string {
	for k := range known {
		if strings.EqualFold(k, key) {
			return fmt.Sprintf(" (keys are case-sensitive: did you mean %q?)", k)
		}
	}
	return ""
}

// scalar decodes a scalar node of the given YAML tag into dst.
func scalar(n *yaml.Node, key, tag string, dst any) error {
	want := map[string]string{"!!str": "a string", "!!int": "an integer", "!!bool": "true or false"}[tag]
	switch {
	case n.Kind == yaml.AliasNode:
		return lineErr(n, "%s: aliases are not allowed in a policy", key)
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return lineErr(n, "%s has no value: give %s or remove the key", key, want)
	case n.Kind != yaml.ScalarNode || n.Tag != tag:
		return lineErr(n, "%s: expected %s", key, want)
	}
	if err := n.Decode(dst); err != nil {
		return lineErr(n, "%s: %v", key, err)
	}
	if s, ok := dst.(*string); ok && *s == "" {
		return lineErr(n, "%s is empty: give a value or remove the key", key)
	}
	return nil
}

func lineErr(n *yaml.Node, format string, args ...any) error {
	return policyErr(ErrInvalidPolicy, "line %d: "+format, append([]any{n.Line}, args...)...)
}

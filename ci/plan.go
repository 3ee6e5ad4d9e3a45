package ci

import (
	"fmt"

	"github.com/signet-ci/signet/core"
	"github.com/signet-ci/signet/provenance"
)

// Plan is an attest run as a CI platform's inputs and environment describe it. Zero fields
// were not given and leave the command line's values alone.
type Plan struct {
	// Dir is the platform's workspace, absolute: subjects, checksum files and the output
	// directory resolve against it. "" keeps the working directory.
	Dir string
	// Subjects are the subjects the platform's inputs name; they add to the command line's.
	Subjects core.Inputs
	// Settings are the platform's other inputs; given ones win over the command line's flags.
	Settings Settings
	// Token is the platform's own identity token. It is used only when neither the command
	// line nor SIGSTORE_ID_TOKEN chose the identity; nil when the platform has none.
	Token core.TokenSource
	// TokenFrom names the platform's token in errors ("the runner's ID token"); the command
	// checks every token it uses with ci.Checked under this name.
	TokenFrom string
	// TaskRun is what a Tekton TaskRun says about itself, for the provenance; zero elsewhere.
	TaskRun provenance.TektonParams
	// Images are container image references (tag or digest) the platform's inputs name as
	// subjects; they add to the command line's --image.
	Images []string
	// Registries are the platform's own registry credentials (GitLab's CI_REGISTRY_USER and
	// CI_REGISTRY_PASSWORD, GitHub's token for ghcr.io), used before the Docker config.
	Registries []RegistryCredential
}

// RegistryCredential is a user name and password for one registry host, and which input or
// variable they came from (named in errors; the values never are).
type RegistryCredential struct {
	Registry, Username, Password, Source string
}

// Settings are the run settings a CI platform's inputs may give. Zero fields were not given.
type Settings struct {
	// SBOMFormats are checked SBOM format names (core.CheckSBOMFormats).
	SBOMFormats []string
	// PredicateType and PredicatePath (absolute) name a custom predicate to sign too; or
	// PredicateType and Predicate, the predicate's JSON object given inline.
	PredicateType, PredicatePath string
	Predicate                    []byte
	// Sigstore is "auto", "public", "github", or an absolute directory holding
	// trusted_root.json and signing_config.json.
	Sigstore string
	// OutputDir is the directory for bundles, SBOMs and the index, absolute or relative to
	// the Plan's Dir.
	OutputDir string
	// MaxSubjects is the number of subjects per statement.
	MaxSubjects int
	// PrivateRepoTlog logs attestations of private and internal repositories too.
	PrivateRepoTlog bool
	// PushToRegistry attaches each bundle naming an image to that image in its registry.
	PushToRegistry bool
	// ImagePlatforms is "all" to add each platform manifest of an index as a subject.
	ImagePlatforms string
	// Key is the signing key (--key): a KMS or HSM reference as given, or the absolute path
	// of a PEM private key file (Reader.Key). "" signs keylessly.
	Key string
	// KeyFrom names the key's input in errors (Reader.Named: "input key (INPUT_KEY)").
	KeyFrom string
	// MetricsFile is where the run's metrics go (absolute, checked by MetricsFile), in the
	// Prometheus text format unless it ends in .json. The command line's --metrics-file wins.
	MetricsFile string
}

// Outcome is a finished attest run, as every adapter publishes it.
type Outcome struct {
	// Index is what the run wrote; its bundle names are relative to OutputDir.
	Index *core.Index
	// Dir is the workspace the subjects' names are relative to, absolute ("" when unknown).
	Dir string
	// OutputDir is the absolute directory holding the bundles and the index.
	OutputDir string
	// Subjects are the run's subjects in index order.
	Subjects []core.Subject
	// Sigstore is the Sigstore the run used: "public", "github", "local", or an absolute directory.
	Sigstore string
	// Visibility is the source repository's visibility as the verified identity token states
	// it ("public", "private", "internal"; "" when the token states none).
	Visibility string
	// NoCTLog reports that the Sigstore's trusted root lists no certificate transparency log,
	// so its certificates carry no SCT for a verifier to require (the local Sigstore, many
	// private ones).
	NoCTLog bool
	// PublicKey is what a verifier passes as --public-key for a key-signed run: the KMS or
	// HSM reference (a PKCS#11 PIN redacted), or the absolute path of the public key file the
	// run wrote; "" for a keyless run.
	PublicKey string
	// MetricsFile is the absolute file the run's metrics were written to, and Phases and
	// DurationSeconds what it says of the run's time; zero when the run wrote no metrics.
	MetricsFile     string
	Phases          []PhaseTime
	DurationSeconds float64
}

// PublicLogWarning says what a run of a private or internal repository published on the
// public-good Sigstore, and how to publish nothing; "" for any other run. input names the
// platform's way to choose a Sigstore ("the input sigstore: DIR").
func (o Outcome) PublicLogWarning(input string) string {
	if o.Sigstore != "public" || (o.Visibility != "private" && o.Visibility != "internal") || o.Index == nil || o.Index.Signer == nil ||
		o.PublicKey != "" { // a key-signed run has no certificate and no log entry
		return ""
	}
	logged := "The attestations were not sent to the Rekor transparency log (timestamped only)."
	if o.Index.Tlog.Used {
		logged = "The attestations, with the subjects' names and digests, were also recorded in the public Rekor transparency log."
	}
	return fmt.Sprintf("warning: this %s repository was signed with the public-good Sigstore: its Fulcio records every "+
		"signing certificate in a public certificate transparency log, and this run's certificate names %q and the "+
		"repository, ref, commit, pipeline and job it ran for. %s To publish nothing, sign with a self-managed "+
		"Sigstore (%s, a directory holding its trusted_root.json and signing_config.json).",
		o.Visibility, o.Index.Signer.Subject, logged, input)
}

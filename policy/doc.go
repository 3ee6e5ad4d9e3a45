// Package policy turns a verify policy into the admission policies of a Kubernetes cluster:
// a sigstore policy-controller ClusterImagePolicy and a Kyverno ClusterPolicy, so the rule a
// release manager checks with signet verify is the rule the cluster admits.
//
// Export takes the policy as verify compiles it (one policy model), maps each requirement to
// the target's own fields, and refuses, naming the requirement, what the target cannot check
// exactly: a weaker admission rule than the verify rule would be a false accept.
// docs/verify.md ("Deploy-time policies") lists what each target can express.
package policy

// Package tekton is signet's Tekton adapter. It translates the contract signet's Task gives its
// step into what the attest pipeline needs, and reports the run as Tekton results:
//
//   - params arrive as arguments and as environment variables the Task sets from
//     $(params.*), $(context.taskRun.*), $(workspaces.source.path) and $(results.*.path)
//     (never interpolated into a script);
//   - the identity token is a projected service-account token (audience "sigstore") read from
//     /var/run/sigstore/cosign/oidc-token, the path cosign's filesystem provider uses, afresh
//     at every use because the kubelet rotates it;
//   - subjects are resolved against the source workspace;
//   - results (Tekton Chains type hints ARTIFACT_OUTPUTS and IMAGES, index-path and
//     bundle-path) are written exactly, without a trailing newline, after checking that the
//     termination message Tekton builds from them fits its 4,096-byte budget.
//
// The package holds no signing, hashing or policy logic: that lives in core and below. The
// Task itself is task/signet/<version>/signet.yaml.
package tekton

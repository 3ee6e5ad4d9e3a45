// Package tekton is signet's Tekton adapter. Its Adapter implements the command's adapter
// contract (Plan, Check, Publish, Fail) by mapping what signet's Task gives its step onto
// package ci, and lays the outcome out as Tekton results:
//
//   - params arrive as arguments and as environment variables the Task sets from
//     $(params.*), $(context.taskRun.*), $(workspaces.source.path) and $(results.*.path)
//     (never interpolated into a script); they are read with ci.Reader in Tekton's syntax (one
//     item per line), and a wrong one is a *ci.InputError naming the param;
//   - the identity token is a projected service-account token (audience "sigstore") read from
//     /var/run/sigstore/cosign/oidc-token, the path cosign's filesystem provider uses, afresh
//     at every use because the kubelet rotates it; the command checks it (ci.Checked) and uses
//     it only when no other identity was given;
//   - subjects are resolved against the source workspace;
//   - results (Tekton Chains type hints ARTIFACT_OUTPUTS and IMAGES, index-path and
//     bundle-path) are written exactly, without a trailing newline, after checking that the
//     termination message Tekton builds from them fits its 4,096-byte budget; too many images
//     are refused once the subjects are digested, before anything is signed.
//
// The package holds no signing, hashing or policy logic: that lives in core and below. The
// Task itself is task/signet/<version>/signet.yaml.
package tekton

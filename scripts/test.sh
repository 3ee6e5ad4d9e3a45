#!/usr/bin/env bash
# The whole test suite: vet, unit and in-process end-to-end tests (tiers 1 and 2), short fuzz
# runs, then the tier-3 tests against upstream Fulcio, timestamp-authority, Rekor and cosign.
# With CI=true nothing may be skipped: a service that cannot start fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

# The HTML report's browser test (verify: TestHTMLInBrowser) loads the report in Debian's
# headless Chromium; install it once (idempotent, quiet). Without it that test fails, naming
# the command.
if ! command -v chromium >/dev/null && ! command -v chromium-headless-shell >/dev/null; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing chromium for the HTML report's browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "scripts/test.sh: no chromium; the browser test will fail: apt-get install -y chromium" >&2
  fi
fi

# The PKCS#11 tests (keys: TestPKCS11, tier 3: TestPKCS11SignVerifyCosign) sign on a SoftHSM2
# token; install Debian's softhsm2 once. Without it those tests fail, naming the command.
if ! command -v softhsm2-util >/dev/null; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing softhsm2 for the PKCS#11 tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null
  else
    echo "scripts/test.sh: no softhsm2; the PKCS#11 tests will fail: apt-get install -y softhsm2" >&2
  fi
fi

echo "== go vet (and the release image's nolocalsigstore build, and the pkcs11 build) (at ${SECONDS}s)"
go vet ./...
go vet -tags nolocalsigstore ./cli
go vet -tags pkcs11 ./keys ./cli

echo "== other systems: go vet for darwin and windows (at ${SECONDS}s)"
# vet type-checks every package and its tests for the target (the release builds arm64 too).
# Tests that need Unix's special files (FIFOs, devices) or getrusage live in *_unix_test.go.
# One exception: policy's tests load the admission controllers' own Kubernetes types
# (policy-controller, Kyverno), a large tree (CUE, Kubernetes) that made the cold cross-vet take
# 14 minutes here; those tests do nothing OS-specific, so policy's code is built for both OSes
# and its tests are not vetted for them.
others=$(go list ./... | grep -v '/policy$')
for goos in darwin windows; do
  GOOS=$goos go vet $others
  GOOS=$goos go build ./policy
done

echo "== go test (tiers 1 and 2) (at ${SECONDS}s)"
go test -count=1 -timeout 20m ./...
# PKCS#11 (HSM) keys need cgo and the pkcs11 build tag.
go test -count=1 -tags pkcs11 ./keys/

echo "== fuzz (brief) (at ${SECONDS}s)"
# Each target first replays its whole cached corpus ($GOCACHE/fuzz), which grows with every run
# and came to take most of this stage; a brief run starts from the seeds in testdata/ instead.
# Failing inputs are written to testdata/fuzz, which this does not touch. For a long fuzzing run
# use the commands in docs/verify.md, which keep the cache.
go clean -fuzzcache
while read -r pkg target execs; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  # A count (Nx), not a duration: see scripts/fuzz-targets.txt. No minimisation in a brief run.
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZEXECS:-$execs}x" -fuzzminimizetime 0 "$pkg"
done < scripts/fuzz-targets.txt

echo "== tier 3 (upstream services and cosign) (at ${SECONDS}s)"
scripts/tier3.sh
echo "== all passed in ${SECONDS}s"

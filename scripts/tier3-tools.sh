#!/usr/bin/env bash
# Builds the upstream Sigstore services, verifier and OCI registry used by the tier-3 tests into a cache
# directory outside the repository. Each tool is built once per version and reused after that.
# Usage: scripts/tier3-tools.sh            (prints the bin directory on its last line)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SIGNET_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/signet-tools}/bin
mkdir -p "$bin"

# One build at a time per cache directory: a second caller waits for the first one's result.
if command -v flock >/dev/null; then
  exec 9>"$bin/.lock"
  if ! flock -n 9; then
    echo "tier3-tools: waiting for another build in $bin" >&2
    flock 9
  fi
fi

# name|module@version|binary
tools=(
  "fulcio|github.com/sigstore/fulcio@v1.8.8|fulcio"
  "timestamp-server|github.com/sigstore/timestamp-authority/cmd/timestamp-server@v1.2.9|timestamp-server"
  "rekor-server|github.com/sigstore/rekor/cmd/rekor-server@v1.5.4|rekor-server"
  "cosign|github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3|cosign"
  "registry|github.com/distribution/distribution/v3/cmd/registry@v3.1.2|registry"
  "local-kms|github.com/nsmithuk/local-kms@v0.0.0-20260228092603-2a5e92d09ab6|local-kms"
  # A certificate transparency log (on trillian-mem) for the Fulcio whose certificates carry SCTs.
  "ct_server|github.com/google/certificate-transparency-go/trillian/ctfe/ct_server@v1.3.3|ct_server"
  "createtree|github.com/google/trillian/cmd/createtree@v1.7.3|createtree"
)

build() {
  local name=$1 mod=$2 out=$3
  local stamp="$bin/.$out.version"
  if [[ -x "$bin/$out" && -f "$stamp" && "$(cat "$stamp")" == "$mod" ]]; then
    return 0
  fi
  echo "tier3-tools: building $mod" >&2
  GOBIN="$bin" GOFLAGS=-buildvcs=false CGO_ENABLED=0 go install -trimpath -ldflags=-s "$mod"
  echo "$mod" > "$stamp"
}

for t in "${tools[@]}"; do
  IFS='|' read -r name mod out <<<"$t"
  build "$name" "$mod" "$out"
done

# The in-memory Trillian log is our own small program in its own module (tools/trillian-mem),
# so the project's go.mod never carries Rekor's backend.
sum=$(cat "$root/tools/trillian-mem/go.mod" "$root/tools/trillian-mem/go.sum" "$root/tools/trillian-mem/main.go" | sha256sum | cut -c1-16)
if [[ ! -x "$bin/trillian-mem" || ! -f "$bin/.trillian-mem.version" || "$(cat "$bin/.trillian-mem.version")" != "$sum" ]]; then
  echo "tier3-tools: building trillian-mem" >&2
  (cd "$root/tools/trillian-mem" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$bin/trillian-mem" .)
  echo "$sum" > "$bin/.trillian-mem.version"
fi

echo "$bin"

#!/usr/bin/env bash
# The composite action's first step (action.yml): put the signet release binary pinned in
# action.yml for this runner's OS and architecture into the runner's tool cache, checked
# against its pinned SHA-256 (also when it is already cached), and output its path. Nothing
# runs unless the binary's SHA-256 is the pinned one.
#
# Environment: SIGNET_VERSION, SIGNET_SHA256SUMS ("HEX  NAME" lines) and SIGNET_RELEASE_URL
# from action.yml; SIGNET_ACTION_REF (the action's own ref); RUNNER_OS, RUNNER_ARCH,
# RUNNER_TOOL_CACHE, RUNNER_TEMP and GITHUB_OUTPUT from the runner.
set -euo pipefail

fail() {
  # One annotation for the run's page, the same words in the step log.
  echo "::error title=signet install::$*"
  echo "signet install: $*" >&2
  exit 1
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1 # macOS
  else
    fail "neither sha256sum nor shasum is on PATH: cannot check the signet binary"
  fi
}

# unix_path maps a Windows path the runner gives (C:\hostedtoolcache\windows, D:/a/_temp) to
# the form Git Bash uses (/c/hostedtoolcache/windows) when RUNNER_OS is Windows; other paths,
# and every path on other systems, are kept as they are (a backslash is a file name character
# there).
unix_path() {
  local p="$1"
  if [[ "${RUNNER_OS:-}" == Windows ]]; then
    p="${p//\\//}"
    if [[ "$p" =~ ^([A-Za-z]):(/.*)?$ ]]; then
      p="/$(tr '[:upper:]' '[:lower:]' <<<"${BASH_REMATCH[1]}")${BASH_REMATCH[2]}"
    fi
  fi
  printf '%s\n' "$p"
}

main() {
  version="${SIGNET_VERSION:-}"
  [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
    fail "action.yml pins the version \"$version\", which is not vMAJOR.MINOR.PATCH"
  ref="${SIGNET_ACTION_REF:-}"
  if [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ && "$ref" != "$version" ]]; then
    fail "the action is used at $ref but its action.yml pins signet $version: that tag was not cut by the release step (docs/release.md)"
  fi

  case "${RUNNER_OS:-}" in
    Linux) os=linux ;;
    macOS) os=darwin ;;
    Windows) os=windows ;;
    *) fail "RUNNER_OS \"${RUNNER_OS:-}\": signet is released for Linux, macOS and Windows runners" ;;
  esac
  case "${RUNNER_ARCH:-}" in
    X64) arch=amd64 ;;
    ARM64) arch=arm64 ;;
    *) fail "RUNNER_ARCH \"${RUNNER_ARCH:-}\": signet is released for X64 and ARM64 runners" ;;
  esac
  asset="signet-$os-$arch"
  exe=signet
  if [[ $os == windows ]]; then
    asset+=.exe
    exe=signet.exe
  fi

  want=""
  while read -r sum name; do
    if [[ "$name" == "$asset" ]]; then
      want="$sum"
    fi
  done <<<"${SIGNET_SHA256SUMS:-}"
  if [[ -z "$want" ]]; then
    fail "this action's ref pins no SHA-256 for $asset (signet $version): use the action at a release tag, such as signet-ci/signet@$version, whose action.yml the release step pinned"
  fi
  [[ "$want" =~ ^[0-9a-f]{64}$ ]] || fail "the SHA-256 pinned for $asset, \"$want\", is not 64 hex digits"

  base="${SIGNET_RELEASE_URL:-https://github.com/signet-ci/signet/releases/download}"
  base="${base%/}"
  if [[ ! "$base" =~ ^https:// && ! "$base" =~ ^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/|$) ]]; then
    fail "SIGNET_RELEASE_URL \"$base\": want an https:// URL (http only on loopback)"
  fi
  url="$base/$version/$asset"

  temp="$(unix_path "${RUNNER_TEMP:-/tmp}")"
  cache_root="$(unix_path "${RUNNER_TOOL_CACHE:-$temp/toolcache}")"
  # The tool cache's layout (actions/toolkit tool-cache): TOOL/VERSION/ARCH, with ARCH.complete
  # beside the directory once the tool is in place.
  dir="$cache_root/signet/${version#v}/$(tr '[:upper:]' '[:lower:]' <<<"$RUNNER_ARCH")"
  bin="$dir/$exe"

  if [[ -f "$dir.complete" && -f "$bin" ]] && [[ "$(sha256 "$bin")" == "$want" ]]; then
    echo "signet $version ($asset) from the tool cache, SHA-256 $want"
  else
    tmpdir="$(mktemp -d "$temp/signet-download.XXXXXX")"
    trap 'rm -rf "$tmpdir"' EXIT
    echo "downloading $url"
    if ! curl --fail --silent --show-error --location --retry 3 --retry-delay 2 --connect-timeout 20 \
      --max-time 300 --max-filesize 268435456 --output "$tmpdir/$exe" "$url"; then
      fail "downloading $url failed; nothing was run"
    fi
    got="$(sha256 "$tmpdir/$exe")"
    if [[ "$got" != "$want" ]]; then
      fail "SHA-256 mismatch for $asset from $url: action.yml pins sha256:$want for signet $version, the download is sha256:$got; refusing to run it"
    fi
    rm -f "$dir.complete"
    mkdir -p "$dir"
    chmod 0755 "$tmpdir/$exe"
    mv -f "$tmpdir/$exe" "$bin"
    : >"$dir.complete"
    echo "signet $version ($asset) installed in the tool cache, SHA-256 $want"
  fi
  echo "path=$bin" >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
}

# Sourced (by the tests), it only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi

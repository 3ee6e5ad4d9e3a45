#!/usr/bin/env bash
# Tier-3 tests: signet against upstream Sigstore services and an independent verifier.
#
# Builds (once, cached) fulcio, timestamp-server, rekor-server, cosign, the distribution registry,
# local-kms and trillian-mem via scripts/tier3-tools.sh, builds signet (with -tags pkcs11), starts
# on free loopback ports:
#   timestamp-server (first: its metrics listener is fixed at :2112), signet sigstore serve (the
#   OIDC issuer), trillian-mem, rekor-server (v1), fulcio (no CT log), the distribution registry
#   (htpasswd basic auth, a random password), local-kms (an AWS KMS emulator; it listens on
#   every interface, which it offers no option to narrow), and a second fulcio shaped like
#   public-good's (a file CA of organisation "sigstore.dev", SCTs from ct_server on its own
#   trillian-mem tree),
# initialises a SoftHSM2 token (Debian's softhsm2, installed by scripts/test.sh) in the work
# directory,
# waits until each answers, runs `go test -tags tier3 ./e2e/tier3/` with SIGNET_TIER3_* naming the
# URLs and binaries, then the action's tier-3 tests (`-run '^TestTier3' ./action/`), and stops every
# process it started by PID on exit.
#
# Any service that cannot be built or started fails the script, with or without CI=true; nothing
# is skipped. Service logs go to a temporary directory that is printed (with each log's tail) on
# failure and removed on success (kept when SIGNET_TIER3_KEEP=1).
# Extra arguments go to `go test` (e.g. -run TestCosign).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
wait_secs=${SIGNET_TIER3_WAIT:-60}
t0=$SECONDS

work=$(mktemp -d "${TMPDIR:-/tmp}/signet-tier3.XXXXXX")
logs=$work/logs
mkdir -p "$logs"
declare -A pid_of=()
names=()
used_ports=" "

log() { printf 'tier3: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

stop_all() {
  local n pid i
  for ((i = ${#names[@]} - 1; i >= 0; i--)); do
    n=${names[i]} pid=${pid_of[$n]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stop_all
  if ((rc != 0)); then
    log "failed (exit $rc) after $((SECONDS - t0))s; service logs in $logs"
    for f in "$logs"/*.log; do
      [[ -f $f ]] || continue
      printf -- '--- %s (last 25 lines)\n' "$f" >&2
      tail -n 25 "$f" >&2
    done
  elif [[ ${SIGNET_TIER3_KEEP:-} == 1 ]]; then
    log "passed in $((SECONDS - t0))s; kept $work"
  else
    rm -rf "$work"
    log "passed in $((SECONDS - t0))s"
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port VAR: sets VAR to a loopback port nothing listens on, below the kernel's ephemeral range.
free_port() {
  local p
  for _ in $(seq 500); do
    p=$((20000 + RANDOM % 12000))
    [[ $used_ports == *" $p "* ]] && continue
    if ! port_open "$p"; then
      used_ports+="$p "
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  die "no free loopback port found in 20000-31999"
}

# start NAME CMD...: runs CMD in the background with its output in $logs/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$logs/$name.log" 2>&1 &
  pid_of[$name]=$!
  names+=("$name")
  log "started $name (pid $!)"
}

# alive NAME: fails the script if NAME's process has exited.
alive() {
  local rc
  kill -0 "${pid_of[$1]}" 2>/dev/null && return 0
  wait "${pid_of[$1]}" 2>/dev/null && rc=0 || rc=$?
  die "$1 exited (status $rc) before answering; see $logs/$1.log"
}

# wait_http NAME URL: waits until URL answers 2xx, at most $wait_secs seconds.
wait_http() {
  local name=$1 url=$2 deadline=$((SECONDS + wait_secs))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    alive "$name"
    ((SECONDS < deadline)) || die "$name did not answer GET $url within ${wait_secs}s; see $logs/$name.log"
    sleep 0.2
  done
  log "$name ready at $url"
}

# wait_port NAME PORT: waits until 127.0.0.1:PORT accepts connections, at most $wait_secs seconds.
wait_port() {
  local name=$1 port=$2 deadline=$((SECONDS + wait_secs))
  until port_open "$port"; do
    alive "$name"
    ((SECONDS < deadline)) || die "$name did not listen on 127.0.0.1:$port within ${wait_secs}s; see $logs/$name.log"
    sleep 0.2
  done
  log "$name ready on 127.0.0.1:$port"
}

command -v curl >/dev/null || die "curl is required to wait for the services"

log "building tools (cached in ${SIGNET_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/signet-tools})"
tb=$SECONDS
bin=$(scripts/tier3-tools.sh | tail -n 1) || die "scripts/tier3-tools.sh failed"
for t in fulcio timestamp-server rekor-server cosign registry local-kms trillian-mem ct_server createtree; do
  [[ -x $bin/$t ]] || die "tool $t missing from $bin after scripts/tier3-tools.sh"
done
log "tools ready in $((SECONDS - tb))s"

tb=$SECONDS
# -tags pkcs11 (cgo): TestPKCS11SignVerifyCosign signs on a SoftHSM2 token.
go build -tags pkcs11 -o "$work/signet" . || die "go build -tags pkcs11 of signet failed (PKCS#11 needs cgo and a C compiler)"
log "signet built in $((SECONDS - tb))s"

# The timestamp authority's metrics listener is fixed at :2112 and it exits when that is taken.
for _ in $(seq 50); do port_open 2112 || break; sleep 0.2; done
if port_open 2112; then
  die "port 2112 is in use (timestamp-server needs it for metrics): $(ss -ltnp 'sport = :2112' 2>/dev/null | tail -n +2)"
fi

free_port tsa_port
start tsa "$bin/timestamp-server" serve --host 127.0.0.1 --port "$tsa_port" \
  --timestamp-signer memory --disable-ntp-monitoring
tsa_url=http://127.0.0.1:$tsa_port
wait_http tsa "$tsa_url/api/v1/timestamp/certchain"

free_port oidc_port
mkdir -p "$work/home"
start oidc env HOME="$work/home" XDG_STATE_HOME="$work/home/state" XDG_CACHE_HOME="$work/home/cache" \
  "$work/signet" sigstore serve --addr "127.0.0.1:$oidc_port" --state-dir "$work/home/localsigstore"
oidc_url=http://127.0.0.1:$oidc_port
for preset in email github gitlab; do
  wait_http oidc "$oidc_url/oidc/$preset/.well-known/openid-configuration"
done

free_port trillian_port
start trillian "$bin/trillian-mem" -address "127.0.0.1:$trillian_port"
wait_port trillian "$trillian_port"

free_port rekor_port
start rekor "$bin/rekor-server" serve \
  --trillian_log_server.address 127.0.0.1 --trillian_log_server.port "$trillian_port" \
  --rekor_server.address 127.0.0.1 --rekor_server.hostname 127.0.0.1 --port "$rekor_port" \
  --rekor_server.signer memory --enable_retrieve_api=false \
  --enabled_api_endpoints getLogInfo,getPublicKey,getLogProof,createLogEntry,getLogEntryByIndex,getLogEntryByUUID,searchLogQuery
rekor_url=http://127.0.0.1:$rekor_port
wait_http rekor "$rekor_url/api/v1/log"

free_port fulcio_port
free_port fulcio_grpc_port
free_port fulcio_metrics_port
sed "s#@OIDC@#$oidc_url#g" e2e/tier3/testdata/fulcio-config.json >"$work/fulcio.json"
rm -f "$work/fulcio-legacy.sock"
start fulcio "$bin/fulcio" serve --ca ephemeralca --config-path "$work/fulcio.json" --ct-log-url "" \
  --host 127.0.0.1 --port "$fulcio_port" --grpc-host 127.0.0.1 --grpc-port "$fulcio_grpc_port" \
  --metrics-port "$fulcio_metrics_port" --legacy-unix-domain-socket "$work/fulcio-legacy.sock"
fulcio_url=http://127.0.0.1:$fulcio_port
wait_http fulcio "$fulcio_url/api/v2/trustBundle"

# A second Fulcio shaped like public-good's: its CA (a file CA made here) names the organisation
# "sigstore.dev", by which gh picks its public-good verifier, and its certificates carry an SCT
# from a certificate transparency log (ct_server on its own tree of trillian-mem).
command -v openssl >/dev/null || die "openssl is required to make the CT log's key and the file CA"
openssl ecparam -genkey -name prime256v1 -noout -out "$work/fulcio-ct-ca.key" 2>>"$logs/openssl.log" ||
  die "openssl: making the file CA's key failed; see $logs/openssl.log"
openssl req -x509 -new -key "$work/fulcio-ct-ca.key" -subj "/O=sigstore.dev/CN=signet-tier3" -days 2 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$work/fulcio-ct-ca.pem" 2>>"$logs/openssl.log" || die "openssl: making the file CA failed; see $logs/openssl.log"
ct_pass=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
{ openssl ecparam -genkey -name prime256v1 -noout | openssl ec -aes256 -passout "pass:$ct_pass" -out "$work/ct-log.key" &&
  openssl ec -in "$work/ct-log.key" -passin "pass:$ct_pass" -pubout -out "$work/ct-log.pub"; } 2>>"$logs/openssl.log" ||
  die "openssl: making the CT log's key failed; see $logs/openssl.log"
ct_tree=$("$bin/createtree" --admin_server "127.0.0.1:$trillian_port" --display_name signet-tier3-ct 2>"$logs/createtree.log") ||
  die "createtree on trillian-mem failed; see $logs/createtree.log"
printf '%s\n' "config {" "  log_id: $ct_tree" '  prefix: "signet"' "  roots_pem_file: \"$work/fulcio-ct-ca.pem\"" \
  "  private_key: {" "    [type.googleapis.com/keyspb.PEMKeyFile] {" "      path: \"$work/ct-log.key\"" \
  "      password: \"$ct_pass\"" "    }" "  }" '  ext_key_usages: [ "CodeSigning" ]' "}" >"$work/ct-log.cfg"
free_port ct_port
start ct-log "$bin/ct_server" --log_config "$work/ct-log.cfg" --log_rpc_server "127.0.0.1:$trillian_port" \
  --http_endpoint "127.0.0.1:$ct_port"
ct_url=http://127.0.0.1:$ct_port/signet
wait_http ct-log "$ct_url/ct/v1/get-roots"
free_port fulcio_ct_port
free_port fulcio_ct_grpc_port
free_port fulcio_ct_metrics_port
rm -f "$work/fulcio-ct-legacy.sock"
start fulcio-ct "$bin/fulcio" serve --ca fileca --fileca-cert "$work/fulcio-ct-ca.pem" \
  --fileca-key "$work/fulcio-ct-ca.key" --fileca-key-passwd unused --fileca-watch=false \
  --config-path "$work/fulcio.json" --ct-log-url "$ct_url" \
  --host 127.0.0.1 --port "$fulcio_ct_port" --grpc-host 127.0.0.1 --grpc-port "$fulcio_ct_grpc_port" \
  --metrics-port "$fulcio_ct_metrics_port" --legacy-unix-domain-socket "$work/fulcio-ct-legacy.sock"
fulcio_ct_url=http://127.0.0.1:$fulcio_ct_port
wait_http fulcio-ct "$fulcio_ct_url/api/v2/trustBundle"
free_port registry_port
registry_user=signet
registry_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$registry_password" | go run ./e2e/tier3/testdata/htpasswd "$registry_user" >"$work/htpasswd" ||
  die "writing the registry's htpasswd file failed"
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$registry_port
auth:
  htpasswd:
    realm: signet-tier3
    path: $work/htpasswd
EOF
start registry "$bin/registry" serve "$work/registry.yml"
wait_port registry "$registry_port"

free_port kms_port
mkdir -p "$work/kms"
start kms env KMS_DATA_PATH="$work/kms" KMS_REGION=us-east-1 PORT="$kms_port" "$bin/local-kms"
kms_url=http://127.0.0.1:$kms_port
wait_port kms "$kms_port"

# A SoftHSM2 token of the run's own, in the work directory.
command -v softhsm2-util >/dev/null || die "softhsm2-util not found: apt-get install -y softhsm2 (scripts/test.sh installs it)"
pkcs11_module=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so /usr/lib64/pkcs11/libsofthsm2.so; do
  [[ -f $m ]] && { pkcs11_module=$m; break; }
done
[[ -n $pkcs11_module ]] || die "libsofthsm2.so not found: apt-get install -y softhsm2"
mkdir -p "$work/softhsm/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/softhsm/tokens" >"$work/softhsm/softhsm2.conf"
export SOFTHSM2_CONF=$work/softhsm/softhsm2.conf
pkcs11_pin=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
softhsm2-util --init-token --free --label signet-tier3 --pin "$pkcs11_pin" --so-pin "$pkcs11_pin$pkcs11_pin" >"$logs/softhsm.log" 2>&1 ||
  die "softhsm2-util --init-token failed; see $logs/softhsm.log"
log "SoftHSM2 token signet-tier3 ready ($pkcs11_module)"
log "all services up $((SECONDS - t0))s after start"

export SIGNET_TIER3_SIGNET=$work/signet
export SIGNET_TIER3_COSIGN=$bin/cosign
export SIGNET_TIER3_OIDC_URL=$oidc_url
export SIGNET_TIER3_FULCIO_URL=$fulcio_url
export SIGNET_TIER3_TSA_URL=$tsa_url
export SIGNET_TIER3_REKOR_URL=$rekor_url
export SIGNET_TIER3_FULCIO_CT_URL=$fulcio_ct_url
export SIGNET_TIER3_CTLOG_URL=$ct_url
export SIGNET_TIER3_CTLOG_PUBKEY=$work/ct-log.pub
export SIGNET_TIER3_REGISTRY=127.0.0.1:$registry_port
export SIGNET_TIER3_REGISTRY_USER=$registry_user
export SIGNET_TIER3_REGISTRY_PASSWORD=$registry_password
export SIGNET_TIER3_KMS_URL=$kms_url
export SIGNET_TIER3_PKCS11_MODULE=$pkcs11_module
export SIGNET_TIER3_PKCS11_TOKEN=signet-tier3
export SIGNET_TIER3_PKCS11_PIN=$pkcs11_pin
tb=$SECONDS
# In the background so that a signal reaches the traps at once; stopped first on exit.
go test -tags tier3 -count=1 -timeout 10m -v ./e2e/tier3/ "$@" &
pid_of[go-test]=$!
names+=(go-test)
wait "${pid_of[go-test]}" || die "go test -tags tier3 ./e2e/tier3/ failed (exit $?)"
log "go test passed in $((SECONDS - tb))s"
# The action's tests that need the services: gh's public-good branch on the Fulcio with a CT log.
tb=$SECONDS
go test -tags tier3 -count=1 -timeout 5m -v -run '^TestTier3' ./action/ &
pid_of[go-test-action]=$!
names+=(go-test-action)
wait "${pid_of[go-test-action]}" || die "go test -tags tier3 -run '^TestTier3' ./action/ failed (exit $?)"
log "go test of the action passed in $((SECONDS - tb))s"

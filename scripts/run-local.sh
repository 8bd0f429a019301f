#!/usr/bin/env bash
# Runs the agent for real, in continuous mode, against a local test API, so
# a person can watch it work without the fivenines service:
#
#   - a throw-away CA and server certificate, made now with the openssl CLI
#     (tests/servers/make_test_pki.sh), valid for 127.0.0.2 and api.test;
#   - the test API (tests/servers/api_server.py) over TLS on 127.0.0.2, which
#     answers every POST with a config that enables collection every
#     INTERVAL seconds;
#   - the agent, with a fresh CONFIG_DIR and a random TOKEN, trusting only
#     that CA (SSL_CERT_FILE), API_URL=127.0.0.2:PORT (an address literal:
#     TLS with the certificate's IP subjectAltName checked, no DNS).
#
# Output: the agent's log lines prefixed "[agent]", and one "[api]" line per
# request the server received (what it decoded from the gzip body). On
# Ctrl-C, or after DURATION seconds when set, the agent gets SIGTERM and a
# last "[run-local]" line gives the counts: posts the agent delivered, failed
# attempts and drops (from its debug log) against what the server received.
#
#   make run-local                     builds the release binary, then runs this
#   AGENT=build/dev/fivenines-agent DURATION=330 scripts/run-local.sh
#
# Environment: AGENT (default build/release/fivenines-agent), INTERVAL
# (default 30), DURATION (seconds; default: until Ctrl-C), LOG_LEVEL
# (default debug, so each delivery shows), KEEP=1 keeps the scratch folder.
# Needs python3 and openssl. Exit status: 0 when every post the agent made
# was delivered and received, with no failed attempt and no drop; else 1.
set -euo pipefail
cd "$(dirname "$0")/.."

agent=${AGENT:-build/release/fivenines-agent}
interval=${INTERVAL:-30}
duration=${DURATION:-}
log_level=${LOG_LEVEL:-debug}
bind_address=127.0.0.2

die() {
  echo "run-local: $*" >&2
  exit 2
}
[ -x "$agent" ] || die "$agent: not an executable (run 'make release' or set AGENT)"
command -v python3 >/dev/null || die "python3 not found (Debian package python3)"
command -v openssl >/dev/null || die "openssl not found (Debian package openssl)"
[[ $interval =~ ^[0-9]+$ ]] || die "INTERVAL \"$interval\": not a whole number of seconds"
[[ -z $duration || $duration =~ ^[0-9]+$ ]] || die "DURATION \"$duration\": not a whole number of seconds"

work=$(mktemp -d "${TMPDIR:-/tmp}/fivenines-run-local-XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then
    echo "[run-local] kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

bash tests/servers/make_test_pki.sh "$work/pki" "$bind_address" api.test >/dev/null ||
  die "make_test_pki.sh failed"

mkdir -m 0700 "$work/config"
# A random token: the server sees it, the agent must never print it.
(umask 077 && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/config/TOKEN")

cat >"$work/script.json" <<EOF
[{"status": 200, "json": {"config": {
  "enabled": true, "interval": $interval,
  "request_options": {"timeout": 5, "retry": 3, "retry_interval": 5},
  "cpu": true, "memory": true, "network": true, "partitions": true, "io": true,
  "processes": true, "ports": true}}}]
EOF

python3 tests/servers/api_server.py --log "$work/api.jsonl" --script "$work/script.json" \
  --bind "$bind_address" --cert "$work/pki/good.pem" --key "$work/pki/good.key" \
  >"$work/api.port" 2>"$work/api.err" &
pids+=($!)
port=""
for _ in $(seq 100); do
  port=$(head -n 1 "$work/api.port" 2>/dev/null || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || die "the test api did not start: $(cat "$work/api.err")"
: >"$work/api.jsonl"
echo "[run-local] test api on https://$bind_address:$port (ca $work/pki/ca.pem), interval ${interval}s," \
  "${duration:+for ${duration}s, }Ctrl-C to stop"

# One line per request the server logged, as it arrives.
python3 -u - "$work/api.jsonl" <<'PY' &
import json, sys, time

path = sys.argv[1]
with open(path, encoding="utf-8") as log:
    while True:
        line = log.readline()
        if not line.endswith("\n"):
            time.sleep(0.2)
            log.seek(log.tell() - len(line))
            continue
        record = json.loads(line)
        if record.get("kind") != "request":
            print("[api] " + record.get("kind", "?") + ": " + record.get("error", ""), flush=True)
            continue
        try:
            body = json.loads(record["body"])
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("get_config"):
            what = "config request"
        elif isinstance(body, dict):
            collectors = [k for k in ("cpu", "memory", "network", "partitions_usage", "io", "processes", "ports")
                          if k in body]
            telemetry = body.get("_telemetry") or {}
            what = "metrics ts=%s keys=%d %s telemetry=%s" % (
                body.get("ts"), len(body), ",".join(collectors), json.dumps(telemetry, sort_keys=True)[:120])
        else:
            what = "NOT A JSON OBJECT"
        print("[api] #%d %s %s from %s %s sni=%s: %d gzip bytes (gzip %s) -> %d json bytes, %s" % (
            record["n"], record["method"], record["path"], record["peer"], record.get("tls_version"),
            record.get("sni"), record["body_bytes"], "ok" if record["gzip_ok"] else "BAD",
            len(record["body"].encode("utf-8")), what), flush=True)
PY
pids+=($!)

env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/config" CONFIG_DIR="$work/config" \
  API_URL="$bind_address:$port" SSL_CERT_FILE="$work/pki/ca.pem" LOG_LEVEL="$log_level" \
  "$agent" >"$work/agent.log" 2>&1 &
agent_pid=$!
pids+=("$agent_pid")
tail -n +1 -f "$work/agent.log" --pid "$agent_pid" | sed -u 's/^/[agent] /' &
pids+=($!)

stop_agent() { kill -TERM "$agent_pid" 2>/dev/null || true; }
trap stop_agent INT TERM
started=$SECONDS
while kill -0 "$agent_pid" 2>/dev/null; do
  if [ -n "$duration" ] && [ $((SECONDS - started)) -ge "$duration" ]; then
    stop_agent
    break
  fi
  sleep 1 || true  # Ctrl-C interrupts the sleep; the trap has already stopped the agent
done
status=0
wait "$agent_pid" || status=$?
sleep 1 || true  # the summary lines of the last requests
trap - INT TERM

received=$(python3 - "$work/api.jsonl" <<'PY'
import json, sys
config = metrics = other = 0
for line in open(sys.argv[1], encoding="utf-8"):
    record = json.loads(line)
    if record.get("kind") != "request":
        other += 1
        continue
    body = json.loads(record["body"]) if record["gzip_ok"] else None
    if isinstance(body, dict) and body.get("get_config"):
        config += 1
    elif isinstance(body, dict) and "ts" in body:
        metrics += 1
    else:
        other += 1
print(config, metrics, other)
PY
)
read -r config_requests metric_payloads other_records <<<"$received"
delivered=$(grep -c "delivered (attempt" "$work/agent.log" || true)
failed_attempts=$(grep -cE "attempt [0-9]+ of [0-9]+ failed" "$work/agent.log" || true)
dropped=$(grep -cE "dropped|discarded" "$work/agent.log" || true)
if grep -qF "$(cat "$work/config/TOKEN")" "$work/agent.log"; then
  echo "[run-local] THE TOKEN APPEARS IN THE AGENT'S OUTPUT"
  status=1
fi
echo "[run-local] agent exit status $status after $((SECONDS - started))s; agent: $delivered posts delivered," \
  "$failed_attempts failed attempts, $dropped drop/discard lines; server received: $metric_payloads metric" \
  "payloads + $config_requests config requests, $other_records other records"
if [ "$log_level" != debug ]; then
  echo "[run-local] (the agent-side counts need LOG_LEVEL=debug: deliveries are logged at debug level)"
  delivered=$((metric_payloads + config_requests))
fi
[ "$status" -eq 0 ] && [ "$failed_attempts" -eq 0 ] && [ "$dropped" -eq 0 ] && [ "$other_records" -eq 0 ] &&
  [ "$delivered" -eq $((metric_payloads + config_requests)) ] && [ "$metric_payloads" -gt 0 ]

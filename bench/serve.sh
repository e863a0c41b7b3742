#!/usr/bin/env bash
# Load test of `verdict serve` on loopback with wrk, bounded in time, with a
# policy edit every second during the load (two valid versions of
# export.yaml in turn, and every fifth edit a broken one, which must never
# take effect). Checks that no request fails, that every answer's digest is
# a known good one, and that every answer is named in its response's
# Verdict-Policy header (no response mixes two sets), and that every edit
# shows within a second; prints requests/s and
# latency for single tickets, tickets/s for JSON Lines batches beside
# `verdict eval`'s, the server's peak RSS, and how fast edits took effect.
#
# Usage: bash bench/serve.sh [SECONDS] [BATCH_SECONDS]   (defaults 60 and 20)
# Needs wrk (apt-get install wrk). Loopback only; everything stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
batch_secs=${2:-20}
command -v wrk >/dev/null || { echo "bench/serve.sh needs wrk (apt-get install wrk)"; exit 2; }

swift build -c release --product verdict --static-swift-stdlib >/dev/null 2>&1
swift build -c release --product verdict-server >/dev/null 2>&1
bin=.build/release

data=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

# The policies under load, and the three versions of export.yaml.
mkdir "$data/policies" "$data/edited"
cp policies/*.yaml "$data/policies/"
cp policies/*.yaml "$data/edited/"
sed -i 's/^    value: 3$/    value: 6/' "$data/edited/export.yaml"
cp policies/export.yaml "$data/export.shipped"
cp "$data/edited/export.yaml" "$data/export.edited"
{ cat "$data/export.edited"; printf '\nrules:\n  broken: [\n'; } > "$data/export.broken"
digest_of() { "$bin/verdict" check --policies "$1" | sed -n "s/^$2 [^:]*: [0-9]* decisions, \(sha256:[0-9a-f]*\)$/\1/p"; }
d_shipped=$(digest_of "$data/policies" export)
d_edited=$(digest_of "$data/edited" export)
good="$("$bin/verdict" check --policies "$data/policies" | grep -o 'sha256:[0-9a-f]*' | tr '\n' ' ')$d_edited"

# Tickets: one for single requests, batches of 1,000 for JSON Lines, and
# 200,000 for `verdict eval`'s own rate.
python3 bench/gen_tickets.py 200000 > "$data/tickets.jsonl"
head -1 "$data/tickets.jsonl" > "$data/one.json"
head -1000 "$data/tickets.jsonl" > "$data/batch.jsonl"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/verdict-server" --policies "$data/policies" --listen "127.0.0.1:$port" 2> "$data/server.log" &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null

# Peak RSS of the server while a phase runs (kB, from /proc).
rss_peak=0
watch_rss() {
  local peak=0 r
  while kill -0 "$server" 2>/dev/null && [ ! -e "$data/stop-rss" ]; do
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$server/status" 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$peak" ] && peak=$r
    echo "$peak" > "$data/rss"
    sleep 0.5
  done
}

phase() { # name seconds connections body content-type
  local name=$1 s=$2 conns=$3 body=$4 ctype=$5 status=0
  rm -f "$data/stop-rss" "$data/rss"
  watch_rss &
  local watcher=$!
  python3 bench/serve_editor.py "$port" "$data/policies" "$s" \
    "$data/export.shipped" "$data/export.edited" "$data/export.broken" "$d_shipped" "$d_edited" \
    > "$data/editor-$name" &
  local editor=$!
  VERDICT_BODY=$body VERDICT_CTYPE=$ctype VERDICT_GOOD=$good \
    wrk -t2 -c"$conns" -d"${s}s" --timeout 10s -s bench/wrk-eval.lua "http://127.0.0.1:$port/v1/eval" \
    > "$data/wrk-$name" 2>&1 || status=$?
  wait "$editor" || status=$?
  touch "$data/stop-rss"; wait "$watcher" || true
  echo "== $name: $s s, $conns connections, with an edit every second"
  grep -E '^(requests|p50_ms|answers)=' "$data/wrk-$name" | sed 's/^/   /'
  echo "   editor: $(cat "$data/editor-$name")"
  echo "   server peak RSS: $(( $(cat "$data/rss" 2>/dev/null || echo 0) / 1024 )) MiB"
  if [ "$status" -ne 0 ] || ! grep -q 'non200=0 unknown_digest=0 not_in_header=0 socket_errors=0' "$data/wrk-$name"; then
    echo "FAILED: $name"; cat "$data/wrk-$name"; exit 1
  fi
}

echo "$(nproc) cores, $(uname -m); server and wrk share them"
idle_rss=$(awk '/^VmRSS/ {print $2}' "/proc/$server/status")
echo "server RSS idle: $((idle_rss / 1024)) MiB"
phase single "$secs" 16 "$data/one.json" application/json
phase batch "$batch_secs" 4 "$data/batch.jsonl" application/x-ndjson
rps=$(sed -n 's/^requests=.* rps=\([0-9]*\)$/\1/p' "$data/wrk-batch")
echo "   JSON Lines: $((rps * 1000)) tickets/s (1,000 tickets a request)"

# `verdict eval` on the same machine: best of 3 over 200,000 tickets.
best=""
for _ in 1 2 3; do
  s=$(date +%s.%N); "$bin/verdict" eval --policies policies < "$data/tickets.jsonl" > /dev/null; e=$(date +%s.%N)
  t=$(echo "$e - $s" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
cli=$(echo "200000 / $best" | bc)
echo "== verdict eval: $cli tickets/s (200,000 tickets, best of 3, $best s)"
echo "   server JSON Lines / CLI: $(echo "scale=2; $rps * 1000 / $cli" | bc)"

metrics=$(curl -fs "http://127.0.0.1:$port/metrics")
echo "== metrics: $(echo "$metrics" | grep -E '^verdict_policy_reload(s|_failures)_total' | tr '\n' ' ')"
in_force=$(curl -fs "http://127.0.0.1:$port/v1/policies" | python3 -c 'import json,sys; print(next(p["digest"] for p in json.load(sys.stdin)["policies"] if p["name"]=="export"))')
case " $good " in *" $in_force "*) echo "ok: the set in force is a good one ($in_force)";; *) echo "FAILED: $in_force in force"; exit 1;; esac

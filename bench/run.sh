#!/usr/bin/env bash
# Throughput of `verdict eval` on generated tickets (release build).
# Usage: bash bench/run.sh [N]   (default 200000 tickets)
# Prints tickets/second for all decisions, for one decision (--ask), and with
# --explain, each the best of 3 runs. Numbers depend on the machine: compare
# runs on the same machine only.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
swift build -c release --product verdict >/dev/null
bin=.build/release/verdict
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
python3 bench/gen_tickets.py "$n" > "$data/tickets.jsonl"
bytes=$(wc -c < "$data/tickets.jsonl")
echo "tickets: $n ($((bytes / 1024 / 1024)) MiB), $(nproc) cores, $(uname -m)"

measure() {
  local label=$1; shift
  local best=""
  for _ in 1 2 3; do
    local start end
    start=$(date +%s.%N)
    "$bin" eval "$@" < "$data/tickets.jsonl" > "$data/out.jsonl" || true
    end=$(date +%s.%N)
    local t
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  local lines
  lines=$(wc -l < "$data/out.jsonl")
  printf '%-28s %8.3f s  %10.0f tickets/s  (%s output lines)\n' "$label" "$best" "$(echo "$n / $best" | bc -l)" "$lines"
}

measure "all decisions" 
measure "--ask visit_chargeable" --ask visit_chargeable
measure "--explain" --explain

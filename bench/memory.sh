#!/usr/bin/env bash
# Peak memory of `verdict eval` on the hardening issue's reproductions, each
# checked against its bound as the issue states it: the whole process's peak
# RSS under 100 MB plus twice the longest line, loading of the policies
# included (`base` shows what the same command takes on empty input: 12 MB for
# the shipped policies, about 85 MB for the 50,000-row table):
#   1. --explain with a 50,000-row collect table, 2,000 tickets (answers of
#      about 2.5 MB each: output must be flushed as it grows, not per batch);
#   2. the shipped policies, 500,000 tiny tickets, --explain;
#   3. a 60 MB line whose bulk is a long array in a field no policy reads;
#   4. a 60 MB line whose bulk is an object of 6 million keys no policy reads
#      (read by the slow path: duplicate keys are still found, by offset);
#   5. a 10 MB line, then 200,000 small ones (buffers shrink back);
#   6. cases 1 and 3 with --jobs 2.
# Usage: bench/memory.sh [VERDICT]   (default .build/release/verdict)
# Exits 1 if any case passes its bound or loses a line.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
verdict=${1:-$here/.build/release/verdict}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" "$here" <<'PY'
import json, pathlib, sys
work, here = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
pol = work / "table"
pol.mkdir()
rows = "\n".join(f'        - {{when: "n >= {i % 7}", then: "{i}", clause: "1.{i}"}}' for i in range(50_000))
(pol / "big.yaml").write_text(f"""verdict: 1
policy: big
version: "1"
applies_to: {{market: home}}
title: {{zh: 大, en: Big}}
inputs:
  market: {{type: enum, values: [home], label: {{zh: 市场, en: Market}}}}
  n: {{type: int, min: 0, label: {{zh: 数, en: Number}}}}
rules:
  hits:
    type: list
    of: int
    decision: true
    clause: "1"
    label: {{zh: 命中, en: Hits}}
    table:
      hit: collect
      rows:
{rows}
""", encoding="utf-8")
with open(work / "table.jsonl", "w") as f:
    for i in range(2_000):
        f.write(json.dumps({"id": f"t{i}", "market": "home", "n": i % 10}) + "\n")
first = (here / "examples/tickets.jsonl").read_text(encoding="utf-8").splitlines()[0]
with open(work / "tiny.jsonl", "w") as f:
    for _ in range(500_000):
        f.write(first + "\n")
base = json.loads(first)
t = dict(base, junk=list(range(7_000_000)))
(work / "array.jsonl").write_text(json.dumps(t, separators=(",", ":")) + "\n")
t = dict(base, junk={f"{i:x}": 0 for i in range(5_600_000)})
(work / "keys.jsonl").write_text(json.dumps(t, separators=(",", ":")) + "\n")
t = dict(base, junk="x" * 10_000_000)
with open(work / "after.jsonl", "w") as f:
    f.write(json.dumps(t) + "\n")
    for _ in range(200_000):
        f.write(first + "\n")
PY

status=0
run() {  # name policies input [flags...]
    local name=$1 policies=$2 input=$3
    shift 3
    local longest lines out peak bound base
    longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$input")
    lines=$(grep -c . "$input")
    /usr/bin/time -f "%M" -o "$work/time" "$verdict" eval --policies "$policies" "$@" <"$input" >"$work/out" || true
    out=$(wc -l <"$work/out")
    peak=$(($(tail -1 "$work/time") / 1024))
    /usr/bin/time -f "%M" -o "$work/time" "$verdict" eval --policies "$policies" "$@" </dev/null >/dev/null || true
    base=$(($(tail -1 "$work/time") / 1024))
    bound=$((100 + 2 * longest / 1048576))
    local verdict_text="ok"
    if [ "$peak" -gt "$bound" ] || [ "$out" -ne "$lines" ]; then verdict_text="OVER"; status=1; fi
    printf '%-34s lines %7d out %7d  longest %5.1f MB  base %4d MB  peak %5d MB  bound %4d MB  %s\n' \
        "$name" "$lines" "$out" "$(awk -v l="$longest" 'BEGIN { print l / 1048576 }')" "$base" "$peak" "$bound" "$verdict_text"
}
run "explain, 50,000-row collect" "$work/table" "$work/table.jsonl" --explain
run "explain, 50,000-row collect, -j2" "$work/table" "$work/table.jsonl" --explain --jobs 2
run "shipped, 500,000 tiny, explain" "$here/policies" "$work/tiny.jsonl" --explain
run "60 MB line, ignored array" "$here/policies" "$work/array.jsonl"
run "60 MB line, ignored array, -j2" "$here/policies" "$work/array.jsonl" --jobs 2
run "60 MB line, 5.6M ignored keys" "$here/policies" "$work/keys.jsonl"
run "10 MB line, then 200,000 small" "$here/policies" "$work/after.jsonl"
exit $status

#!/usr/bin/env bash
# The reproductions of issue #12 (hardening), each timed against its bound:
# expression cost, linear loading, small stacks. Builds verdict in release
# mode (or takes the binary as $1), writes the inputs under a temporary
# folder, runs each case once as a whole process, and prints one line per
# case: wall-clock seconds, peak resident memory, the bound, PASS or FAIL.
# Exits 1 when a case misses its bound.
#
#   bash bench/hardening.sh [path/to/verdict]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then
  V=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  swift build -c release --product verdict --static-swift-stdlib > /dev/null
  V=$PWD/.build/release/verdict
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gen() { python3 bench/gen_loading.py "$@" > /dev/null; }
failed=0

# case NAME BOUND_SECONDS BOUND_MB EXPECTED_STATUS COMMAND... (stdin from $stdin, default /dev/null)
stdin=/dev/null
case_() {
  local name=$1 bound=$2 mb=$3 want=$4
  shift 4
  local status=0
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" < "$stdin" > "$work/out" 2> "$work/err" || status=$?
  read -r secs kb < <(tail -1 "$work/time")
  local verdict=PASS
  if [ "$status" != "$want" ]; then verdict="FAIL (exit $status, expected $want)"; fi
  if awk -v s="$secs" -v b="$bound" 'BEGIN { exit !(s > b) }'; then verdict="FAIL (over ${bound} s)"; fi
  if [ $((kb / 1024)) -gt "$mb" ]; then verdict="FAIL (over ${mb} MB)"; fi
  [ "$verdict" = PASS ] || failed=1
  printf '%-44s %7s s %6s MB   bound %5s s %5s MB   %s\n' "$name" "$secs" "$((kb / 1024))" "$bound" "$mb" "$verdict"
  stdin=/dev/null
}

policy() {  # policy DIR EXPR [TAGS-DECLARATION]
  mkdir -p "$1"
  cat > "$1/p.yaml" <<EOF
verdict: 1
policy: t
applies_to: {market: a}
inputs:
  market: {type: enum, values: [a], label: {zh: 市, en: Market}}
  tags: ${3:-{type: list, of: string\}}
rules:
  r:
    type: bool
    decision: true
    clause: "1"
    label: {zh: 甲, en: R}
    expr: "$2"
EOF
}
nested() {  # nested DEPTH MACRO RANGE
  python3 - "$@" <<'EOF'
import sys
depth, macro, rng = int(sys.argv[1]), sys.argv[2], sys.argv[3]
vs = [f"v{i}" for i in range(depth)]
body = " + ".join(vs) + " > 0" if macro != "map" else "1"
for v in reversed(vs):
    body = f"{rng}.{macro}({v}, {body})"
print(body)
EOF
}

echo "== expression cost (part 1)"
ten="[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"
echo '{"L": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}' > "$work/l.json"
case_ "expr: nine nested L.map over 10 items" 1 200 1 "$V" expr "$(nested 9 map L)" --input "$work/l.json"
policy "$work/all9" "$(nested 9 all "$ten")"
case_ "check: nine nested all (rejected, E0603)" 0.1 200 1 "$V" check --policies "$work/all9"
policy "$work/all8" "$(nested 8 all "$ten")"
case_ "check: eight nested all (rejected, E0603)" 0.1 200 1 "$V" check --policies "$work/all8"
policy "$work/one" "tags.all(a, tags.exists_one(b, a == b))"
python3 -c "import json; print(json.dumps({'market': 'a', 'tags': ['tag-%05d' % i for i in range(30000)]}))" > "$work/big.jsonl"
stdin="$work/big.jsonl"
case_ "eval: exists_one in all, 30,000 tags, 1 ticket" 1 200 0 "$V" eval --policies "$work/one"
for i in $(seq 100); do cat "$work/big.jsonl"; done > "$work/big100.jsonl"
stdin="$work/big100.jsonl"
case_ "eval: the same, 100 tickets (29 MB)" 10 300 0 "$V" eval --policies "$work/one"

echo "== loading (part 3)"
gen concrete "$work/concrete" 10000
case_ "check: 10,000 concrete policies" 1 1000 0 "$V" check --policies "$work/concrete"
case_ "eval: 10,000 concrete policies, no ticket" 1 1000 0 "$V" eval --policies "$work/concrete"
gen overlapping "$work/overlapping" 10000
case_ "check: 10,000 overlapping policies (E0308)" 1 1000 1 "$V" check --policies "$work/overlapping"
gen extends "$work/extends" 2000
case_ "check: a 2,000-deep extends chain (E0315)" 0.1 200 1 "$V" check --policies "$work/extends"
gen rulechain "$work/rulechain" 100000
case_ "check: a 100,000-rule chain (E0602)" 3 2000 1 "$V" check --policies "$work/rulechain"
gen undeclared "$work/undeclared" 5000
case_ "check: 5,000 undeclared references (E0503)" 1 500 1 "$V" check --policies "$work/undeclared"
gen catalogue "$work/catalogue" 125000
case_ "eval: a 16 MB catalogue, no ticket" 1 1000 0 "$V" eval --policies "$work/catalogue"
gen table "$work/table" 50000
case_ "eval: a 50,000-row table, no ticket" 1 1000 0 "$V" eval --policies "$work/table"
# The check issue's (#11) bound: 10,000 rules, 5,000 tables, 50,000 rows.
python3 bench/gen_policy.py "$work/bigpolicy" > /dev/null
case_ "check: 10,000 rules, 50,000 table rows" 1 1000 0 "$V" check --policies "$work/bigpolicy"
case_ "eval: 10,000 rules, 50,000 table rows" 1 1000 0 "$V" eval --policies "$work/bigpolicy"

echo "== stacks (part 5), at ulimit -s 256"
nots=$(printf '!%.0s' $(seq 249))
case_ "expr: 249 ! signs" 1 200 0 bash -c "ulimit -s 256 && exec \"\$0\" expr '${nots}true'" "$V"
python3 bench/gen_loading.py rulechain "$work/chain200" 200 > /dev/null
echo '{"market": "m0", "n": 1}' > "$work/n.jsonl"
stdin="$work/n.jsonl"
case_ "eval: a 200-rule chain" 1 200 0 bash -c 'ulimit -s 256 && exec "$0" eval --policies "$1"' "$V" "$work/chain200"

exit $failed

#!/usr/bin/env bash
# Throughput of verdict on Spark in local mode against the plain CLI, on the
# same generated tickets, with the same (portable) binary.
# Usage: bash bench/spark.sh [N]   (default 1000000 tickets; RUNS=3 runs each, best kept)
# Needs: dist/verdict (scripts/build-portable.sh, built if missing), Java 17+,
# and integrations/spark/requirements.txt installed.
# Spark's times are whole processes: JVM start-up, the count of lines per
# partition, the pipe, and writing the output. "start-up" is a run on one
# ticket, to tell the fixed cost from the cost per ticket.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
bin=${VERDICT_BINARY:-dist/verdict}
[ -x "$bin" ] || bash scripts/build-portable.sh >/dev/null
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
source bench/common.sh
python3 bench/gen_tickets.py "$n" > "$data/tickets.jsonl"
head -1 "$data/tickets.jsonl" > "$data/one.jsonl"
cp -r policies "$data/policies-new"
sed -i 's/^    value: 3$/    value: 6/' "$data/policies-new/export.yaml"
echo "tickets: $n ($(( $(wc -c < "$data/tickets.jsonl") / 1024 / 1024 )) MiB), $(nproc) cores, $(uname -m), runs: ${RUNS:-3}, best kept"

spark() {
  rm -rf "$data/spark-out"
  python3 integrations/spark/verdict_spark.py "$@" --binary "$bin" --output "$data/spark-out" 2>/dev/null
}

row() {  # label, seconds, reference seconds
  printf '%-36s %8.2f s  %9.0f tickets/s  %5.2f× the CLI\n' "$1" "$2" "$(echo "$n / $2" | bc -l)" "$(echo "$2 / $3" | bc -l)"
}

cli=$(best_of sh -c 'exec "$0" eval --policies policies < "$1"' "$bin" "$data/tickets.jsonl")
cp "$data/out" "$data/cli-answers"
row "eval, CLI" "$cli" "$cli"
startup=$(best_of spark eval --master 'local[2]' --policies policies --input "$data/one.jsonl")
printf '%-36s %8.2f s\n' "eval, Spark start-up (1 ticket)" "$startup"
for m in 1 2; do
  t=$(best_of spark eval --master "local[$m]" --policies policies --input "$data/tickets.jsonl")
  row "eval, Spark local[$m]" "$t" "$cli"
done
cmp -s "$data/cli-answers" <(cat "$data"/spark-out/part-*) && echo "  same answers as the CLI: yes" || echo "  same answers as the CLI: NO"

for j in 1 2; do
  t=$(best_of "$bin" diff policies "$data/policies-new" --tickets "$data/tickets.jsonl" --witnesses 0 --jobs "$j")
  [ "$j" = 1 ] && replay=$t
  row "replay, CLI --jobs $j" "$t" "$replay"
done
cp "$data/out" "$data/cli-report"
for m in 1 2; do
  t=$(best_of spark diff policies "$data/policies-new" --master "local[$m]" --input "$data/tickets.jsonl" --witnesses 0)
  row "replay, Spark local[$m]" "$t" "$replay"
done
sed 's/^/  /' "$data/out" | grep -m1 'answered differently' || true
cmp -s "$data/cli-report" "$data/out" && echo "  same report as the CLI: yes" || echo "  same report as the CLI: NO"

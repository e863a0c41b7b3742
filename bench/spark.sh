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
python3 bench/gen_tickets.py "$n" > "$data/tickets.jsonl"
head -1 "$data/tickets.jsonl" > "$data/one.jsonl"
cp -r policies "$data/policies-new"
sed -i 's/^    value: 3$/    value: 6/' "$data/policies-new/export.yaml"
echo "tickets: $n ($(( $(wc -c < "$data/tickets.jsonl") / 1024 / 1024 )) MiB), $(nproc) cores, $(uname -m), runs: ${RUNS:-3}, best kept, load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# The Spark script as one command (timed below), writing to a new folder each run.
spark="$data/spark"
cat > "$spark" <<EOF
#!/usr/bin/env bash
rm -rf "$data/spark-out"
exec python3 "$PWD/integrations/spark/verdict_spark.py" "\$@" --binary "$bin" --output "$data/spark-out" 2>/dev/null
EOF
chmod +x "$spark"

# Best wall-clock time of ${RUNS:-3} runs (stdout to $data/out), and the CPU
# time (user + system, the process and all it waited for: JVM, Python
# workers, verdict) of that run: "WALL CPU". On a shared machine the CPU
# time says more than the wall time about what Spark costs.
timed() {
  local best="" cpu=""
  for _ in $(seq "${RUNS:-3}"); do
    python3 bench/cputime.py "$data/time" "$@" > "$data/out" || true
    read -r wall user sys < <(tail -1 "$data/time")
    if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc -l)" = 1 ]; then best=$wall; cpu=$(echo "$user + $sys" | bc -l); fi
  done
  echo "$best $cpu"
}

row() {  # label, "WALL CPU", reference "WALL CPU"
  local w c rw rc
  read -r w c <<< "$2"
  read -r rw rc <<< "$3"
  printf '%-34s %7.2f s %9.0f tickets/s %5.2f×   CPU %6.2f s %5.2f×\n' "$1" "$w" "$(echo "$n / $w" | bc -l)" \
    "$(echo "$w / $rw" | bc -l)" "$c" "$(echo "$c / $rc" | bc -l)"
}

echo "run                                   wall     tickets/s  × CLI   CPU time  × CLI"
# The CLI on one core (as each Spark task runs it) and on every core (its default).
for j in 1 "$(nproc)"; do
  t=$(timed sh -c 'exec "$0" eval --policies policies --jobs "$2" < "$1"' "$bin" "$data/tickets.jsonl" "$j")
  [ "$j" = 1 ] && cli=$t && cp "$data/out" "$data/cli-answers"
  row "eval, CLI --jobs $j" "$t" "$cli"
done
startup=$(timed "$spark" eval --master 'local[2]' --policies policies --input "$data/one.jsonl")
read -r w c <<< "$startup"
printf '%-34s %7.2f s %34s %6.2f s\n' "eval, Spark start-up (1 ticket)" "$w" "" "$c"
for m in 1 2; do
  row "eval, Spark local[$m]" "$(timed "$spark" eval --master "local[$m]" --policies policies --input "$data/tickets.jsonl")" "$cli"
done
cmp -s "$data/cli-answers" <(cat "$data"/spark-out/part-*) && echo "  same answers as the CLI: yes" || echo "  same answers as the CLI: NO"

for j in 1 "$(nproc)"; do
  t=$(timed "$bin" diff policies "$data/policies-new" --tickets "$data/tickets.jsonl" --witnesses 0 --jobs "$j")
  [ "$j" = 1 ] && replay=$t
  row "replay, CLI --jobs $j" "$t" "$replay"
done
cp "$data/out" "$data/cli-report"
for m in 1 2; do
  row "replay, Spark local[$m]" \
    "$(timed "$spark" diff policies "$data/policies-new" --master "local[$m]" --input "$data/tickets.jsonl" --witnesses 0)" \
    "$replay"
done
sed 's/^/  /' "$data/out" | grep -m1 'answered differently' || true
echo "  load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
cmp -s "$data/cli-report" "$data/out" && echo "  same report as the CLI: yes" || echo "  same report as the CLI: NO"

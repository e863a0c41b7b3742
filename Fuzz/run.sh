#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer,address) and runs
# each for a bounded time from its seed corpus (Fuzz/corpus/TARGET). Exits 1
# on a finding: the input is left under $FUZZ_OUT (default a temporary
# folder) and its path printed; replay it with
#   swift run verdict-fuzz TARGET FILE
# and add it under Fuzz/regressions/TARGET once fixed (the test suite replays
# both folders through the same functions).
#
#   bash Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ticket policy cel eval)
scratch=${FUZZ_SCRATCH:-.build-fuzz}
out=${FUZZ_OUT:-$(mktemp -d)}
# lld: gold stops with an internal error on the sanitized objects.
swift build --product verdict-fuzz --scratch-path "$scratch" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld > "$out/build.log" 2>&1 \
  || { tail -30 "$out/build.log"; exit 1; }
bin="$scratch/debug/verdict-fuzz"
# Swift globals initialised once are reported as leaks at exit; memory is
# bounded by -rss_limit_mb instead. Swift's own crash handler would read
# memory ASan guards: let ASan and libFuzzer report.
export ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no VERDICT_FUZZ_POLICIES=policies
status=0
for t in "${targets[@]}"; do
  mkdir -p "$out/$t"
  if "$bin" "$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$out/$t-" "$out/$t" "Fuzz/corpus/$t" > "$out/$t.log" 2>&1; then
    runs=$(grep -oE 'Done [0-9]+ runs' "$out/$t.log" | tail -1 || true)
    echo "fuzz $t: ${runs:-done}, ${seconds} s, no finding"
  else
    status=1
    echo "fuzz $t: FINDING"
    grep -E 'verdict-fuzz:|ERROR|SUMMARY|Test unit written' "$out/$t.log" | head -10
  fi
done
exit $status

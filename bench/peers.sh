#!/usr/bin/env bash
# verdict beside peer engines (GoRules ZEN, jq, CEL, a hand-written Python
# program, an orjson parse+dump floor) on the same tickets: the shared bench.
# Usage: bash bench/peers.sh [N]   (default 200000 tickets; WAIT_QUIET=600 on a shared machine)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-}
for d in "$shared" ../shared /work/shared; do
  if [ -n "$d" ] && [ -x "$d/bench/run.sh" ]; then shared=$d; break; fi
done
[ -x "$shared/bench/run.sh" ] || { echo "no shared bench folder (set SHARED=…)" >&2; exit 2; }
swift build -c release --product verdict --static-swift-stdlib >/dev/null
exec "$shared/bench/run.sh" .build/release/verdict "${1:-200000}"

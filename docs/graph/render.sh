#!/usr/bin/env bash
# Renders the shipped policies' rule graphs into docs/graph/ with Graphviz
# (Debian: apt-get install graphviz). Run from the repository root after a
# policy change: bash docs/graph/render.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --product verdict >/dev/null
bin=.build/debug/verdict
for policy in domestic export material; do
  "$bin" graph "$policy" --format dot > "docs/graph/$policy.dot"
  dot -Tsvg "docs/graph/$policy.dot" -o "docs/graph/$policy.svg"
done
# The decision owners ask about most, alone: what a visit charge depends on.
"$bin" graph export --ask visit_chargeable --format dot > docs/graph/export-visit_chargeable.dot
dot -Tpng -Gdpi=110 docs/graph/export-visit_chargeable.dot -o docs/graph/export-visit_chargeable.png
echo "docs/graph: $(ls docs/graph | tr '\n' ' ')"

#!/usr/bin/env bash
# A `verdict` binary that runs on a Linux machine without a Swift toolchain
# (a Spark worker, a container): the release build, stripped. On Linux a
# release build of `verdict` is a static executable (Package.swift links it
# with -static-executable: the Swift runtime, Foundation's essentials,
# libyaml, libstdc++ and glibc are all inside), so it needs no library of the
# machine at all.
#
# Usage: bash scripts/build-portable.sh [OUT]     (default dist/verdict)
# Needs: the Swift toolchain, and libyaml-dev (which ships libyaml.a).
# The build has its own folder, .build-portable, so it does not disturb
# `swift build`'s .build.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/verdict}
scratch=.build-portable

libdir=$(pkg-config --variable=libdir yaml-0.1)
[ -f "$libdir/libyaml.a" ] || { echo "build-portable: $libdir/libyaml.a is missing (apt-get install libyaml-dev)" >&2; exit 1; }

swift build -c release --product verdict --static-swift-stdlib --scratch-path "$scratch"

mkdir -p "$(dirname "$out")"
strip -o "$out" "$scratch/release/verdict"
echo "$out: $(du -h "$out" | cut -f1), needs:"
# A static executable: ldd says so (and exits 1); anything else is listed.
ldd "$out" | sed 's/ (0x[0-9a-f]*)//' || true

#!/usr/bin/env bash
# A `verdict` binary that runs on a Linux machine without a Swift toolchain
# (a Spark worker, a container): release build, Swift runtime and Foundation
# linked statically (--static-swift-stdlib), libyaml and libstdc++ linked
# statically too, stripped. It needs only glibc's libraries and libgcc_s.
#
# Usage: bash scripts/build-portable.sh [OUT]     (default dist/verdict)
# Needs: the Swift toolchain, and libyaml-dev (which ships libyaml.a).
# The build has its own folder, .build-portable, so it does not disturb
# `swift build`'s .build.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist/verdict}
scratch=.build-portable

# The linker takes the first libyaml (and libstdc++) it finds along its
# search path, and the shared one wins where both lie in one folder. So a
# folder that holds only the static archives goes first: SwiftPM puts the
# libdir of libyaml's pkg-config file before every other folder but Swift's
# own static one, so a copy of that file points libdir there.
libdir=$(pkg-config --variable=libdir yaml-0.1)
libstdcxx=$(${CC:-cc} -print-file-name=libstdc++.a)
for a in "$libdir/libyaml.a" "$libstdcxx"; do
  [ -f "$a" ] || { echo "build-portable: $a is missing (apt-get install libyaml-dev g++)" >&2; exit 1; }
done
static="$PWD/$scratch/static-libs"
mkdir -p "$static/pkgconfig"
ln -sf "$libdir/libyaml.a" "$static/libyaml.a"
ln -sf "$libstdcxx" "$static/libstdc++.a"
sed "s|^libdir=.*|libdir=$static|" "$(pkg-config --variable=pcfiledir yaml-0.1)/yaml-0.1.pc" > "$static/pkgconfig/yaml-0.1.pc"

PKG_CONFIG_PATH="$static/pkgconfig" swift build -c release --product verdict \
  --static-swift-stdlib --scratch-path "$scratch"

mkdir -p "$(dirname "$out")"
strip -o "$out" "$scratch/release/verdict"
echo "$out: $(du -h "$out" | cut -f1), needs:"
ldd "$out" | sed 's/ (0x[0-9a-f]*)//'
# glibc is the one library it takes from the machine: the newest symbol
# version it asks for is the oldest glibc it runs on.
echo "glibc needed: $(objdump -T "$out" | grep -oE 'GLIBC_[0-9.]+' | sort -Vu | tail -1 | sed 's/GLIBC_//') or newer"

#!/usr/bin/env bash
# Build rv6's out-of-tree modules (the Kbuild file at the top) against the
# kernel tree; objects and .ko files go to build/modules, not the sources.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -f "$KOBJ/.rv6-stamp" ] || die "no kernel build in $KOBJ: run 'make kernel'"
mkdir -p "$MODOUT"
make -s -C "$KOBJ" M="$top" MO="$MODOUT" LLVM=-19 ARCH=x86_64 -j"$JOBS" modules
say "$(find "$MODOUT" -name '*.ko' | wc -l) module(s) in $MODOUT"

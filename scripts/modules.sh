#!/usr/bin/env bash
# Build rv6's out-of-tree modules (the Kbuild file at the top) against the
# kernel tree; objects and .ko files go to build/modules, not the sources.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -f "$KOBJ/.rv6-stamp" ] || die "no kernel build in $KOBJ: run 'make kernel'"
mkdir -p "$MODOUT"
log=$MODOUT/build.log
if ! make -s -C "$KOBJ" M="$top" MO="$MODOUT" LLVM=-$LLVM_MAJOR ARCH=x86_64 CLIPPY=1 -j"$JOBS" modules >"$log" 2>&1; then
  cat "$log" >&2; die "module build failed"
fi
# Warnings in rv6's modules fail the build: they are ours.
# The objects are removed too: kbuild would not recompile them next time, and
# the warnings would pass unseen.
if grep -qE '^warning|: warning:' "$log"; then
  cat "$log" >&2
  find "$MODOUT" \( -name '*.o' -o -name '*.ko' \) -delete
  die "rv6's modules have warnings (above)"
fi
say "$(find "$MODOUT" -name '*.ko' | wc -l) module(s) in $MODOUT"

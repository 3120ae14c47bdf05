#!/usr/bin/env bash
# The kernel crate's documentation, rv6's abstractions included (`make
# rustdoc` in the kernel object tree: Documentation/output/rust/rustdoc).  It
# must build without a warning in rv6's files (broken intra-doc links,
# unescaped backticks, missing crate docs), as upstream keeps its own.
# Skipped when the kernel build it documents has not changed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
[ -f "$KOBJ/.rv6-stamp" ] || die "no kernel build in $KOBJ: run 'make kernel'"
stamp=$(cat "$KOBJ/.rv6-stamp")
if [ "$(cat "$KOBJ/.rv6-rustdoc" 2>/dev/null)" = "$stamp" ]; then
  say "rustdoc up to date"
  exit 0
fi
log=$KOBJ/rustdoc.log
kmake rustdoc >"$log" 2>&1 || { tail -40 "$log" >&2; die "make rustdoc failed; full log: $log"; }
# rustdoc names files relative to the source tree (rust/kernel/...), or absolute.
rv6_files=$(cd "$top" && find rust -name '*.rs' | paste -sd'|')
if grep -A3 '^warning' "$log" | grep -qE -- "--> (.*/)?($rv6_files):"; then
  grep -B1 -A8 '^warning' "$log" | head -60 >&2
  die "rustdoc warns about rv6's kernel Rust (above); full log: $log"
fi
echo "$stamp" >"$KOBJ/.rv6-rustdoc"
say "rustdoc: $KOBJ/Documentation/output/rust/rustdoc/kernel/index.html"

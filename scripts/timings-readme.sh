#!/usr/bin/env bash
# Called by check.sh: writes the figures of this make check into the README's
# timing paragraph (the lines between the "timings" markers), one line for the
# last warm run and one for the last run that built the kernels (fresh), so
# the README states what was measured, never an estimate that went stale.
#   timings-readme.sh CHECK-OUT-DIR warm|fresh PASSED FAILED SKIPPED
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$1 kind=$2 passed=$3 failed=$4 skipped=$5
readme=$top/README.md
grep -q '^<!-- timings:begin' "$readme" || exit 0

t() { awk -v p="$1" '$1 == p {print $2}' "$out/timings.txt"; }
busy() { awk -v p="$1" '$1 == "busy" && $2 == p {print $3}' "$out/timings.txt"; }
shards() { # shards TAG: "a + b s" for the shards of TAG
  awk -v t="$1" '$1 ~ "^" t "-shard[0-9]+$" {s = s (s ? " + " : "") $2} END {print s}' "$out/timings.txt"
}
phases="deps $(t deps)"
for p in kernel rustdoc kernel-debug modules modules-debug tools; do
  v=$(t "$p"); [ -n "$v" ] && phases="$phases, $p $v"
done
# With the debug smoke, the host layers run beside the guests at low priority
# (check.sh): their seconds are inside the guest phase's.
d=$(shards guest-debug-quick)
host="host-tests $(t host-tests), fuzz $(t fuzz)"
g=$(t guest-tests)
if [ -n "$d" ]; then
  [ -n "$g" ] && phases="$phases, guests $g (normal shards $(shards guest); debug smoke beside them $d; beside all of them, at nice 19 until the normal shards end, $host; cores $(busy guest-tests)% busy)"
else
  [ -n "$g" ] && phases="$phases, guests $g (shards $(shards guest))"
  phases="$phases, $host"
fi
rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')
line="- last $kind run ($(date -u +%Y-%m-%d), $(nproc) cores, commit $rev): **$(t total) s** (cores $(busy total)% busy) — $phases; $passed passed, $failed failed, $skipped skipped."

awk -v kind="$kind" -v line="$line" '
  /^<!-- timings:begin/ {inside = 1; print; next}
  /^<!-- timings:end/ {if (!done) print line; inside = 0; print; next}
  inside && $0 ~ "^- last " kind " run" {print line; done = 1; next}
  {print}' "$readme" >"$readme.new" && mv "$readme.new" "$readme"

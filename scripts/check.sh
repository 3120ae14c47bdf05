#!/usr/bin/env bash
# make check: set up, build and run every test layer, then print one table of
# phase timings and one closing "N passed, N failed" line over all layers.
# A phase that fails (or cannot run because an earlier one failed) counts as
# one failure on top of the test counts, so a broken build never reads "0 failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$CHECKOUT
rm -rf "$out"; mkdir -p "$out"
names=(); secs=(); results=()
broken=0

phase() { # phase NAME COMMAND...
  local name=$1; shift
  local t0=$SECONDS rc=0
  if [ $broken = 1 ]; then
    names+=("$name"); secs+=(0); results+=("skipped"); return
  fi
  echo "=== $name"
  "$@" || rc=$?
  names+=("$name"); secs+=($((SECONDS - t0)))
  if [ $rc = 0 ]; then results+=(ok); else results+=("FAILED ($rc)"); fi
  return $rc
}

phase deps "$top/scripts/deps.sh" || broken=1
phase kernel "$top/scripts/kernel.sh" || broken=1
phase modules "$top/scripts/modules.sh" || broken=1
phase tools bash -c "cd '$top/tools' && cargo build --release --quiet" || broken=1
phase host-tests "$top/scripts/test-host.sh"
phase fuzz "$top/scripts/fuzz.sh"
phase guest-tests "$top/scripts/test-guest.sh"

echo
echo "=== summary"
printf '%-14s %8s  %s\n' phase seconds result
total=0; failed_phases=0
for i in "${!names[@]}"; do
  printf '%-14s %8s  %s\n' "${names[$i]}" "${secs[$i]}" "${results[$i]}"
  total=$((total + secs[i]))
  [ "${results[$i]}" = ok ] || failed_phases=$((failed_phases + 1))
done
printf '%-14s %8s\n' total "$total"
{ for i in "${!names[@]}"; do echo "${names[$i]} ${secs[$i]} ${results[$i]}"; done; } >"$out/timings.txt"

passed=0; failed=$failed_phases; skipped=0
for c in "$out"/*.counts; do
  [ -f "$c" ] || continue
  read -r p f s <"$c"
  printf '%-28s %5s passed %5s failed %5s skipped\n' "$(basename "$c" .counts)" "$p" "$f" "$s"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
# Name what failed, so the last lines of a CI log are enough to start from.
if [ "$failed" != 0 ]; then
  echo "failures (kernel reports are listed in the guest-tests output, failed phases in the table):"
  grep -h "not ok" "$out"/*.ktap "$BUILD/logs/guest$VARIANT.log" 2>/dev/null | grep -v "# SKIP" |
    sed -E 's/^\[[^]]*\] //; s/^ +//; s/^/  /' | sort -u | head -n 30
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

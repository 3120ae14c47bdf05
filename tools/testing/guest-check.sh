#!/bin/bash
# Runs inside one rv6 test guest (a shard, started by scripts/test-guest.sh
# through rv6-vm):
#  1. loads every rv6 module, which runs its KUnit suites when the shard was
#     booted with KUnit enabled (KTAP on the console);
#  2. runs the selftests named in $RV6_SUITES (paths relative to
#     tools/testing/selftests/rv6/, e.g. "mip6/mip6_ro.sh"), each isolated by
#     isolate.sh and wrapped as one KTAP subtest, into $RV6_OUT/selftests.ktap;
#     each suite's wall time goes to $RV6_OUT/times;
#  3. unloads every module again: an unload that fails is a failed test.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/isolate.sh"
selftests=$here/selftests/rv6
out=${RV6_OUT:?}
mods=${RV6_MODULES:?}
read -r -a suites <<<"${RV6_SUITES:-}"
ktap=$out/selftests.ktap
: >"$ktap"; : >"$out/times"; : >"$out/check-times"
emit() { echo "$*" | tee -a "$ktap"; }

# Benchmark modules (*_bench.ko) run at insmod and never stay: `make bench` only.
mapfile -t kos < <(find "$mods" -name '*.ko' ! -name '*_bench.ko' | sort)
[ ${#kos[@]} -gt 0 ] || echo "guest-check: no modules in $mods" >&2
for ko in "${kos[@]}"; do
  insmod "$ko" || echo "guest-check: insmod $ko failed"
done

# settings_timeout AREA: the area's kselftest `settings` timeout (default 45,
# as kselftest's), stretched by RV6_TIME_SCALE on slow kernels.
settings_timeout() {
  local t
  t=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$selftests/$1/settings" 2>/dev/null | head -n1)
  echo $(( ${t:-45} * ${RV6_TIME_SCALE:-1} ))
}

emit "KTAP version 1"
emit "1..$(( ${#suites[@]} + 1 ))"
snap=/run/rv6-isolate.snap
i=0
for s in "${suites[@]}"; do
  i=$((i + 1)); name=rv6_selftest_$(basename "$s" .sh)
  limit=${RV6_TEST_TIMEOUT:-$(settings_timeout "$(dirname "$s")")}
  emit "    # Subtest: $name"
  isolate_snapshot "$snap"
  t0=${EPOCHREALTIME/./}
  run_isolated "$limit" "$selftests/$s" 2>&1 | sed -u 's/^/    /' | tee -a "$ktap"
  rc=${PIPESTATUS[0]}
  t=$(( (${EPOCHREALTIME/./} - t0) / 100000 )); secs=$((t / 10)).$((t % 10))
  echo "$s $secs" >>"$out/times"
  # Repairs are reported, not judged: a suite that left state behind still
  # passes or fails on its own results, and the next suite starts clean.
  isolate_restore "$snap" | sed 's/^/    # runner: /' | tee -a "$ktap"
  [ "$rc" = 124 ] && emit "    # runner: timed out after ${limit}s, killed with everything it started"
  if [ "$rc" = 0 ]; then emit "ok $i $name"; else emit "not ok $i $name # exit status $rc"; fi
done
rm -f "$snap"

# Unloading with live state (namespaces, hooks, files) must be safe.
i=$((i + 1))
emit "    # Subtest: rv6_unload"
emit "    1..${#kos[@]}"
bad=$(( ${#kos[@]} == 0 )); j=0
for ((k=${#kos[@]}-1; k>=0; k--)); do
  j=$((j + 1)); m=$(basename "${kos[k]}" .ko)
  # Namespaces deleted by the last test are torn down asynchronously, and the
  # state in them (e.g. SAs holding a transform) keeps the module in use until
  # then: allow a minute for that, no more.
  for _ in $(seq 120); do rmmod "$m" 2>/dev/null && break; sleep 0.5; done
  if ! grep -q "^$m " /proc/modules; then emit "    ok $j rmmod_$m"
  else rmmod "$m"; emit "    not ok $j rmmod_$m"; bad=1; fi
done
if [ $bad = 0 ]; then emit "ok $i rv6_unload"; else emit "not ok $i rv6_unload"; fi

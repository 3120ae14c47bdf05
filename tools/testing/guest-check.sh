#!/bin/bash
# Runs inside the rv6 guest (started by scripts/test-guest.sh through rv6-vm):
#  1. loads every rv6 module, which runs its KUnit suites (KTAP on the console);
#  2. runs every selftest in tools/testing/selftests/rv6/, each wrapped as one
#     KTAP subtest, into $RV6_OUT/selftests.ktap;
#  3. unloads every module again: an unload that fails is a failed test.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${RV6_OUT:?}
mods=${RV6_MODULES:?}
filter=${RV6_SELFTESTS:-}
ktap=$out/selftests.ktap
: >"$ktap"
emit() { echo "$*" | tee -a "$ktap"; }

# Benchmark modules (*_bench.ko) run at insmod and never stay: `make bench` only.
mapfile -t kos < <(find "$mods" -name '*.ko' ! -name '*_bench.ko' | sort)
[ ${#kos[@]} -gt 0 ] || echo "guest-check: no modules in $mods" >&2
for ko in "${kos[@]}"; do
  insmod "$ko" || echo "guest-check: insmod $ko failed"
done

tests=()
for t in "$top"/tools/testing/selftests/rv6/*.sh; do
  case "$(basename "$t")" in lib.sh|topo.sh) continue ;; esac  # sourced, not run
  # slow_*: suites too long for TCG in every run (RV6_SLOW=1 runs them).
  case "$(basename "$t")" in slow_*) [ "${RV6_SLOW:-0}" = 1 ] || continue ;; esac
  [ -z "$filter" ] || [[ "$(basename "$t" .sh)" == $filter ]] || continue
  tests+=("$t")
done
emit "KTAP version 1"
emit "1..$(( ${#tests[@]} + 1 ))"
i=0
for t in "${tests[@]}"; do
  i=$((i + 1)); name=rv6_selftest_$(basename "$t" .sh)
  emit "    # Subtest: $name"
  # A suite that needs longer says so in a "# timeout: SECONDS" line (scaled like the rest).
  limit=${RV6_TEST_TIMEOUT:-300}
  own=$(sed -n 's/^# timeout: \([0-9][0-9]*\)$/\1/p' "$t" | head -n1)
  [ -n "$own" ] && [ $(( own * ${RV6_TIME_SCALE:-1} )) -gt "$limit" ] && limit=$(( own * ${RV6_TIME_SCALE:-1} ))
  timeout "$limit" bash "$t" 2>&1 | sed -u 's/^/    /' | tee -a "$ktap"
  rc=${PIPESTATUS[0]}
  if [ "$rc" = 0 ]; then emit "ok $i $name"; else emit "not ok $i $name # exit status $rc"; fi
done

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

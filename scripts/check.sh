#!/usr/bin/env bash
# make check: set up, build and run every test layer, then print one table of
# phase timings (each guest shard on its own line) and one closing
# "N passed, N failed" line over all layers.
# A phase that fails (or cannot run because an earlier one failed) counts as
# one failure on top of the test counts, so a broken build never reads "0 failed".
#
# make check builds and boots both kernels: the normal one runs every suite
# in one guest per core, and beside them the debug one (KASAN, UBSAN, lockdep,
# kmemleak) runs the debug smoke in a guest of its own: every KUnit suite,
# every module loaded and unloaded with live state, and the fast subset
# (RV6_QUICK=1) of the suites each area lists in SMOKE_PROGS: under TCG the
# debug kernel spends seconds on every process start, so the others run on
# it in make check-debug only.
# Any kernel report in any guest fails the run.
# make check-debug (DEBUG=1) runs everything, barrages included, on the debug
# kernel alone.  RV6_DEBUG_SMOKE=0 leaves the debug kernel out (a quicker
# loop while working; CI never sets it).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$CHECKOUT
rm -rf "$out"; mkdir -p "$out"
names=(); secs=(); results=(); busy=()
broken=0
t_start=$SECONDS

# cpu_ticks: "BUSY TOTAL", the machine's CPU time since boot in jiffies (/proc/stat).
cpu_ticks() {
  local _ u n s i w q sq st
  read -r _ u n s i w q sq st _ </proc/stat
  echo "$((u + n + s + q + sq + st)) $((u + n + s + i + w + q + sq + st))"
}
# busy_pct "B0 T0" "B1 T1": how busy the machine's cores were in between, in percent.
busy_pct() {
  local b0 t0 b1 t1; read -r b0 t0 <<<"$1"; read -r b1 t1 <<<"$2"
  echo $(( t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0 ))
}
c_start=$(cpu_ticks)

phase() { # phase NAME COMMAND...
  local name=$1; shift
  local t0=$SECONDS rc=0 c0
  if [ $broken = 1 ]; then
    names+=("$name"); secs+=(0); results+=("skipped"); busy+=(0); return
  fi
  echo "=== $name"
  c0=$(cpu_ticks)
  "$@" || rc=$?
  names+=("$name"); secs+=($((SECONDS - t0))); busy+=("$(busy_pct "$c0" "$(cpu_ticks)")")
  if [ $rc = 0 ]; then results+=(ok); else results+=("FAILED ($rc)"); fi
  return $rc
}
debug() { DEBUG=1 RV6_CHECKOUT=$out "$@"; }

smoke=0
[ "${DEBUG:-0}" = 1 ] || [ "${RV6_DEBUG_SMOKE:-1}" = 0 ] || smoke=1
phase deps "$top/scripts/deps.sh" || broken=1
phase kernel "$top/scripts/kernel.sh" || broken=1
phase rustdoc "$top/scripts/rustdoc.sh" || broken=1
[ $smoke = 1 ] && { phase kernel-debug debug "$top/scripts/kernel.sh" || broken=1; }
phase modules "$top/scripts/modules.sh" || broken=1
[ $smoke = 1 ] && { phase modules-debug debug "$top/scripts/modules.sh" || broken=1; }
phase tools "$top/scripts/tools.sh" || broken=1
host_layers() {
  phase host-tests "$top/scripts/test-host.sh"
  phase fuzz "$top/scripts/fuzz.sh"
}
# The guests: the normal kernel's shards (one per core) and, beside them, the
# debug smoke in one guest of its own; every guest gets one vCPU.  The machine
# is the budget (3 guests on 2 cores), so it is shared by priority, not by
# turns:
#  - the debug smoke, the longest guest, runs at normal priority and keeps a
#    core to itself;
#  - the normal shards run at nice $RV6_SHARD_NICE (5) and share the other;
#  - the host layers (cargo clippy and test, fuzzing) start at once at nice 19
#    and take whatever the guests leave: a guest waiting on a protocol timer
#    (dhclient, REAP) leaves a core idle, and they fill it; once the normal
#    shards are done they go back to nice 0 for the core those leave.
# Their wall times overlap, so the table's guest-tests line is the phase, and
# the host layers' lines are what each took beside it.
# renice_tree PID PRIO: PID and everything under it (what it starts later inherits).
renice_tree() {
  local p
  renice -n "$2" -p "$1" >/dev/null 2>&1 || true
  for p in $(pgrep -P "$1"); do renice_tree "$p" "$2"; done
}
guests() {
  local rc=0 smoke_pid= host_pid=
  if [ $smoke = 1 ]; then
    RV6_SMOKE=1 RV6_QUICK=1 DEBUG=1 RV6_JOBS=${RV6_SMOKE_JOBS:-1} RV6_GUEST_CPUS=1 RV6_CHECKOUT="$out" \
      "$top/scripts/test-guest.sh" >"$out/debug-smoke.log" 2>&1 &
    smoke_pid=$!
    # The host layers' phase lines go to a file: the arrays are this shell's.
    ( renice -n 19 -p $BASHPID >/dev/null
      names=(); secs=(); results=(); busy=(); host_layers
      for i in "${!names[@]}"; do echo "${names[$i]} ${secs[$i]} ${busy[$i]} ${results[$i]}"; done >"$out/host-phases"
    ) >"$out/host-layers.log" 2>&1 &
    host_pid=$!
  fi
  RV6_GUEST_CPUS=1 nice -n "${RV6_SHARD_NICE:-5}" "$top/scripts/test-guest.sh" || rc=1
  if [ -n "$host_pid" ]; then
    # The normal shards are done: what is left of the host layers gets the core they had.
    renice_tree "$host_pid" 0
    wait "$host_pid" || true
    echo "=== host layers (run beside the guests)"
    cat "$out/host-layers.log"
  fi
  if [ -n "$smoke_pid" ]; then
    wait "$smoke_pid" || rc=1
    echo "=== debug smoke (run beside the normal guests)"
    cat "$out/debug-smoke.log"
  fi
  return $rc
}
phase guest-tests guests
if [ $smoke = 1 ]; then
  while read -r n s b r; do names+=("$n"); secs+=("$s"); busy+=("$b"); results+=("$r"); done <"$out/host-phases" 2>/dev/null
else
  # Without the debug smoke the guests use every core: the host layers come last.
  host_layers
fi

echo
echo "=== summary"
# busy%: how much of the machine's CPU time was used during the phase (all
# processes: a phase beside others shares their figure).
printf '%-24s %8s %6s  %s\n' phase seconds busy% result
total=$((SECONDS - t_start)); failed_phases=0
for i in "${!names[@]}"; do
  printf '%-24s %8s %6s  %s\n' "${names[$i]}" "${secs[$i]}" "${busy[$i]}" "${results[$i]}"
  [ "${results[$i]}" = ok ] || failed_phases=$((failed_phases + 1))
  # The guest phase's shards, each with its own wall time.
  [ "${names[$i]}" = guest-tests ] && cat "$out"/guest*/shards 2>/dev/null |
    while read -r shard s r; do printf '  %-22s %8s %6s  %s\n' "${shard#guest-}" "$s" "" "$r"; done
done
total_busy=$(busy_pct "$c_start" "$(cpu_ticks)")
printf '%-24s %8s %6s\n' total "$total" "$total_busy"
{ for i in "${!names[@]}"; do echo "${names[$i]} ${secs[$i]} ${results[$i]}"; done
  cat "$out"/guest*/shards 2>/dev/null; echo "total $total"
  for i in "${!names[@]}"; do echo "busy ${names[$i]} ${busy[$i]}"; done
  echo "busy total $total_busy"; } >"$out/timings.txt"

passed=0; failed=$failed_phases; skipped=0
for c in "$out"/*.counts; do
  [ -f "$c" ] || continue
  read -r p f s <"$c"
  printf '%-36s %5s passed %5s failed %5s skipped\n' "$(basename "$c" .counts)" "$p" "$f" "$s"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
# Name what failed, so the last lines of a CI log are enough to start from.
if [ "$failed" != 0 ]; then
  echo "failures (kernel reports are listed in the guest-tests output, failed phases in the table):"
  grep -h "not ok" "$out"/guest*/shard*/selftests.ktap "$BUILD"/logs/guest*.log 2>/dev/null | grep -v "# SKIP" |
    sed -E 's/^\[[^]]*\] //; s/^ +//; s/^/  /' | sort -u | head -n 30
  # Kernel reports fail a guest whatever its tests said: name them and the guest.
  for f in "$out"/guest*/shard*/rv6-vm.out; do
    [ -f "$f" ] || continue
    grep -h "kernel report:" "$f" | sed "s|^.*kernel report: |  $(basename "$(dirname "$(dirname "$f")")")/$(basename "$(dirname "$f")"): |" | head -n 5
  done
fi

# The budget, reported, not enforced as a test: a warm run (no kernel built)
# within 10 minutes, a run that built the kernels within 50.
built=0
for i in "${!names[@]}"; do
  case "${names[$i]}" in kernel|kernel-debug) [ "${secs[$i]}" -gt 120 ] && built=1 ;; esac
done
if [ $built = 1 ]; then kind=fresh budget=3000; else kind=warm budget=600; fi
verdict=$([ "$total" -le "$budget" ] && echo "within" || echo "OVER")
echo "budget: $kind make check took $total s, $verdict the $budget s budget"
"$top/scripts/timings-readme.sh" "$out" "$kind" "$passed" "$failed" "$skipped" >/dev/null 2>&1 || true
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# Guest test layer: the selftests split across parallel guests (shards), each
# booting the rv6 kernel, loading every module, running its share of the
# selftests (tools/testing/guest-check.sh) and unloading; then every shard's
# console is judged: the kernel must not have reported a bug (oops, WARN,
# KASAN, UBSAN, lockdep, kmemleak), and in the shard that runs KUnit every
# KUnit suite in the tree must have run and passed.
#
#   RV6_JOBS=N        guests at once (default: the machine's cores); 1 gives
#                     one guest running everything, as before
#   RV6_SELFTESTS=G   only suites whose name (or area/name) matches glob G
#   RV6_QUICK=1       each suite's fast subset
#   RV6_SMOKE=1       only each area's SMOKE_PROGS (make check's debug smoke,
#                     with RV6_QUICK=1)
#   RV6_SLOW=1        also the slow suites (slow_*)
#   test-guest.sh --list  prints the suites these select, one "area/prog" a
#                     line, and exits (nothing built, nothing booted)
#
# Shards are balanced by each suite's wall time in the last run, kept per
# kernel and mode in tools/testing/selftests/rv6/suite-times: every run
# rewrites its lines there, so a fresh clone balances by the times of the run
# that was committed (a suite with no line counts as 60 s).
# KUnit runs once, in shard 1: the suites are in-kernel unit tests whose
# result does not depend on which selftests share the guest, and a second
# run would cost every other shard its time at insmod (kunit.enable=0 there).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
selftests=$top/tools/testing/selftests/rv6

# The suites: each area's TEST_PROGS (kselftest's Makefile variable), the
# slow ones (TEST_PROGS_EXTENDED, slow_*) with RV6_SLOW=1, only SMOKE_PROGS
# with RV6_SMOKE=1; of those, the ones RV6_SELFTESTS matches.  One "area/prog"
# a line.  `test-guest.sh --list` prints what the environment selects and
# exits, building and booting nothing (scripts/readme-doctest.py checks the
# README's RV6_SELFTESTS examples with it).
make_var() { sed -n "s/^$2 *:= *//p" "$1/Makefile"; }
select_suites() {
  local area a p n progs
  for area in "$selftests"/*/; do
    a=$(basename "$area")
    [ -f "$area/Makefile" ] || continue
    if [ "${RV6_SMOKE:-0}" = 1 ]; then progs=$(make_var "$area" SMOKE_PROGS)
    else progs=$(make_var "$area" TEST_PROGS); fi
    [ "${RV6_SLOW:-0}" = 1 ] && progs="$progs $(make_var "$area" TEST_PROGS_EXTENDED)"
    for p in $progs; do
      n=${p%.sh}
      [ -z "${RV6_SELFTESTS:-}" ] || [[ "$n" == ${RV6_SELFTESTS} ]] || [[ "$a/$n" == ${RV6_SELFTESTS} ]] || continue
      echo "$a/$p"
    done
  done
  return 0
}
if [ "${1:-}" = --list ]; then select_suites; exit 0; fi

out=$CHECKOUT; mkdir -p "$out" "$BUILD/logs"
release=$(cat "$KOBJ/include/config/kernel.release")
tools=$top/tools/target/release
quick=${RV6_QUICK:-0}
mode=$([ "$quick" = 1 ] && echo quick || echo full)
tag=guest${VARIANT}$([ "$quick" = 1 ] && echo -quick || true)
rm -rf "$out/$tag"; mkdir -p "$out/$tag"

# Every #[kunit_tests(NAME)] in rv6's sources must show up in the console.
mapfile -t kunit < <(grep -rhoE 'kunit_tests\([a-z0-9_]+\)' "$top"/rust "$top"/samples \
  "$top"/crypto "$top"/net 2>/dev/null | sed 's/kunit_tests(\(.*\))/\1/' | sort -u)
expect=(); for s in "${kunit[@]}"; do expect+=(--expect "$s"); done

# The selected suites of every area whose kselftest `config` the built kernel
# meets: every option must be in it, as asked (=m stays =m: the C twins are
# loaded and unloaded by the suites).
suites=(); unmet=(); declare -A area_ok=()
while read -r s; do
  a=${s%%/*}
  if [ -z "${area_ok[$a]+set}" ]; then
    missing=$(while IFS= read -r l; do
        case "$l" in CONFIG_*=*) grep -qx "$l" "$KOBJ/.config" || echo "$l" ;; esac
      done <"$selftests/$a/config")
    if [ -n "$missing" ]; then unmet+=("$a: the kernel lacks $(echo $missing)"); area_ok[$a]=0
    else area_ok[$a]=1; fi
  fi
  if [ "${area_ok[$a]}" = 1 ]; then suites+=("$s"); fi
done < <(select_suites)

# The kernel's own selftests that rv6's suites run, built against this kernel.
mkdir -p "$out/bin"
if [ "${RV6_SLOW:-0}" = 1 ] && { [ ! -x "$out/bin/ipsec" ] || [ "$SRC/tools/testing/selftests/net/ipsec.c" -nt "$out/bin/ipsec" ]; }; then
  [ -d "$KOBJ/usr/include/linux" ] || kmake headers_install >/dev/null
  gcc -O2 -Wall -I"$KOBJ/usr/include" -I"$SRC/tools/testing/selftests" \
    -o "$out/bin/ipsec" "$SRC/tools/testing/selftests/net/ipsec.c" ||
    say "could not build selftests/net/ipsec.c"
fi

# Balance: longest suite first onto the least loaded shard.
record=$selftests/suite-times
key=kernel${VARIANT}-$mode
weight() { # weight SUITE: seconds it took in the last run, else 60
  local w
  w=$(awk -v k="$key" -v s="$1" '$1 == k && $2 == s {w = $3} END {if (w != "") print w}' "$record" 2>/dev/null)
  echo "${w:-60}"
}
jobs=${RV6_JOBS:-$(nproc)}
[ "$jobs" -ge 1 ] || jobs=1
[ "$jobs" -le ${#suites[@]} ] || jobs=$(( ${#suites[@]} > 0 ? ${#suites[@]} : 1 ))
shard_suites=(); shard_load=()
for ((k=0; k<jobs; k++)); do shard_suites[k]=""; shard_load[k]=0; done
while read -r w s; do
  best=0
  for ((k=1; k<jobs; k++)); do
    awk -v a="${shard_load[k]}" -v b="${shard_load[best]}" 'BEGIN {exit !(a < b)}' && best=$k
  done
  shard_suites[best]="${shard_suites[best]} $s"
  shard_load[best]=$(awk -v a="${shard_load[best]}" -v b="$w" 'BEGIN {print a + b}')
done < <(for s in "${suites[@]}"; do echo "$(weight "$s") $s"; done | sort -k1,1gr -k2)

# The debug kernel (KASAN, lockdep, kmemleak) runs several times slower under
# TCG; selftests stretch their timeouts by RV6_TIME_SCALE, and the full debug
# run sends the conntrack helpers 10^5 malformed payloads each, not 10^4.
if [ "${DEBUG:-0}" = 1 ]; then whole=5400 fuzz_n=100000 scale=4; else whole=2700 fuzz_n=10000 scale=1; fi
# The debug smoke boots without slow tests: the crypto test manager's would
# fuzz each built-in algorithm against its generic twin under KASAN and
# lockdep at every boot, minutes of TCG time that test no rv6 code (the
# vectors still run, rv6's xcbc(aes) included); KUnit's (#[slow], a stress
# case) would take minutes at every load of its module, and show as skipped.
# make check-debug runs both.
boot=""
# The debug kernel boots with 4-level paging (no5lvl).  With QEMU's `-cpu max`
# it would use 5-level paging, and identify_cpu() clears boot_cpu_data's
# capabilities (X86_FEATURE_LA57 among them) before reading them again: a
# timer interrupt in that window makes KASAN's shadow bounds, which depend on
# pgtable_l5_enabled(), call the direct map "wild" (a false "BUG: KASAN:
# wild-memory-access in do_raw_spin_lock" from handle_edge_irq at 0.1 s, seen
# in 2 of 3 boots of one debug image under TCG).  Nothing rv6 does depends on
# the paging depth.
[ "${DEBUG:-0}" = 1 ] && boot="no5lvl"
[ "${DEBUG:-0}" = 1 ] && [ "$quick" = 1 ] &&
  boot="$boot cryptomgr.noslowtests=1 kunit.filter=speed>slow kunit.filter_action=skip" whole=1500
# Each guest gets an even share of the host's cores as vCPUs (RV6_GUEST_CPUS
# when the caller runs other guests beside these).
cpus=${RV6_GUEST_CPUS:-$(( $(nproc) / jobs ))}; [ "$cpus" -ge 1 ] || cpus=1
say "$(basename "$KOBJ") ($release), $mode: ${#suites[@]} suite(s) in $jobs guest(s) of $cpus vCPU(s); KUnit (${#kunit[@]} suites) in shard 1"
pids=(); t0=$SECONDS
for ((k=0; k<jobs; k++)); do
  n=$((k + 1)); sdir=$out/$tag/shard$n; mkdir -p "$sdir"
  log=$BUILD/logs/$tag-shard$n.log
  kparam="kunit.filter_glob=r[uv]*"; [ $k = 0 ] || kparam="kunit.enable=0"
  kparam="$kparam $boot"
  say "shard $n (~$(printf '%.0f' "${shard_load[k]}") s by the record):${shard_suites[k]:- (no suites)}; console $log"
  (
    s0=$SECONDS rc=0
    RV6_OUT=$sdir RV6_MODULES=$MODOUT RV6_SRC=$SRC RV6_SLOW=${RV6_SLOW:-0} RV6_QUICK=$quick \
    RV6_SUITES="${shard_suites[k]}" RV6_FUZZ_N=${RV6_FUZZ_N:-$fuzz_n} RV6_TIME_SCALE=${RV6_TIME_SCALE:-$scale} \
      "$tools/rv6-vm" --kernel "$KOBJ/arch/x86/boot/bzImage" --moddir "$KOBJ/modroot/lib/modules/$release" \
      --rw "$out" --cpus "$cpus" --log "$log" --timeout "${RV6_GUEST_TIMEOUT:-$whole}" --append "$kparam" \
      -- "$top/tools/testing/guest-check.sh" >"$sdir/rv6-vm.out" 2>&1 || rc=$?
    echo $((SECONDS - s0)) >"$sdir/wall"
    exit $rc
  ) &
  pids[k]=$!
done

# Judge each shard; name what failed and where to look.
bad=0
for ((k=0; k<jobs; k++)); do
  n=$((k + 1)); sdir=$out/$tag/shard$n; log=$BUILD/logs/$tag-shard$n.log
  rc=0; wait "${pids[k]}" || rc=$?
  secs=$(cat "$sdir/wall" 2>/dev/null || echo '?')
  echo "=== shard $n:${shard_suites[k]:- (none)}"
  sed 's/^/  /' "$sdir/rv6-vm.out"
  results=0
  if [ $k = 0 ]; then
    "$tools/rv6-ktap" --kernel-only "${expect[@]}" --counts "$out/$tag-shard$n-kunit.counts" "$log" || results=1
  fi
  "$tools/rv6-ktap" --counts "$out/$tag-shard$n-selftests.counts" "$sdir/selftests.ktap" || results=1
  # Suite times: this run's, for the next balance.
  [ -f "$sdir/times" ] && cat "$sdir/times" >>"$out/$tag/times"
  echo "$tag-shard$n $secs $([ $rc = 0 ] && [ $results = 0 ] && echo ok || echo "FAILED (rv6-vm $rc)")" >>"$out/$tag/shards"
  if [ $rc != 0 ] || [ $results != 0 ]; then
    bad=1
    say "shard $n FAILED (rv6-vm exit $rc); console: $log; KTAP: $sdir/selftests.ktap"
    grep -h "^not ok\|^    not ok" "$sdir/selftests.ktap" 2>/dev/null | sed 's/^ */  /' | head -n 20
  fi
done
for u in "${unmet[@]}"; do say "area not run: $u"; bad=1; done
if [ -s "$out/$tag/times" ]; then
  { grep -v '^#' "$record" 2>/dev/null || true; sed "s/^/$key /" "$out/$tag/times"; } |
    awk '{t[$1 " " $2] = $3} END {for (s in t) print s, t[s]}' | sort >"$record.new"
  { echo "# kernel-mode suite seconds: each suite's wall time in the last run (scripts/test-guest.sh"
    echo "# rewrites its lines after every run; shards are balanced by them)"
    cat "$record.new"; } >"$record" && rm -f "$record.new"
fi
say "$tag: $jobs shard(s) in $((SECONDS - t0)) s; suite times recorded in $record"
[ $bad = 0 ]

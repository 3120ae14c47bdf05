#!/usr/bin/env bash
# Guest test layer: boot the rv6 kernel, load every module (KUnit runs at
# insmod), run the selftests, unload; then judge the console: every KUnit
# suite in the tree must have run and passed, and the kernel must not have
# reported a bug (oops, WARN, KASAN, UBSAN, lockdep, kmemleak).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
out=$CHECKOUT; mkdir -p "$out" "$BUILD/logs"
release=$(cat "$KOBJ/include/config/kernel.release")
tools=$top/tools/target/release
tag=guest${VARIANT}
log=$BUILD/logs/$tag.log

# Every #[kunit_tests(NAME)] in rv6's sources must show up in the console.
mapfile -t suites < <(grep -rhoE 'kunit_tests\([a-z0-9_]+\)' "$top"/rust "$top"/samples \
  "$top"/crypto "$top"/net 2>/dev/null | sed 's/kunit_tests(\(.*\))/\1/' | sort -u)
expect=(); for s in "${suites[@]}"; do expect+=(--expect "$s"); done

# The kernel's own selftests that rv6's suites run, built against this kernel.
mkdir -p "$out/bin"
if [ "${RV6_SLOW:-0}" = 1 ] && { [ ! -x "$out/bin/ipsec" ] || [ "$SRC/tools/testing/selftests/net/ipsec.c" -nt "$out/bin/ipsec" ]; }; then
  [ -d "$KOBJ/usr/include/linux" ] || kmake headers_install >/dev/null
  gcc -O2 -Wall -I"$KOBJ/usr/include" -I"$SRC/tools/testing/selftests" \
    -o "$out/bin/ipsec" "$SRC/tools/testing/selftests/net/ipsec.c" ||
    say "could not build selftests/net/ipsec.c"
fi

say "booting $(basename "$KOBJ") ($release), ${#suites[@]} KUnit suite(s) expected; console: $log"
# The debug kernel (KASAN, lockdep, kmemleak) runs several times slower under TCG.
# It also sends the conntrack helpers 10^5 malformed payloads each, not 10^4.
# Selftests stretch their own timeouts by RV6_TIME_SCALE.
if [ "${DEBUG:-0}" = 1 ]; then per_test=1200 whole=5400 fuzz_n=100000 scale=4; else per_test=300 whole=2700 fuzz_n=10000 scale=1; fi
set +e
RV6_TEST_TIMEOUT=${RV6_TEST_TIMEOUT:-$per_test} RV6_OUT=$out RV6_MODULES=$MODOUT RV6_SRC=$SRC RV6_SLOW=${RV6_SLOW:-0} RV6_SELFTESTS=${RV6_SELFTESTS:-} RV6_FUZZ_N=${RV6_FUZZ_N:-$fuzz_n} RV6_TIME_SCALE=${RV6_TIME_SCALE:-$scale} \
  "$tools/rv6-vm" --kernel "$KOBJ/arch/x86/boot/bzImage" --moddir "$KOBJ/modroot/lib/modules/$release" --rw "$out" \
  --log "$log" --timeout "${RV6_GUEST_TIMEOUT:-$whole}" --append "kunit.filter_glob=rv6*" \
  -- "$top/tools/testing/guest-check.sh"
vm_rc=$?
"$tools/rv6-ktap" --kernel-only "${expect[@]}" --counts "$out/$tag-kunit.counts" "$log"
kunit_rc=$?
echo
"$tools/rv6-ktap" --counts "$out/$tag-selftests.counts" "$out/selftests.ktap"
self_rc=$?
set -e
[ $vm_rc = 0 ] || say "guest run failed (rv6-vm exit $vm_rc)"
[ $vm_rc = 0 ] && [ $kunit_rc = 0 ] && [ $self_rc = 0 ]
